"""The OpenAI Responses API's routes, mounted by ``app.py`` (errors in OpenAI's shape, Bearer keys)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from omnirelay.api.responses.create import create_response
from omnirelay.api.responses.secondary import compact_response, count_input_tokens
from omnirelay.api.responses.stored import (
    cancel_response,
    delete_response,
    list_input_items,
    retrieve_response,
)

__all__ = ["responses_routes"]


def responses_routes() -> list[BaseRoute]:
    # the fixed paths come before ``{response_id}``, which would take them otherwise
    return [
        Route("/v1/responses", create_response, methods=["POST"]),
        Route("/v1/responses/input_tokens", count_input_tokens, methods=["POST"]),
        Route("/v1/responses/compact", compact_response, methods=["POST"]),
        Route("/v1/responses/{response_id}", retrieve_response, methods=["GET"]),
        Route("/v1/responses/{response_id}", delete_response, methods=["DELETE"]),
        Route("/v1/responses/{response_id}/cancel", cancel_response, methods=["POST"]),
        Route("/v1/responses/{response_id}/input_items", list_input_items, methods=["GET"]),
    ]
