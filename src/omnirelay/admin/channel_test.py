"""The channel *test* action: one cheap real call through a channel, never billed.

Without instructions it picks what the channel's type can serve: a chat model for a one-token
completion (image, audio and embedding models are passed over), else an embedding or rerank
model, else a call that needs no model (the upstream's model list, or a Midjourney-Proxy's
lookup of a task id that does not exist). The operator may name the model, the endpoint or both.
Nothing touches the ledger, breakers or auto-disable: a test only reports.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.channels.crypto import SecretBox
from omnirelay.channels.model import Channel
from omnirelay.db.tables import channels
from omnirelay.errors import InvalidRequest, NotFound, OmniRelayError
from omnirelay.outbound.fetch import outbound_client
from omnirelay.providers.base import ChatProvider, EmbeddingsProvider, ModelLister, RerankProvider, UpstreamCall
from omnirelay.providers.kind import TEST_ENDPOINTS, ChannelKind
from omnirelay.providers.registry import KINDS, build_providers, capable, stored_base_url
from omnirelay.settings import Settings
from omnirelay.tasks.family import TaskPoller

__all__ = [
    "ChannelTestPlan",
    "execute_channel_test",
    "guess_purpose",
    "plan_channel_test",
    "run_channel_test",
    "run_stored_channel_test",
]

_CAPABILITY: dict[str, type] = {
    "chat": ChatProvider,
    "embeddings": EmbeddingsProvider,
    "rerank": RerankProvider,
    "models": ModelLister,
    "midjourney": TaskPoller,
}
_METHOD = {"chat": "complete", "embeddings": "embed", "rerank": "rerank"}
_MODEL_FREE = ("models", "midjourney")
_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rerank", ("rerank",)),
    ("embeddings", ("embed", "bge-", "e5-", "minilm", "gte-")),
    ("image", ("dall-e", "gpt-image", "image", "flux", "stable-diffusion", "sdxl", "midjourney", "mj_", "imagen")),
    ("audio", ("whisper", "tts", "transcribe", "audio", "speech", "realtime")),
    ("other", ("moderation", "davinci", "babbage")),
)
_LOOKUP_PROVES_KEY = frozenset({"midjourney", "suno", "replicate"})
"""Task types whose lookup of an unknown task fails on a refused key; the other task pollers (Kling, MiniMax,
BFL, Ark, task vendors) log a failed lookup and answer "nothing known", so a wrong key would pass the test."""
_DEFAULT_TIMEOUT_S = 30.0
_UNKNOWN_TASK = "omnirelay-channel-test"


@dataclass(frozen=True, slots=True)
class ChannelTestPlan:
    endpoint: str
    model: str | None
    """None for the endpoints that need no model (``models``, ``midjourney``)."""


def guess_purpose(model: str) -> str:
    """What a model name looks like it is for, when its channel type has no opinion."""
    name = model.lower()
    for purpose, hints in _HINTS:
        if any(hint in name for hint in hints):
            return purpose
    return "chat"


def _purpose(kind: ChannelKind, model: str) -> str:
    return kind.purpose(model) or guess_purpose(model)


def _can(providers: Mapping[str, object], channel: Channel, endpoint: str) -> bool:
    if endpoint == "midjourney" and channel.type not in _LOOKUP_PROVES_KEY:
        return False
    return capable(providers, channel.type, _CAPABILITY[endpoint]) is not None


def _default(channel: Channel, kind: ChannelKind, providers: Mapping[str, object]) -> ChannelTestPlan:
    models = sorted(channel.models)
    for endpoint in kind.test_preference:
        if not _can(providers, channel, endpoint):
            continue
        if endpoint in _MODEL_FREE:
            return ChannelTestPlan(endpoint, None)
        found = next((m for m in models if _purpose(kind, m) == endpoint), None)
        if found is not None:
            return ChannelTestPlan(endpoint, found)
    for endpoint in _MODEL_FREE:
        if _can(providers, channel, endpoint):
            return ChannelTestPlan(endpoint, None)
    if not any(_can(providers, channel, e) for e in TEST_ENDPOINTS):
        raise InvalidRequest(
            f"A {channel.type} channel cannot be tested: its API has no call that is free and proves the key "
            "(the test sends only chat, embeddings, rerank, a model list or a Midjourney task lookup). Send one "
            "small request through the gateway instead.",
            param="endpoint",
        )
    raise InvalidRequest(
        f"Nothing to test on channel {channel.name!r}: none of its models ({', '.join(models)}) is one a test "
        "may call. Name a model and an endpoint.",
        param="model",
    )


def _checked_endpoint(channel: Channel, providers: Mapping[str, object], endpoint: str) -> str:
    usable = [e for e in TEST_ENDPOINTS if _can(providers, channel, e)]
    if endpoint not in usable:
        raise InvalidRequest(
            f"endpoint {endpoint!r} cannot test a {channel.type} channel; use one of: {', '.join(usable)}.",
            param="endpoint",
        )
    return endpoint


def plan_channel_test(
    channel: Channel, providers: Mapping[str, object], *, model: str | None = None, endpoint: str | None = None
) -> ChannelTestPlan:
    """What to send: the operator's choice where given, a sensible default for the rest."""
    kind = KINDS[channel.type]
    if endpoint is not None:
        endpoint = _checked_endpoint(channel, providers, endpoint)
        if endpoint in _MODEL_FREE:
            return ChannelTestPlan(endpoint, None)
        if model is None:
            model = next((m for m in sorted(channel.models) if _purpose(kind, m) == endpoint), min(channel.models))
        return ChannelTestPlan(endpoint, model)
    if model is None:
        return _default(channel, kind, providers)
    purpose = _purpose(kind, model)
    if purpose in TEST_ENDPOINTS and _can(providers, channel, purpose):
        return ChannelTestPlan(purpose, None if purpose in _MODEL_FREE else model)
    usable = ", ".join(e for e in TEST_ENDPOINTS if _can(providers, channel, e))
    raise InvalidRequest(
        f"The test action does not call {model!r} on its own: it looks like a model for {purpose}, which a test "
        f"does not send (it could cost money). Name an endpoint to call it anyway: {usable}.",
        param="endpoint",
    )


