"""``POST /v1/responses`` end to end: plan, reserve, route (pass-through or conversion), settle, store.

Each channel tried decides how it is served, inside the gate's failover: an ``openai`` channel
with the ``responses`` option gets the request as it is (model name mapped; unknown fields and
built-in tools untouched) through :class:`~omnirelay.providers.base.Forwarder`; any other chat
channel gets it converted to a chat completion request (``api/responses/to_chat.py``) and runs
through the chat relay's provider seam, its answer converted back.

``previous_response_id`` names a response this gateway stored for the caller's account (another
account's id is unknown: 404). A gateway-held one contributes its conversation (converted turns,
or expanded into ``input`` for a pass-through channel) and its channel is preferred through
channel affinity; an upstream-held one can only be continued on the channel that holds it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from omnirelay.api.responses import to_chat
from omnirelay.catalog import Catalog
from omnirelay.channels.affinity_keys import (
    affinity_key_for_header,
    affinity_key_for_previous_response,
    affinity_key_for_prompt_cache_key,
    affinity_key_for_response,
)
from omnirelay.channels.model import Channel
from omnirelay.db.engine import now_ms
from omnirelay.errors import InvalidRequest, ModelNotFound, NotFound, UpstreamUnavailable
from omnirelay.providers.base import ChatProvider, ChatResult, ForwardCall, Forwarder, Usage
from omnirelay.providers.openai_compat.transform import prepare_chat_body
from omnirelay.relay.auth import Caller
from omnirelay.relay.chat import ChatRelay, OpenedStream, open_and_prime, upstream_call
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.relay.responses_passthrough import OpenedForward, open_forward
from omnirelay.relay.responses_store import ResponsesStore, StoredResponse

__all__ = [
    "DIALECT",
    "ENDPOINT",
    "Converted",
    "Passed",
    "Plan",
    "ResponsesRelay",
    "new_response_id",
    "previous_not_found",
]

DIALECT = "openai.responses"
ENDPOINT = "/v1/responses"
"""The endpoint name in request logs."""


def new_response_id() -> str:
    return "resp_" + secrets.token_hex(24)


@dataclass(slots=True)
class Plan:
    """What one create request asks, checked before any money moves."""

    body: dict[str, Any]
    model: str
    stream: bool
    store: bool
    previous: StoredResponse | None
    history: list[dict[str, Any]]
    """The gateway-held conversation this request continues (earlier input and output items)."""
    own_items: list[dict[str, Any]] = field(default_factory=list)
    chat_body: dict[str, Any] | None = None
    """The request as a chat completion, or None when it cannot be converted (``refusal`` says why)."""
    refusal: InvalidRequest | None = None
    response_id: str = field(default_factory=new_response_id)
    created_at: int = field(default_factory=lambda: int(time.time()))

    @property
    def conversation(self) -> list[dict[str, Any]]:
        return [*self.history, *self.own_items]


@dataclass(slots=True)
class Passed:
    """A pass-through answer: the upstream's body (plain) or its opened event stream."""

    channel: Channel
    raw: bytes | None = None
    opened: OpenedForward | None = None


@dataclass(slots=True)
class Converted:
    """A chat answer to turn back into a Response: the completion (plain) or its opened stream."""

    channel: Channel
    result: ChatResult | None = None
    opened: OpenedStream | None = None


def _requested_output(body: Mapping[str, Any], default: int) -> int:
    limit = body.get("max_output_tokens")
    return limit if isinstance(limit, int) and limit > 0 else default


