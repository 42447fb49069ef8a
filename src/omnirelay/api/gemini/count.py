"""``:countTokens``: Gemini's count from a Gemini upstream, the gateway's estimate elsewhere.

On a channel that speaks Gemini the request is relayed and the upstream's answer returned as is.
On any other channel the gateway counts itself (``relay/gemini_tokens.py``: its own tokenizer,
258 tokens a media part): an estimate, answered as ``{"totalTokens": n}``. Counting is free: the
call is logged at cost 0 (the key must still be allowed the model).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.gemini.intake import identify, parse_body
from omnirelay.api.gemini.names import camel_case
from omnirelay.api.gemini.to_chat import gemini_request
from omnirelay.channels.model import Channel
from omnirelay.providers.base import Forwarder, Usage
from omnirelay.relay.gate import JobRequest
from omnirelay.relay.gemini import NATIVE_OR_CHAT, GeminiCall, GeminiRelay, read_forwarded
from omnirelay.relay.gemini_tokens import count_gemini_request

__all__ = ["count_tokens"]


def _count_request(body: Any) -> dict[str, Any]:
    """The camelCased body, checked: ``contents`` or a ``generateContentRequest``."""
    request: dict[str, Any] = camel_case(body) if isinstance(body, dict) else {}
    nested = request.get("generateContentRequest")
    gemini_request(nested if isinstance(nested, dict) else body)
    return request


async def count_tokens(request: Request, model: str, method: str) -> Response:
    runtime, caller = identify(request)
    raw, body = await parse_body(request, runtime)
    counted = _count_request(body)
    call = GeminiCall(model, method, raw, body)
    relay = GeminiRelay(runtime.gate)
    request_id = runtime.request_ids.next()
    job = await relay.begin(caller, JobRequest(f"gemini.{method}", model, 0, 0, calls=0), request_id)

    async def native(forwarder: Forwarder, channel: Channel) -> bytes:
        forward = relay.forward_call(call, channel, channel.upstream_model(model), stream=False)
        return await read_forwarded(await forwarder.forward(forward))

    async def estimate(provider: object, channel: Channel) -> bytes:
        return orjson.dumps({"totalTokens": count_gemini_request(runtime.chat.tokens, counted)})

    answer: bytes = await relay.run(job, NATIVE_OR_CHAT, native, estimate)
    await job.succeed(Usage(0, 0), calls=0)
    return Response(answer, media_type="application/json", headers={"x-request-id": request_id})