def _call(channel: Channel, body: dict[str, Any]) -> UpstreamCall:
    return UpstreamCall(base_url=channel.base_url, secret=channel.next_secret(), body=body, timeout_s=channel.timeout_s)


def _body(endpoint: str, upstream_model: str) -> dict[str, Any]:
    if endpoint == "chat":
        return {"model": upstream_model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
    if endpoint == "embeddings":
        return {"model": upstream_model, "input": "ping"}
    return {"model": upstream_model, "query": "ping", "documents": ["ping", "pong"], "top_n": 1}


def _sender(
    providers: Mapping[str, object], channel: Channel, plan: ChannelTestPlan
) -> Callable[[], Awaitable[object]]:
    provider: Any = capable(providers, channel.type, _CAPABILITY[plan.endpoint])
    if plan.endpoint == "models":
        return lambda: provider.list_models(channel.base_url, channel.next_secret())
    if plan.endpoint == "midjourney":
        return lambda: provider.poll(channel, [_UNKNOWN_TASK])
    call = _call(channel, _body(plan.endpoint, channel.upstream_model(plan.model or "")))
    method = getattr(provider, _METHOD[plan.endpoint])
    return lambda: method(call)


async def execute_channel_test(
    channel: Channel, providers: Mapping[str, object], plan: ChannelTestPlan
) -> dict[str, Any]:
    """``{ok: true, model, endpoint, latency_ms}`` or ``{ok: false, model, endpoint, status, error}``."""
    send = _sender(providers, channel, plan)
    timeout_s = channel.timeout_s or _DEFAULT_TIMEOUT_S
    answer: dict[str, Any] = {"ok": False, "model": plan.model, "endpoint": plan.endpoint}
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            await send()
    except TimeoutError:
        return answer | {"status": 504, "error": f"no answer within {timeout_s:g} s"}
    except OmniRelayError as exc:
        return answer | {"status": exc.status_code, "error": exc.message}
    return answer | {"ok": True, "latency_ms": int((time.perf_counter() - started) * 1000)}


async def run_channel_test(
    channel: Channel, providers: Mapping[str, object], *, model: str | None = None, endpoint: str | None = None
) -> dict[str, Any]:
    return await execute_channel_test(
        channel, providers, plan_channel_test(channel, providers, model=model, endpoint=endpoint)
    )


async def run_stored_channel_test(
    engine: AsyncEngine,
    box: SecretBox,
    settings: Settings,
    channel_id: int,
    *,
    model: str | None = None,
    endpoint: str | None = None,
) -> dict[str, Any]:
    """The test for a process without a running gateway (the CLI): the channel as stored, providers
    on an HTTP session of its own."""
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(channels).where(channels.c.id == channel_id))).mappings().one_or_none()
    if row is None:
        raise NotFound(f"No channel with id {channel_id}.")
    channel = Channel.from_row(row, box.open(row["secrets"]), stored_base_url)
    links = outbound_client(settings, settings.outbound.allow_networks)
    try:
        async with aiohttp.ClientSession() as session:
            providers = build_providers(session, settings, links)
            return await run_channel_test(channel, providers, model=model, endpoint=endpoint)
    finally:
        await links.close()
