"""Recording one billed call's outcome into :class:`~omnirelay.observability.metrics.CallMetrics`."""

from __future__ import annotations

from collections.abc import Callable

from omnirelay.observability.metrics import CallMetrics
from omnirelay.providers.usage import Usage

__all__ = ["CallRecorder"]

_PARTS = ("cache_read", "cache_write", "reasoning", "audio_in", "audio_out", "image_in")
_CLIENT_CLOSED = 499


def _outcome(status: int) -> str:
    if status == _CLIENT_CLOSED:
        return "client_closed"
    return "ok" if status < 400 else "error"


class CallRecorder:
    """Turns a call's end into counter increments; ``channel_name`` resolves ids from the live catalog."""

    def __init__(self, metrics: CallMetrics, channel_name: Callable[[int], str | None]) -> None:
        self._metrics = metrics
        self._channel_name = channel_name

    def opened(self) -> None:
        self._metrics.open_holds.inc()

    def closed(
        self, *, endpoint: str, model: str, channel_id: int | None, status: int, usage: Usage, cost: int, seconds: float
    ) -> None:
        metrics = self._metrics
        metrics.open_holds.dec()
        channel = (self._channel_name(channel_id) if channel_id is not None else None) or "none"
        metrics.calls.labels(endpoint, model, channel, _outcome(status)).inc()
        metrics.duration.labels(model, channel).observe(seconds)
        if usage.prompt_tokens:
            metrics.tokens.labels(model, "input").inc(usage.prompt_tokens)
        if usage.completion_tokens:
            metrics.tokens.labels(model, "output").inc(usage.completion_tokens)
        for part in _PARTS:
            count = getattr(usage, part)
            if count:
                metrics.tokens.labels(model, part).inc(count)
        if cost:
            metrics.spend.labels(model).inc(cost)
