"""Routing with affinity: a conversation's pinned channel goes first while it may serve the call.

A pin counts only while its channel is enabled (not auto-disabled), still serves the model in
the caller's group and its breaker is closed: the moment one of these stops being true the pin
is ignored, routing picks as usual, and the channel that answers becomes the new pin.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from omnirelay.channels.affinity import Pin
from omnirelay.channels.breaker import Breakers
from omnirelay.channels.model import Channel
from omnirelay.channels.routing import candidates, in_route

__all__ = ["pinned_channel", "sticky_candidates"]


def _secret_still_there(channel: Channel, secret: int) -> bool:
    if not channel.secrets:
        return secret < 0
    return 0 <= secret < len(channel.secrets)


def pinned_channel(pin: Pin | None, channels: Sequence[Channel], group: str, breakers: Breakers) -> Channel | None:
    """The pinned channel if it may serve this call now, else None (the pin is then replaced)."""
    if pin is None:
        return None
    for channel in in_route(channels, group):
        if channel.id == pin.channel_id:
            healthy = channel.usable and breakers.closed(channel.id)
            return channel if healthy and _secret_still_there(channel, pin.secret) else None
    return None


def sticky_candidates(
    pinned: Channel | None, channels: Sequence[Channel], group: str, breakers: Breakers, rng: random.Random
) -> Iterator[Channel]:
    """``pinned`` first, then the usual routing order without it."""
    if pinned is None:
        yield from candidates(channels, group, breakers, rng)
        return
    yield pinned
    # filtered after routing, not before: without it, a last-resort channel could join the route
    yield from (c for c in candidates(channels, group, breakers, rng) if c.id != pinned.id)
