"""``GET /v1/models`` and ``GET /v1/models/{id}`` in Anthropic's shape, for requests that carry
``anthropic-version`` (the Anthropic SDK and Claude Code always send it); OpenAI's shape otherwise.

Anthropic's list: ``{"data": [{"type": "model", "id", "display_name", "created_at"}], "has_more",
"first_id", "last_id"}``, paged with ``limit`` (default 20, at most 1000), ``after_id`` and
``before_id``. The models are the ones the key may use, as in the OpenAI list.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.anthropic.errors import anthropic_errors
from omnirelay.api.anthropic.intake import identify_anthropic
from omnirelay.api.openai.models import CREATED, list_models, retrieve_model, visible_models
from omnirelay.errors import InvalidRequest, ModelNotFound

__all__ = ["models_list", "models_retrieve"]

_CREATED_AT = datetime.fromtimestamp(CREATED, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
_DEFAULT_LIMIT, _MAX_LIMIT = 20, 1000


def _model(model: str) -> dict[str, str]:
    return {"type": "model", "id": model, "display_name": model, "created_at": _CREATED_AT}


def _limit(raw: str | None) -> int:
    if raw is None:
        return _DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= _MAX_LIMIT:
        raise InvalidRequest(f"limit: must be a whole number from 1 to {_MAX_LIMIT}.", param="limit")
    return int(raw)


def _page(models: list[str], request: Request) -> dict[str, object]:
    query = request.query_params
    limit = _limit(query.get("limit"))
    after, before = query.get("after_id"), query.get("before_id")
    if before is not None:
        end = models.index(before) if before in models else len(models)
        page, more = models[max(0, end - limit) : end], end - limit > 0
    else:
        start = models.index(after) + 1 if after in models else 0
        page, more = models[start : start + limit], start + limit < len(models)
    data = [_model(m) for m in page]
    return {
        "data": data,
        "has_more": more,
        "first_id": page[0] if page else None,
        "last_id": page[-1] if page else None,
    }


async def _anthropic_list(request: Request) -> Response:
    runtime, caller = identify_anthropic(request)
    models = sorted(visible_models(runtime, caller))
    return Response(orjson.dumps(_page(models, request)), media_type="application/json")


async def _anthropic_retrieve(request: Request) -> Response:
    runtime, caller = identify_anthropic(request)
    model = request.path_params["model"]
    if model not in visible_models(runtime, caller):
        raise ModelNotFound(f"model: {model}", param="model")
    return Response(orjson.dumps(_model(model)), media_type="application/json")


_LIST = anthropic_errors(_anthropic_list)
_RETRIEVE = anthropic_errors(_anthropic_retrieve)


async def models_list(request: Request) -> Response:
    if "anthropic-version" in request.headers:
        return await _LIST(request)
    return await list_models(request)


async def models_retrieve(request: Request) -> Response:
    if "anthropic-version" in request.headers:
        return await _RETRIEVE(request)
    return await retrieve_model(request)
