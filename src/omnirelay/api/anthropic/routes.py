"""The Anthropic family's routes, mounted by ``app.py`` (``GET /v1/models`` in Anthropic's shape is
served by the shared models route when the request carries ``anthropic-version``: ``models.py``)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from omnirelay.api.anthropic.errors import anthropic_errors
from omnirelay.api.anthropic.messages import count_tokens, messages

__all__ = ["anthropic_routes"]


def anthropic_routes() -> list[BaseRoute]:
    return [
        Route("/v1/messages", anthropic_errors(messages), methods=["POST"]),
        Route("/v1/messages/count_tokens", anthropic_errors(count_tokens), methods=["POST"]),
    ]
