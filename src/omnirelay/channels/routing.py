"""Which channels answer a call, in which order.

Highest priority tier first; inside a tier, weighted random without replacement; then
the next tier. Disabled channels, channels outside the account's group and channels whose
breaker is open are skipped. A *last-resort* channel (the built-in ``local`` one by default)
takes part only when no other enabled channel in the group is routed for the model, even a
failing one: an upstream error never silently moves a call to it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from omnirelay.channels.breaker import Breakers
from omnirelay.channels.model import Channel

__all__ = ["candidates", "in_route"]


def _weighted_order(tier: list[Channel], rng: random.Random) -> Iterator[Channel]:
    if len(tier) == 1:
        yield tier[0]
        return
    pool = list(tier)
    while pool:
        weights = [c.weight for c in pool]
        if sum(weights) <= 0:
            yield from pool
            return
        pick = rng.choices(range(len(pool)), weights=weights)[0]
        yield pool.pop(pick)


def in_route(channels: Sequence[Channel], group: str) -> list[Channel]:
    """The channels of ``group`` routing considers for a model, disabled ones included: last-resort
    channels only when no other enabled channel is routed for it."""
    in_group = [c for c in channels if group in c.groups]
    if any(c.enabled and not c.last_resort for c in in_group):
        return [c for c in in_group if not c.last_resort]
    return in_group


def candidates(channels: Sequence[Channel], group: str, breakers: Breakers, rng: random.Random) -> Iterator[Channel]:
    """Channels to try for one call, best first. ``channels`` all serve the requested model."""
    eligible = [c for c in in_route(channels, group) if c.usable]
    for priority in sorted({c.priority for c in eligible}, reverse=True):
        tier = [c for c in eligible if c.priority == priority]
        for channel in _weighted_order(tier, rng):
            if breakers.allows(channel.id):
                yield channel
