"""``POST /v1/messages`` and ``POST /v1/messages/count_tokens`` for Claude clients (Claude Code included).

Thin: identify the caller, read the body, hand it to :class:`~omnirelay.relay.messages.MessagesRelay`
(native on ``anthropic`` channels, converted elsewhere) or to the free token count. ``?beta=true``,
which the SDK's beta client adds, is ignored: the route is the same.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.access_log import note_model
from omnirelay.api.anthropic.errors import request_id_of
from omnirelay.api.anthropic.intake import identify_anthropic
from omnirelay.api.body import read_body
from omnirelay.api.sse import SSEResponse, call_deadline
from omnirelay.errors import InvalidRequest
from omnirelay.relay.messages import MessagesRelay, MessagesRequest
from omnirelay.relay.messages_count import count_tokens as count_request_tokens

__all__ = ["count_tokens", "messages"]

_JSON = "application/json"


async def _read(request: Request) -> MessagesRequest:
    runtime = request.app.state.runtime
    raw = await read_body(request, runtime.settings.server.max_body_bytes)
    if not raw:
        raise InvalidRequest("The request body is empty; send a JSON object.")
    parsed = MessagesRequest.read(raw, request.headers)
    note_model(request.scope, parsed.body.get("model"))
    return parsed


async def messages(request: Request) -> Response | SSEResponse:
    runtime, caller = identify_anthropic(request)
    call = await _read(request)
    request_id = request_id_of(request)
    relay = MessagesRelay(runtime.chat, runtime.catalog, runtime.providers, runtime.settings.relay.affinity_header)
    job = await relay.begin(caller, call, request_id)
    if not job.stream:
        raw = await relay.complete(job, call)
        return Response(raw, media_type=_JSON, headers={"x-request-id": request_id, "request-id": request_id})
    session = await relay.open_stream(job, call)
    ids = [(b"x-request-id", request_id.encode()), (b"request-id", request_id.encode())]
    deadline = call_deadline(job.started, runtime.settings.relay)
    return SSEResponse(session.frames(), session.finish, ids, deadline=deadline)


async def count_tokens(request: Request) -> Response:
    """Free: the upstream's count on an ``anthropic`` channel, else the gateway's estimate."""
    runtime, caller = identify_anthropic(request)
    call = await _read(request)
    request_id = request_id_of(request)
    body = await count_request_tokens(runtime.catalog, runtime.providers, runtime.chat.tokens, caller, call)
    return Response(body, media_type=_JSON, headers={"x-request-id": request_id, "request-id": request_id})
