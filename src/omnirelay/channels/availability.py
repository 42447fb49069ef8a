"""Why no channel took a call, in words the client and the operator can act on.

The gate asks when routing left it no channel to try. Either only the operator can fix it
(every channel of the model is disabled, none is open to the account's group, none can serve
the endpoint): :class:`~omnirelay.errors.ChannelsDisabled`, which clients should not retry;
or the channels are resting after recent failures (breakers open) and a retry after the
cool-down will do: :class:`~omnirelay.errors.UpstreamUnavailable` with ``Retry-After``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from omnirelay.channels.breaker import Breakers
from omnirelay.channels.model import Channel
from omnirelay.channels.routing import in_route
from omnirelay.errors import ChannelsDisabled, UpstreamUnavailable

__all__ = ["channel_disabled", "no_channel_error"]

_LISTED = 5
_AUTH_STATUS = re.compile(r"\((40[13])\)")


def _why_disabled(channel: Channel) -> str:
    """Why, without the upstream's own words (they may name its URL or a masked key)."""
    if not channel.enabled:
        return "disabled by the operator"
    found = _AUTH_STATUS.search(channel.disabled_reason or "")
    status = f" ({found.group(1)})" if found else ""
    return f"auto-disabled after the upstream refused its credentials{status}"


def channel_disabled(channel: Channel, role: str) -> ChannelsDisabled:
    """The error for a call bound to one disabled channel; ``role`` says why it must be that one."""
    return ChannelsDisabled(
        f"The channel `{channel.name}` {role} is {_why_disabled(channel)}. Retrying will not help: "
        "the operator must fix it (its `disabled_reason` says why) or re-enable it."
    )


def _disabled(model: str, channels: Sequence[Channel]) -> ChannelsDisabled:
    reasons = [f"`{c.name}`: {_why_disabled(c)}" for c in channels[:_LISTED]]
    if len(channels) > _LISTED:
        reasons.append(f"and {len(channels) - _LISTED} more")
    return ChannelsDisabled(
        f"All channels serving `{model}` are disabled ({'; '.join(reasons)}). Retrying will not help: "
        "the operator must fix them (each channel's `disabled_reason` says why) or re-enable them."
    )


def no_channel_error(
    model: str,
    channels: Sequence[Channel],
    group: str,
    breakers: Breakers,
    can_serve: Callable[[Channel], bool],
) -> UpstreamUnavailable:
    """The error for a call none of ``channels`` (those serving ``model``) was tried for."""
    in_group = in_route(channels, group)  # a last-resort channel is not an option when others are routed
    if not in_group:
        return ChannelsDisabled(
            f"No channel serving `{model}` is open to this account's group `{group}`. Retrying will not help: "
            "the operator must add the group to a channel's `groups`.",
            code="no_channel_for_group",
        )
    usable = [c for c in in_group if c.usable]
    if not usable:
        return _disabled(model, in_group)
    serving = [c for c in usable if can_serve(c)]
    if not serving:
        types = ", ".join(sorted({f"`{c.type}`" for c in usable}))
        return ChannelsDisabled(
            f"No channel serving `{model}` can answer this endpoint (channel types: {types}). Retrying will not "
            "help: the operator must add a channel of a type that serves it.",
            code="endpoint_not_served",
        )
    wait = min(breakers.wait_s(c.id) for c in serving)
    return UpstreamUnavailable(
        f"Every channel serving `{model}` failed recently and is paused by its circuit breaker; "
        f"try again in {max(1, int(wait + 0.999))} s.",
        retry_after=wait,
    )
