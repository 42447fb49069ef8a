"""``GET /v1/models``: the models this key may use, in the OpenAI list shape."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.openai.intake import identify
from omnirelay.errors import ModelNotFound
from omnirelay.providers.local import chat_missing, speech_missing
from omnirelay.relay.auth import Caller
from omnirelay.runtime import Runtime

__all__ = ["CREATED", "list_models", "retrieve_model", "visible_models"]

CREATED = 1_700_000_000


def _runs(channel_type: str, model: str) -> bool:
    """False for a local model whose optional extra is not installed here."""
    return channel_type != "local" or (speech_missing(model) is None and chat_missing(model) is None)


def visible_models(runtime: Runtime, caller: Caller) -> dict[str, str]:
    """Model id -> owner, for models that have a usable channel in the caller's group."""
    snapshot = runtime.catalog.snapshot
    visible: dict[str, str] = {}
    for model, channels in snapshot.by_model.items():
        if not caller.key.allows_model(model):
            continue
        owners = [c.type for c in channels if c.usable and caller.group in c.groups and _runs(c.type, model)]
        if owners:
            visible[model] = owners[0]
    return visible


def _model(model: str, owner: str) -> dict[str, object]:
    return {"id": model, "object": "model", "created": CREATED, "owned_by": owner}


async def list_models(request: Request) -> Response:
    runtime, caller = identify(request)
    data = [_model(m, owner) for m, owner in sorted(visible_models(runtime, caller).items())]
    return Response(orjson.dumps({"object": "list", "data": data}), media_type="application/json")


async def retrieve_model(request: Request) -> Response:
    runtime, caller = identify(request)
    model = request.path_params["model"]
    owner = visible_models(runtime, caller).get(model)
    if owner is None:
        raise ModelNotFound(f"The model '{model}' does not exist or you do not have access to it.", param="model")
    return Response(orjson.dumps(_model(model, owner)), media_type="application/json")
