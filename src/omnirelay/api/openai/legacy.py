"""``POST /v1/completions`` (plain and streamed) and ``POST /v1/moderations``: OpenAI's smaller APIs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.openai.intake import intake
from omnirelay.api.sse import SSEResponse, call_deadline
from omnirelay.relay.completions import CompletionsRelay, counting_body
from omnirelay.relay.completions_stream import CompletionStreamSession
from omnirelay.relay.moderations import ModerationsRelay

__all__ = ["completions", "moderations"]


async def completions(request: Request) -> Response | SSEResponse:
    call = await intake(request)
    runtime = call.runtime
    relay = CompletionsRelay(
        chat=runtime.chat, providers=runtime.providers, affinity_header=runtime.settings.relay.affinity_header
    )
    job = await relay.begin(call.caller, call.body, call.size, call.request_id, request.headers)
    headers = {"x-request-id": call.request_id}
    if not job.stream:
        raw = await relay.complete(job, call.body)
        return Response(raw, media_type="application/json", headers=headers)
    opened = await relay.open_stream(job, call.body)
    session = CompletionStreamSession(relay.chat, job, counting_body(call.body), opened)
    deadline = call_deadline(job.started, runtime.settings.relay)
    return SSEResponse(
        session.frames(), session.finish, [(b"x-request-id", call.request_id.encode())], deadline=deadline
    )


async def moderations(request: Request) -> Response:
    call = await intake(request)
    runtime = call.runtime
    relay = ModerationsRelay(
        gate=runtime.gate,
        catalog=runtime.catalog,
        tokens=runtime.chat.tokens,
        providers=runtime.providers,
        local=runtime.settings.local_provider,
    )
    job = await relay.begin(call.caller, call.body, call.size, call.request_id)
    raw = await relay.moderate(job, call.body)
    return Response(raw, media_type="application/json", headers={"x-request-id": call.request_id})
