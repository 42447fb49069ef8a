"""``POST /v1/responses/input_tokens`` and ``POST /v1/responses/compact``.

``input_tokens`` asks a channel that serves Responses natively when the model has one (the
upstream's own count, not billed); otherwise the gateway counts the request as the chat
conversation it would send, with its tokenizer (an estimate for non-OpenAI models).
``compact`` produces an encrypted item only an OpenAI upstream can read back, so it needs a
``responses`` channel: it is relayed there and billed by the usage it reports; elsewhere it is
refused with a 400 that says so.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.openai.intake import intake
from omnirelay.api.responses import to_chat
from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest, ModelNotFound, PermissionDenied, UpstreamUnavailable
from omnirelay.providers.base import ChatProvider, ForwardCall, Forwarder, Usage
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import JobRequest
from omnirelay.relay.responses import previous_not_found
from omnirelay.relay.responses_passthrough import usage_of
from omnirelay.relay.responses_store import StoredResponse
from omnirelay.runtime import Runtime

__all__ = ["compact_response", "count_input_tokens"]

COMPACT_ENDPOINT = "/v1/responses/compact"


def _model(body: Any) -> str:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("Missing required parameter: 'model'.", param="model", code="missing_required_parameter")
    return model


async def _previous(runtime: Runtime, caller: Caller, body: dict[str, Any]) -> StoredResponse | None:
    response_id = body.get("previous_response_id")
    if not response_id:
        return None
    found = await runtime.responses.store.get(str(response_id), caller.key.account_id)
    if found is None:
        raise previous_not_found(str(response_id))
    return found


def _target(runtime: Runtime, caller: Caller, model: str, previous: StoredResponse | None) -> Channel | None:
    """Where a secondary call goes natively: the channel holding ``previous`` when the upstream keeps it,
    else a ``responses`` channel of the model; None when the gateway must answer itself."""
    if previous is None:
        return runtime.responses.forwarding_channel(model, caller)
    if not previous.upstream_held:
        return None
    holder = runtime.catalog.snapshot.channels.get(previous.channel_id or -1)
    if holder is None or not holder.usable:
        raise UpstreamUnavailable(
            f"Previous response '{previous.id}' is held by an upstream channel that is no longer available.",
            code="previous_response_unavailable",
        )
    return previous.holder(holder)


def _call(channel: Channel, model: str, body: dict[str, Any], path: str) -> ForwardCall:
    sent = {**body, "model": channel.upstream_model(model)}
    return ForwardCall(
        channel.base_url, channel.next_secret(), path, orjson.dumps(sent), {}, timeout_s=channel.timeout_s
    )


async def count_input_tokens(request: Request) -> Response:
    call = await intake(request)
    runtime, caller, body = call.runtime, call.caller, call.body
    model = _model(body)
    if model not in runtime.catalog.snapshot.by_model:
        raise ModelNotFound(f"The model `{model}` does not exist or you do not have access to it.", param="model")
    if not caller.key.allows_model(model):
        raise PermissionDenied(f"This API key may not use the model `{model}`.", code="model_not_allowed")
    previous = await _previous(runtime, caller, body)
    channel = _target(runtime, caller, model, previous)
    if channel is not None:
        forwarder = runtime.gate.provider_for(channel, Forwarder)
        forwarded = await forwarder.forward(_call(channel, model, body, "responses/input_tokens"))
        try:
            raw = await forwarded.read()
        finally:
            await forwarded.aclose()
        return Response(raw, media_type="application/json")
    history: list[dict[str, Any]] = []
    if previous is not None and previous.conversation is not None:
        history = [*previous.conversation, *to_chat.output_as_input(previous.response)]
    chat_body = to_chat.chat_request_from_responses({**body, "stream": False}, history)
    counted = runtime.chat.tokens.count_request(chat_body)
    answer = {"object": "response.input_tokens", "input_tokens": counted}
    return Response(orjson.dumps(answer), media_type="application/json")


async def compact_response(request: Request) -> Response:
    call = await intake(request)
    runtime, caller, body = call.runtime, call.caller, call.body
    model = _model(body)
    previous = await _previous(runtime, caller, body)
    channel = _target(runtime, caller, model, previous)
    if channel is None:
        raise InvalidRequest(
            "Compaction returns an encrypted item only an OpenAI upstream can read back, so it needs a channel "
            f"that serves the Responses API itself (an openai channel with options.responses) for `{model}`. "
            "Send the conversation as input instead.",
            param="model",
            code="unsupported_on_channel",
        )
    job_request = JobRequest(COMPACT_ENDPOINT, model, call.size, runtime.settings.relay.default_output_tokens)
    job = await runtime.gate.open_job(caller, job_request, call.request_id)

    async def attempt(provider: ChatProvider, target: Channel) -> bytes:
        assert isinstance(provider, Forwarder)
        forwarded = await provider.forward(_call(target, model, body, "responses/compact"))
        try:
            return await forwarded.read()
        finally:
            await forwarded.aclose()

    raw = await runtime.gate.run_on(job, channel, ChatProvider, attempt)
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        parsed = None
    usage = usage_of(parsed) or Usage(runtime.chat.tokens.count_text(orjson.dumps(body).decode()), 0)
    await job.succeed(usage)
    return Response(raw, media_type="application/json", headers={"x-request-id": call.request_id})
