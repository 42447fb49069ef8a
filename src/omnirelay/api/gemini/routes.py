"""The Gemini family's routes, mounted by ``app.py`` ahead of OpenAI's ``/v1/models`` (see ``models.py``).

``POST .../models/{model}:{method}`` is served under ``/v1beta`` (the Gemini API's version) and
``/v1`` (google-genai 3.x's default); no OpenAI route takes a POST there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.gemini.count import count_tokens
from omnirelay.api.gemini.embed import embed_content
from omnirelay.api.gemini.errors import gemini_errors
from omnirelay.api.gemini.generate import generate_content
from omnirelay.api.gemini.intake import split_target
from omnirelay.api.gemini.models import get_model, list_models, model_by_dialect, models_by_dialect
from omnirelay.api.sse import SSEResponse
from omnirelay.errors import NotFound

__all__ = ["gemini_routes"]

Method = Callable[[Request, str, str], Awaitable[Response | SSEResponse]]
_METHODS: dict[str, Method] = {
    "generateContent": generate_content,
    "streamGenerateContent": generate_content,
    "countTokens": count_tokens,
    "embedContent": embed_content,
    "batchEmbedContents": embed_content,
}


async def model_method(request: Request) -> Response | SSEResponse:
    model, method = split_target(request)
    handler = _METHODS.get(method)
    if handler is None:
        raise NotFound(f"Method not found: models.{method}. This gateway serves {', '.join(_METHODS)}.")
    return await handler(request, model, method)


def gemini_routes() -> list[BaseRoute]:
    post = gemini_errors(model_method)
    return [
        Route("/v1beta/models", gemini_errors(list_models), methods=["GET"]),
        Route("/v1beta/models/{target:path}", post, methods=["POST"]),
        Route("/v1beta/models/{model:path}", gemini_errors(get_model), methods=["GET"]),
        Route("/v1/models/{target:path}", post, methods=["POST"]),
        Route("/v1/models", models_by_dialect, methods=["GET"]),
        Route("/v1/models/{model:path}", model_by_dialect, methods=["GET"]),
    ]
