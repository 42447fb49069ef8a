"""``POST /v1/embeddings``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.openai.intake import intake

__all__ = ["embeddings"]


async def embeddings(request: Request) -> Response:
    call = await intake(request)
    relay = call.runtime.embeddings
    job = await relay.begin(call.caller, call.body, call.size, call.request_id)
    result = await relay.embed(job, call.body)
    return Response(result.raw, media_type="application/json", headers={"x-request-id": call.request_id})
