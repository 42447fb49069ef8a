"""Channel affinity: a conversation sticks to one channel and one upstream key while that channel is healthy.

Two fake OpenAI upstreams of equal priority and weight, three secrets each: which channel and
which key answered is read from what each fake received (its ``Authorization`` header).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anthropic
import openai
import pytest

from conftest import USER_KEY, Gateway, Upstream, channel, funded, per_token, sqlite_only
from omnirelay.channels.affinity import MemoryAffinity, Pin, RedisAffinity
from omnirelay.channels.affinity_keys import (
    affinity_key_for_anthropic,
    affinity_key_for_header,
    affinity_key_for_previous_response,
    affinity_key_for_prompt_cache_key,
)

Route = tuple[str, str]
"""(channel name, upstream key) that answered one call."""


class Pair:
    """A gateway in front of upstreams ``a`` and ``b``, and a way to tell which one answered a call."""

    def __init__(self, gateway: Gateway, upstreams: dict[str, Upstream]) -> None:
        self.gateway = gateway
        self.upstreams = upstreams
        self._client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)

    def client(self) -> openai.OpenAI:
        return self._client

    def ask(self, conversation: str | None = None, **extra: Any) -> Route:
        before = {name: len(u.chat_requests()) for name, u in self.upstreams.items()}
        body: dict[str, Any] = {"prompt_cache_key": conversation} if conversation else {}
        self.client().chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "hi"}], extra_body=body, **extra
        )
        return self.answered(before)

    def answered(self, before: dict[str, int]) -> Route:
        [route] = [
            (name, u.chat_requests()[-1].headers["authorization"].removeprefix("Bearer "))
            for name, u in self.upstreams.items()
            if len(u.chat_requests()) > before[name] and u.knobs.status is None  # a failing one did not answer
        ]
        return route


def _secrets(name: str) -> list[str]:
    return [f"sk-{name}{i}" for i in range(3)]


def two_channels(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], **settings: Any) -> Pair:
    upstreams = {"a": make_upstream(), "b": make_upstream()}
    relay = {"breaker_failures": 1, "breaker_cooldown_s": 0.3, **settings.pop("relay", {})}
    gateway = make_gateway(
        **funded(),
        channels=[channel(name, u, secrets=_secrets(name)) for name, u in upstreams.items()],
        prices=[per_token()],
        relay=relay,
        **settings,
    )
    return Pair(gateway, upstreams)


def channel_id(gateway: Gateway, name: str) -> int:
    return int(next(c["id"] for c in gateway.admin_json("GET", "/api/admin/channels")["data"] if c["name"] == name))


def test_a_conversation_sticks_to_one_channel_and_key(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    pair = two_channels(make_upstream, make_gateway)
    first = pair.ask("conversation-1")
    assert [pair.ask("conversation-1") for _ in range(8)] == [first] * 8, "same channel and same upstream key"
    spread = {pair.ask(f"conversation-{i}") for i in range(2, 26)}
    assert {name for name, _ in spread} == {"a", "b"}, "different conversations spread over the channels"
    assert len(spread) > 2, "and over their keys"
    anonymous = {pair.ask() for _ in range(6)}
    assert len(anonymous) > 1, "requests without a conversation keep rotating"


@sqlite_only
@pytest.mark.parametrize("change", [{"enabled": False}, {"models": ["gpt-other"]}, {"groups": ["vip"]}])
def test_a_channel_that_stops_serving_loses_its_conversations(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], change: dict[str, Any]
) -> None:
    pair = two_channels(make_upstream, make_gateway)
    pinned, _ = pair.ask("talk")
    pair.gateway.admin_json("PATCH", f"/api/admin/channels/{channel_id(pair.gateway, pinned)}", json=change)
    moved = pair.ask("talk")
    assert moved[0] != pinned, "the conversation moved the moment its channel stopped serving it"
    assert [pair.ask("talk") for _ in range(4)] == [moved] * 4, "and sticks to its new channel and key"
    restore = {"enabled": True, "models": ["gpt-test"], "groups": ["default"]}
    pair.gateway.admin_json("PATCH", f"/api/admin/channels/{channel_id(pair.gateway, pinned)}", json=restore)
    assert pair.ask("talk") == moved, "coming back does not take the conversation back"


@sqlite_only
def test_an_open_breaker_moves_the_conversation(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    pair = two_channels(make_upstream, make_gateway)
    pinned, _ = pair.ask("talk")
    failing = pair.upstreams[pinned]
    failing.knobs.status = 500
    moved = pair.ask("talk")  # the pinned channel fails once: its breaker opens, the next channel answers
    assert moved[0] != pinned
    calls = len(failing.chat_requests())
    failing.knobs.status = None
    assert [pair.ask("talk") for _ in range(4)] == [moved] * 4
    assert len(failing.chat_requests()) == calls, "the conversation stays where it moved, even once healed"


@sqlite_only
def test_a_session_header_is_a_conversation_when_configured(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    pair = two_channels(make_upstream, make_gateway, relay={"affinity_header": "x-session-id"})
    routes = [pair.ask(extra_headers={"X-Session-Id": "s-1"}) for _ in range(6)]
    assert routes == [routes[0]] * 6
    assert len({pair.ask(extra_headers={"X-Session-Id": f"s-{i}"}) for i in range(2, 20)}) > 1


@sqlite_only
def test_an_anthropic_conversation_with_a_cached_prefix_sticks(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    pair = two_channels(make_upstream, make_gateway)
    claude = anthropic.Anthropic(base_url=pair.gateway.url, api_key=USER_KEY, max_retries=0)
    system: Any = [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}]
    history: list[Any] = []
    routes = []
    for turn in range(5):  # the breakpoint moves to the newest message every turn, as Claude Code does
        question = {"type": "text", "text": f"question {turn}", "cache_control": {"type": "ephemeral"}}
        history = [*_without_markers(history), {"role": "user", "content": [question]}]
        before = {name: len(u.chat_requests()) for name, u in pair.upstreams.items()}
        answer = claude.messages.create(model="gpt-test", max_tokens=20, system=system, messages=history)
        routes.append(pair.answered(before))
        history.append({"role": "assistant", "content": answer.content[0].text})  # type: ignore[union-attr]
    assert routes == [routes[0]] * 5


def _without_markers(history: list[Any]) -> list[Any]:
    return [
        {**m, "content": [{k: v for k, v in b.items() if k != "cache_control"} for b in m["content"]]}
        if isinstance(m["content"], list)
        else m
        for m in history
    ]


def test_gateways_on_one_redis_share_their_conversations(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], redis_settings: dict[str, Any]
) -> None:
    first = two_channels(make_upstream, make_gateway, **redis_settings)
    second = Pair(make_gateway(**funded(), prices=[per_token()], **redis_settings), first.upstreams)
    for i in range(5):
        route = first.ask(f"shared-{i}")
        assert second.ask(f"shared-{i}") == route, "the other gateway found the pin in Redis"


def test_memory_pins_are_bounded_and_expire() -> None:
    now = [0.0]
    pins = MemoryAffinity(max_entries=3, ttl_s=10, clock=lambda: now[0])

    async def scenario() -> None:
        for i in range(4):
            await pins.put(f"k{i}", Pin(i, 0))
        assert len(pins) == 3 and await pins.get("k0") is None, "the least recently used one went first"
        now[0] = 8.0
        assert await pins.get("k1") == Pin(1, 0), "a lookup starts its expiry again"
        now[0] = 12.0
        assert await pins.get("k2") is None, "unused for ttl_s: forgotten"
        assert await pins.get("k1") == Pin(1, 0)
        await pins.put("k4", Pin(4, 1))
        await pins.put("k5", Pin(5, 2))
        assert await pins.get("k3") is None and await pins.get("k1") == Pin(1, 0)

    asyncio.run(scenario())


def test_an_unreachable_redis_falls_back_to_memory() -> None:
    async def scenario() -> None:
        pins = RedisAffinity("redis://127.0.0.1:1/0", "h7test", max_entries=10, ttl_s=60)
        try:
            assert await pins.get("k") is None
            await pins.put("k", Pin(7, 2))
            assert await pins.get("k") == Pin(7, 2), "answered from this process's memory"
        finally:
            await pins.close()

    asyncio.run(scenario())


def test_conversation_keys_come_from_their_sources() -> None:
    assert affinity_key_for_prompt_cache_key({"model": "m", "prompt_cache_key": "c1"}) == "pck:m:c1"
    assert affinity_key_for_prompt_cache_key({"model": "m"}) is None
    assert len(affinity_key_for_prompt_cache_key({"model": "m", "prompt_cache_key": "x" * 5000}) or "") < 100
    assert affinity_key_for_header({"x-session-id": "s"}, None, "m") is None, "off unless configured"
    assert affinity_key_for_header({"x-session-id": "s"}, "x-session-id", "m") == "hdr:m:s"
    assert affinity_key_for_previous_response("resp_1") == "resp:-:resp_1"
    assert affinity_key_for_previous_response(None) is None

    def request(first: Any, marker: bool = True, **extra: Any) -> dict[str, Any]:
        block = {"type": "text", "text": first, **({"cache_control": {"type": "ephemeral"}} if marker else {})}
        return {"model": "claude", "system": "be brief", "messages": [{"role": "user", "content": [block]}], **extra}

    assert affinity_key_for_anthropic(request("hello", marker=False)) is None, "no cache_control: nothing hashed"
    key = affinity_key_for_anthropic(request("hello"))
    assert key is not None and key.startswith("anth:claude:")
    later = request("hello", marker=False)
    later["messages"] += [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "more"}]
    later["cache_control"] = {"type": "ephemeral"}
    assert affinity_key_for_anthropic(later) == key, "the same conversation, its marker moved on"
    assert affinity_key_for_anthropic(request("another")) != key
    assert affinity_key_for_anthropic(request("hello", system="other")) != key
