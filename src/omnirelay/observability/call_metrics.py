"""Recording one billed call's outcome into :class:`~omnirelay.observability.metrics.CallStats`."""

from __future__ import annotations

from collections.abc import Callable

from omnirelay.observability.metrics import CallStats, Histogram
from omnirelay.providers.usage import Usage

__all__ = ["CallRecorder"]

_PARTS = ("cache_read", "cache_write", "reasoning", "audio_in", "audio_out", "image_in")
_CLIENT_CLOSED = 499


def _outcome(status: int) -> str:
    if status == _CLIENT_CLOSED:
        return "client_closed"
    return "ok" if status < 400 else "error"


class CallRecorder:
    """Turns a call's end into counter updates; ``channel_name`` resolves ids from the live catalog."""

    def __init__(self, stats: CallStats, channel_name: Callable[[int], str | None]) -> None:
        self._stats = stats
        self._channel_name = channel_name

    def opened(self) -> None:
        self._stats.open_holds += 1

    def closed(
        self, *, endpoint: str, model: str, channel_id: int | None, status: int, usage: Usage, cost: int, seconds: float
    ) -> None:
        stats = self._stats
        stats.open_holds -= 1
        channel = (self._channel_name(channel_id) if channel_id is not None else None) or "none"
        key = (endpoint, model, channel, _outcome(status))
        stats.calls[key] = stats.calls.get(key, 0) + 1
        histogram = stats.duration.get((model, channel))
        if histogram is None:
            histogram = stats.duration[(model, channel)] = Histogram()
        histogram.observe(seconds)
        tokens = stats.tokens
        for kind, count in (("input", usage.prompt_tokens), ("output", usage.completion_tokens)):
            if count:
                tokens[(model, kind)] = tokens.get((model, kind), 0) + count
        for part in _PARTS:
            count = getattr(usage, part)
            if count:
                tokens[(model, part)] = tokens.get((model, part), 0) + count
        if cost:
            stats.spend[model] = stats.spend.get(model, 0) + cost
