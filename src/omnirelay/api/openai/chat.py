"""``POST /v1/chat/completions``: plain and streamed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.openai.images import image_chat_completion, is_image_chat
from omnirelay.api.openai.intake import intake
from omnirelay.api.sse import SSEResponse, call_deadline
from omnirelay.relay.chat_stream import ChatStreamSession

__all__ = ["chat_completions"]


async def chat_completions(request: Request) -> Response | SSEResponse:
    call = await intake(request)
    if is_image_chat(call.runtime, call.body):
        return await image_chat_completion(request, call)
    relay = call.runtime.chat
    job = await relay.begin(call.caller, call.body, call.size, call.request_id, headers=request.headers)
    if not job.stream:
        result = await relay.complete(job, call.body)
        return Response(result.raw, media_type="application/json", headers={"x-request-id": call.request_id})
    opened = await relay.open_stream(job, call.body)
    session = ChatStreamSession(relay, job, call.body, opened)
    deadline = call_deadline(job.started, call.runtime.settings.relay)
    return SSEResponse(
        session.frames(), session.finish, [(b"x-request-id", call.request_id.encode())], deadline=deadline
    )
