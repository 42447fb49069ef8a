"""Prices, breaker, limiter and routing order: the arithmetic and state machines behind the relay."""

from __future__ import annotations

import random
import time
from fractions import Fraction

import pytest

from omnirelay.accounts.keys import KeyRecord, generate_key, hash_key, key_hint
from omnirelay.accounts.limits import KeyLimiter
from omnirelay.billing.prices import Price, parse_multiplier
from omnirelay.channels.breaker import Breakers
from omnirelay.channels.model import Channel
from omnirelay.channels.routing import candidates
from omnirelay.errors import RateLimited


def key(**scopes: object) -> KeyRecord:
    values: dict[str, object] = {
        "id": 1,
        "account_id": 1,
        "name": "k",
        "key_hint": "sk-...",
        "models": None,
        "networks": None,
        "expires_at": None,
        "spend_cap": None,
        "spent": 0,
        "rpm": None,
        "tpm": None,
        "max_concurrency": None,
        "enabled": True,
    }
    values.update(scopes)
    return KeyRecord(**values)  # type: ignore[arg-type]


def test_token_prices_round_up_to_a_whole_micro_unit() -> None:
    price = Price("m", "per_token", input_per_million=150_000, output_per_million=600_000)
    assert price.cost(1_000_000, 0) == 150_000
    assert price.cost(1, 1) == 1  # 0.75 micro-units owed -> 1
    assert price.cost(10, 10, Fraction(3, 2)) == 12  # (1.5 + 6) * 1.5 = 11.25 -> 12
    assert Price("m", "per_call", per_call=100).cost(999, 999, parse_multiplier("0.5")) == 50
    assert Price("m", "free").cost(10**9, 10**9) == 0


def test_negative_multiplier_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_multiplier("-1")


def test_keys_are_long_random_and_stored_as_hashes() -> None:
    first, second = generate_key(), generate_key()
    assert first.startswith("sk-") and len(first) == 51 and first != second
    assert hash_key(first) != first and len(hash_key(first)) == 64
    assert key_hint(first) == f"{first[:7]}...{first[-4:]}"


def test_breaker_opens_half_opens_and_closes() -> None:
    breakers = Breakers(failures=2, cooldown_s=0.05)
    breakers.record_failure(7)
    assert breakers.allows(7)
    breakers.record_failure(7)
    assert not breakers.allows(7)
    time.sleep(0.06)
    assert breakers.allows(7), "one trial after the cool-down"
    assert not breakers.allows(7), "only one trial at a time"
    breakers.record_success(7)
    assert breakers.allows(7) and breakers.allows(7)


def test_concurrency_and_rpm_limits() -> None:
    limiter = KeyLimiter()
    limited = key(max_concurrency=1, rpm=2)
    first = limiter.admit(limited)
    with pytest.raises(RateLimited, match="concurrent"):
        limiter.admit(limited)
    limiter.release(first, 0)
    limiter.release(first, 0)  # idempotent
    limiter.release(limiter.admit(limited), 0)
    with pytest.raises(RateLimited) as caught:
        limiter.admit(limited)
    assert caught.value.headers["Retry-After"] == "30"


def _channel(channel_id: int, priority: int, weight: int = 1, enabled: bool = True) -> Channel:
    row = {
        "id": channel_id,
        "name": f"c{channel_id}",
        "type": "openai",
        "base_url": "http://x",
        "models": ["m"],
        "model_map": {},
        "priority": priority,
        "weight": weight,
        "groups": ["default"],
        "timeout_s": None,
        "enabled": enabled,
        "auto_disabled": False,
        "disabled_reason": None,
    }
    return Channel.from_row(row, [])


def test_routing_tries_priority_tiers_in_order_and_skips_disabled() -> None:
    channels = [_channel(1, 0), _channel(2, 10), _channel(3, 10), _channel(4, 20, enabled=False)]
    order = [c.id for c in candidates(channels, "default", Breakers(5, 1), random.Random(1))]
    assert sorted(order[:2]) == [2, 3] and order[2] == 1 and 4 not in order
    assert list(candidates(channels, "vip", Breakers(5, 1), random.Random(1))) == []


def test_weights_spread_load_within_a_tier() -> None:
    channels = [_channel(1, 0, weight=3), _channel(2, 0, weight=1)]
    rng = random.Random(42)
    firsts = [next(candidates(channels, "default", Breakers(5, 1), rng)).id for _ in range(4000)]
    share = firsts.count(1) / len(firsts)
    assert 0.7 < share < 0.8
