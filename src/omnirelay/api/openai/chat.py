"""``POST /v1/chat/completions``: plain and streamed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.body import read_json
from omnirelay.api.sse import SSEResponse
from omnirelay.relay.auth import authenticate, bearer_token
from omnirelay.relay.chat_stream import ChatStreamSession
from omnirelay.runtime import Runtime

__all__ = ["chat_completions"]


async def chat_completions(request: Request) -> Response | SSEResponse:
    runtime: Runtime = request.app.state.runtime
    caller = authenticate(
        runtime.catalog.snapshot,
        bearer_token(request.headers.get("authorization")),
        request.client.host if request.client else None,
    )
    body, size = await read_json(request, runtime.settings.server.max_body_bytes)
    request_id = runtime.request_ids.next()
    job = await runtime.chat.begin(caller, body, size, request_id)
    if not job.stream:
        result = await runtime.chat.complete(job, body)
        return Response(result.raw, media_type="application/json", headers={"x-request-id": request_id})
    opened = await runtime.chat.open_stream(job, body)
    session = ChatStreamSession(runtime.chat, job, body, opened)
    return SSEResponse(session.frames(), session.finish, [(b"x-request-id", request_id.encode())])