def _checked(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("Missing required parameter: 'model'.", param="model", code="missing_required_parameter")
    if body.get("input") is None and not body.get("previous_response_id"):
        raise InvalidRequest("Missing required parameter: 'input'.", param="input", code="missing_required_parameter")
    if body.get("previous_response_id") is not None and not isinstance(body["previous_response_id"], str):
        raise InvalidRequest("'previous_response_id' must be a string.", param="previous_response_id")
    if body.get("previous_response_id") and body.get("conversation"):
        raise InvalidRequest(
            "Mutually exclusive parameters: 'previous_response_id' and 'conversation'.", param="conversation"
        )
    return body


def previous_not_found(response_id: str) -> NotFound:
    return NotFound(
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


class ResponsesRelay:
    def __init__(
        self,
        *,
        gate: Gate,
        chat: ChatRelay,
        catalog: Catalog,
        store: ResponsesStore,
        default_output_tokens: int,
        affinity_header: str | None = None,
    ) -> None:
        self.gate = gate
        self.chat = chat
        self.store = store
        self._catalog = catalog
        self._default_output = default_output_tokens
        self._affinity_header = affinity_header

    async def plan(self, caller: Caller, raw: Any) -> Plan:
        """Check the request, load the conversation it continues, and convert it for chat channels."""
        body = _checked(raw)
        if body["model"] not in self._catalog.snapshot.by_model:  # before any other check, as for chat
            raise ModelNotFound(
                f"The model `{body['model']}` does not exist or you do not have access to it.", param="model"
            )
        previous = await self._previous(caller, body.get("previous_response_id"))
        history = [] if previous is None or previous.conversation is None else _history(previous)
        plan = Plan(
            body=body,
            model=body["model"],
            stream=body.get("stream") is True,
            store=body.get("store") is not False,
            previous=previous,
            history=history,
        )
        plan.own_items = to_chat.input_items(body)
        try:
            plan.chat_body = to_chat.chat_request_from_responses(body, history)
        except InvalidRequest as exc:
            plan.refusal = exc
        if plan.refusal is not None and self.forwarding_channel(plan.model, caller) is None:
            raise plan.refusal
        return plan

    async def _previous(self, caller: Caller, response_id: Any) -> StoredResponse | None:
        if not response_id:
            return None
        found = await self.store.get(str(response_id), caller.key.account_id)
        if found is None:
            raise previous_not_found(str(response_id))
        return found

    def forwarding_channel(self, model: str, caller: Caller) -> Channel | None:
        """The best-placed usable channel of the caller's route that passes Responses through, if any."""
        routed = [c for c in self._catalog.snapshot.by_model.get(model, []) if c.usable and caller.group in c.groups]
        return next((c for c in sorted(routed, key=lambda c: -c.priority) if self.forwarder_for(c)), None)

    def forwarder_for(self, channel: Channel) -> Forwarder | None:
        """The provider that relays Responses to ``channel`` untouched, if it does."""
        try:
            provider = self.gate.provider_for(channel, Forwarder)
        except UpstreamUnavailable:
            return None
        return provider if provider.forwards(channel, DIALECT) else None

    async def begin(
        self, caller: Caller, plan: Plan, body_size: int, request_id: str, headers: Mapping[str, str]
    ) -> Job:
        """Reserve the estimate. The conversation's identity (for channel affinity) is the previous
        response, else the body's ``prompt_cache_key`` (Codex sends its session), else the operator's
        ``relay.affinity_header``."""
        previous = plan.previous
        affinity = (
            (affinity_key_for_previous_response(previous.id) if previous is not None else None)
            or affinity_key_for_prompt_cache_key(plan.body)
            or affinity_key_for_header(headers, self._affinity_header, plan.model)
        )
        output = _requested_output(plan.body, self._default_output)
        request = JobRequest(ENDPOINT, plan.model, body_size, output, stream=plan.stream, affinity=affinity)
        return await self.gate.open_job(caller, request, request_id)

    async def run(self, job: Job, plan: Plan) -> Passed | Converted:
        """Failover over the model's channels (or the one holding the previous response); the job is
        refunded if none answers, else settled by the caller once the answer is delivered."""

        async def attempt(provider: ChatProvider, channel: Channel) -> Passed | Converted:
            forwarder = self.forwarder_for(channel)
            if forwarder is not None:
                return await self._pass(forwarder, channel, job, plan)
            return await self._convert(provider, channel, job, plan)

        previous = plan.previous
        if previous is not None and previous.upstream_held:
            return await self.gate.run_on(job, self._holder(job, previous), ChatProvider, attempt)
        if plan.refusal is not None:  # only a pass-through channel can carry it: go there, not by chance
            only = self.forwarding_channel(job.model, job.caller)
            if only is not None:
                return await self.gate.run_on(job, only, ChatProvider, attempt)
        return await self.gate.run(job, ChatProvider, attempt)

    def _holder(self, job: Job, previous: StoredResponse) -> Channel:
        """The channel an upstream-held previous response lives on, while it can still be asked."""
        channel = self._catalog.snapshot.channels.get(previous.channel_id or -1)
        if channel is None or not channel.usable or self.forwarder_for(channel) is None:
            raise UpstreamUnavailable(
                f"Previous response '{previous.id}' is held by an upstream channel that is no longer available; "
                "start a new conversation (send the earlier turns as input).",
                code="previous_response_unavailable",
            )
        if job.model not in channel.models or job.caller.group not in channel.groups:
            raise InvalidRequest(
                f"Previous response '{previous.id}' was answered on a channel that does not serve "
                f"'{job.model}' for this key; continue it with the model it used ('{previous.model}').",
                param="previous_response_id",
            )
        job.secret_index = previous.secret_index
        return previous.holder(channel)

    async def _pass(self, forwarder: Forwarder, channel: Channel, job: Job, plan: Plan) -> Passed:
        body = dict(plan.body)
        if plan.previous is not None and not plan.previous.upstream_held:
            body.pop("previous_response_id", None)  # the upstream never saw it: send the conversation itself
            body["input"] = _replayable(plan.conversation)
        body["model"] = channel.upstream_model(job.model)
        call = ForwardCall(
            base_url=channel.base_url,
            secret=channel.next_secret(),
            path="responses",
            body=orjson.dumps(body),
            headers={},
            stream=plan.stream,
            timeout_s=channel.timeout_s,
        )
        if plan.stream:
            return Passed(channel, opened=await open_forward(forwarder, call, channel))
        forwarded = await forwarder.forward(call)
        try:
            raw = await forwarded.read()
        finally:
            await forwarded.aclose()
        return Passed(channel, raw=raw)

    async def _convert(self, provider: ChatProvider, channel: Channel, job: Job, plan: Plan) -> Converted:
        if plan.chat_body is None:
            assert plan.refusal is not None
            raise plan.refusal
        prepared = prepare_chat_body(plan.chat_body, channel.upstream_model(job.model), stream=plan.stream)
        call = upstream_call(channel, prepared)
        if not plan.stream:
            return Converted(channel, result=await provider.complete(call))
        return Converted(channel, opened=await open_and_prime(provider, call))

    def counted(self, plan: Plan, text: str) -> Usage:
        """The request and ``text`` counted, for an answer that came without usage."""
        body = plan.chat_body or {"messages": [{"role": "user", "content": orjson.dumps(plan.body).decode()}]}
        return self.chat.usage_or_count(None, body, text)

    async def remember(self, job: Job, plan: Plan, response: dict[str, Any], channel: Channel, *, held: bool) -> None:
        """Store ``response`` for the caller (unless ``store`` is false) and pin its follow-ups to ``channel``.

        ``held``: the upstream stored it itself (only the id, owner and channel are kept here)."""
        response_id = response.get("id")
        if not isinstance(response_id, str) or not response_id:
            return
        if not plan.store:  # nothing can continue it: no pin either
            return
        await self.gate.stick(job, affinity_key_for_response(response_id))
        created = now_ms()
        self.store.keep(
            StoredResponse(
                id=response_id,
                account_id=job.caller.key.account_id,
                key_id=job.caller.key.id,
                created_at=created,
                expires_at=self.store.expiry(created),
                model=plan.model,
                channel_id=channel.id,
                conversation=None if held else plan.conversation,
                response=response,
                previous_response_id=plan.previous.id if plan.previous is not None else None,
                secret_index=job.secret_index if held else None,
            )
        )


def _history(previous: StoredResponse) -> list[dict[str, Any]]:
    return [*(previous.conversation or []), *to_chat.output_as_input(previous.response)]


def _replayable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items an OpenAI upstream takes back: reasoning made by a chat upstream has no
    ``encrypted_content`` the upstream could verify, so it is left out."""
    return [i for i in items if not (i.get("type") == "reasoning" and not i.get("encrypted_content"))]
