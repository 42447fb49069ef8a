"""``GET /v1beta/models`` and ``/v1beta/models/{model}``: the models this key may use, in Gemini's shape.

A model is listed when it has a usable channel in the caller's group, the key may use it, and it
is for chat (``generateContent``, ``streamGenerateContent``, ``countTokens``) or embeddings
(``embedContent``, ``batchEmbedContents``); models for images, audio, rerank and tasks are not
Gemini API models. The gateway knows no token limits, so ``inputTokenLimit`` and
``outputTokenLimit`` are left out. Pages: ``pageSize`` (default 50, at most 1000) and the
``nextPageToken`` of the previous page.

google-genai 3.x calls ``/v1/models`` (its default API version is ``v1``), the path OpenAI clients
list models on: a request there that carries a Gemini key (``x-goog-api-key`` or ``?key=``) and no
``Authorization`` header gets this answer; any other goes on to the OpenAI/Anthropic one.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin.channel_test import guess_purpose
from omnirelay.api.anthropic.models import models_list as other_list_models
from omnirelay.api.anthropic.models import models_retrieve as other_retrieve_model
from omnirelay.api.gemini.errors import gemini_errors
from omnirelay.api.gemini.intake import identify
from omnirelay.errors import InvalidRequest, ModelNotFound
from omnirelay.providers.local import chat_missing
from omnirelay.providers.registry import KINDS
from omnirelay.relay.auth import Caller
from omnirelay.runtime import Runtime

__all__ = ["get_model", "list_models", "model_by_dialect", "models_by_dialect", "speaks_gemini"]

_METHODS = {
    "chat": ["generateContent", "streamGenerateContent", "countTokens"],
    "embeddings": ["embedContent", "batchEmbedContents"],
}
_PAGE = 50
_MAX_PAGE = 1000


def _purpose(channel_type: str, model: str) -> str:
    kind = KINDS.get(channel_type)
    found = kind.purpose(model) if kind is not None else None
    if channel_type == "local" and found == "chat" and chat_missing(model) is not None:
        return "unavailable"
    return found or guess_purpose(model)


def _visible(runtime: Runtime, caller: Caller) -> dict[str, list[str]]:
    """Model id -> the Gemini methods it serves, for the models this caller may use."""
    visible: dict[str, list[str]] = {}
    for model, channels in runtime.catalog.snapshot.by_model.items():
        if not caller.key.allows_model(model):
            continue
        usable = [c for c in channels if c.usable and caller.group in c.groups]
        methods = next((_METHODS[p] for c in usable if (p := _purpose(c.type, model)) in _METHODS), None)
        if methods is not None:
            visible[model] = methods
    return visible


def _model(model: str, methods: list[str]) -> dict[str, Any]:
    return {
        "name": f"models/{model}",
        "baseModelId": model,
        "version": "omnirelay",
        "displayName": model,
        "description": f"{model}, served by omnirelay.",
        "supportedGenerationMethods": methods,
    }


def _page_bounds(request: Request) -> tuple[int, int]:
    size, token = request.query_params.get("pageSize") or str(_PAGE), request.query_params.get("pageToken") or "0"
    if not size.isdigit() or not token.isdigit():
        raise InvalidRequest("pageSize and pageToken must be whole numbers (pageToken: the last page's nextPageToken).")
    return int(token), min(int(size) or _PAGE, _MAX_PAGE)


async def list_models(request: Request) -> Response:
    runtime, caller = identify(request)
    start, size = _page_bounds(request)
    models = sorted(_visible(runtime, caller).items())
    page: dict[str, Any] = {"models": [_model(m, methods) for m, methods in models[start : start + size]]}
    if start + size < len(models):
        page["nextPageToken"] = str(start + size)
    return Response(orjson.dumps(page), media_type="application/json")


async def get_model(request: Request) -> Response:
    runtime, caller = identify(request)
    model = str(request.path_params["model"]).removeprefix("models/")
    methods = _visible(runtime, caller).get(model)
    if methods is None:
        version = request.url.path.split("/")[1]
        raise ModelNotFound(f"models/{model} is not found for API version {version}, or you may not use it.")
    return Response(orjson.dumps(_model(model, methods)), media_type="application/json")


def speaks_gemini(request: Request) -> bool:
    """A Gemini client: its key in ``x-goog-api-key`` or ``?key=``, and no OpenAI ``Authorization``."""
    has_key = "x-goog-api-key" in request.headers or "key" in request.query_params
    return has_key and "authorization" not in request.headers


_gemini_list = gemini_errors(list_models)
_gemini_get = gemini_errors(get_model)


async def models_by_dialect(request: Request) -> Response:
    """``GET /v1/models``: Gemini's list for a Gemini client, OpenAI's or Anthropic's for the others."""
    if speaks_gemini(request):
        return await _gemini_list(request)  # type: ignore[return-value]
    return await other_list_models(request)


async def model_by_dialect(request: Request) -> Response:
    """``GET /v1/models/{model}``: Gemini's model for a Gemini client, OpenAI's or Anthropic's for the others."""
    if speaks_gemini(request):
        return await _gemini_get(request)  # type: ignore[return-value]
    return await other_retrieve_model(request)
