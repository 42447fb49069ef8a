"""Which channels answer a call, in which order.

Highest priority tier first; inside a tier, weighted random without replacement; then
the next tier. Disabled channels, channels outside the account's group and channels whose
breaker is open are skipped.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from omnirelay.channels.breaker import Breakers
from omnirelay.channels.model import Channel

__all__ = ["candidates"]


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


def candidates(channels: Sequence[Channel], group: str, breakers: Breakers, rng: random.Random) -> Iterator[Channel]:
    """Channels to try for one call, best first. ``channels`` all serve the requested model."""
    eligible = [c for c in channels if c.usable and group in c.groups]
    for priority in sorted({c.priority for c in eligible}, reverse=True):
        tier = [c for c in eligible if c.priority == priority]
        for channel in _weighted_order(tier, rng):
            if breakers.allows(channel.id):
                yield channel
