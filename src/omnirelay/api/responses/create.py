"""``POST /v1/responses``: plain and streamed, passed through or converted (``relay/responses.py``)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.openai.intake import Intake, intake
from omnirelay.api.responses.converted_stream import ConvertedStream
from omnirelay.api.responses.from_chat import response_from_chat
from omnirelay.api.sse import SSEResponse, call_deadline
from omnirelay.relay.gate import as_failure
from omnirelay.relay.job import Job
from omnirelay.relay.responses import Converted, Passed, Plan, ResponsesRelay
from omnirelay.relay.responses_passthrough import ForwardStreamSession, usage_of
from omnirelay.runtime import Runtime

__all__ = ["create_response"]


def _relay(runtime: Runtime) -> ResponsesRelay:
    return runtime.responses


def _output_text(response: Any) -> str:
    """The text a Response's output holds (for counting when the upstream reported no usage)."""
    texts: list[str] = []
    for item in response.get("output") or () if isinstance(response, dict) else ():
        if not isinstance(item, dict):
            continue
        texts.append(str(item.get("arguments") or ""))
        for part in item.get("content") or ():
            if isinstance(part, dict):
                texts.append(str(part.get("text") or ""))
    return "".join(texts)


async def create_response(request: Request) -> Response | SSEResponse:
    call = await intake(request)
    relay = _relay(call.runtime)
    plan = await relay.plan(call.caller, call.body)
    job = await relay.begin(call.caller, plan, call.size, call.request_id, request.headers)
    answer = await relay.run(job, plan)
    if isinstance(answer, Passed):
        if answer.opened is not None:
            return _passed_stream(call, relay, job, plan, answer)
        return await _passed(call, relay, job, plan, answer)
    if answer.opened is not None:
        return _converted_stream(call, relay, job, plan, answer)
    return await _converted(call, relay, job, plan, answer)


def _ids(call: Intake) -> list[tuple[bytes, bytes]]:
    return [(b"x-request-id", call.request_id.encode())]


async def _passed(call: Intake, relay: ResponsesRelay, job: Job, plan: Plan, answer: Passed) -> Response:
    raw = answer.raw or b""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        parsed = None
    await job.succeed(usage_of(parsed) or relay.counted(plan, _output_text(parsed)))
    if isinstance(parsed, dict):
        await relay.remember(job, plan, parsed, answer.channel, held=True)
    return Response(raw, media_type="application/json", headers={"x-request-id": call.request_id})


def _passed_stream(call: Intake, relay: ResponsesRelay, job: Job, plan: Plan, answer: Passed) -> SSEResponse:
    assert answer.opened is not None
    session = ForwardStreamSession(
        job,
        answer.opened,
        counted=lambda text: relay.counted(plan, text),
        max_request_s=call.runtime.settings.relay.max_request_s,
    )

    async def finish() -> None:
        await session.finish()
        if session.final is not None:
            await relay.remember(job, plan, session.final, session.channel, held=True)

    deadline = call_deadline(job.started, call.runtime.settings.relay)
    return SSEResponse(session.frames(), finish, _ids(call), deadline=deadline)


async def _converted(call: Intake, relay: ResponsesRelay, job: Job, plan: Plan, answer: Converted) -> Response:
    assert answer.result is not None and plan.chat_body is not None
    result = answer.result
    usage = relay.chat.usage_or_count(result.usage, plan.chat_body, result.completion_text)
    try:
        completion = orjson.loads(result.raw)
        response = response_from_chat(
            completion, plan.body, response_id=plan.response_id, created_at=plan.created_at, usage=usage
        )
    except Exception as exc:  # a fault of ours: the client is not billed for it
        await job.fail(as_failure(exc))
        raise
    await job.succeed(usage)
    await relay.remember(job, plan, response, answer.channel, held=False)
    return Response(orjson.dumps(response), media_type="application/json", headers={"x-request-id": call.request_id})


def _converted_stream(call: Intake, relay: ResponsesRelay, job: Job, plan: Plan, answer: Converted) -> SSEResponse:
    assert answer.opened is not None
    stream = ConvertedStream(relay, job, plan, answer.opened)

    async def finish() -> None:
        await stream.finish()
        final = stream.final
        if final is not None:
            await relay.remember(job, plan, final, answer.channel, held=False)

    deadline = call_deadline(job.started, call.runtime.settings.relay)
    return SSEResponse(stream.frames(), finish, _ids(call), deadline=deadline)
