"""``POST /v1/embeddings``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.body import read_json
from omnirelay.relay.auth import authenticate, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["embeddings"]


async def embeddings(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    caller = authenticate(
        runtime.catalog.snapshot,
        bearer_token(request.headers.get("authorization")),
        request.client.host if request.client else None,
    )
    body, size = await read_json(request, runtime.settings.server.max_body_bytes)
    request_id = runtime.request_ids.next()
    job = await runtime.embeddings.begin(caller, body, size, request_id)
    result = await runtime.embeddings.embed(job, body)
    return Response(result.raw, media_type="application/json", headers={"x-request-id": request_id})
