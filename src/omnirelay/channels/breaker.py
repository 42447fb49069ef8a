"""Per-channel circuit breaker: open after N consecutive failures, half-open after a cool-down."""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["Breakers"]


@dataclass(slots=True)
class _State:
    failures: int = 0
    open_until: float = 0.0
    trial_in_flight: bool = False


class Breakers:
    """Breaker state for every channel of this process (in memory: it reflects what *we* saw)."""

    def __init__(self, failures: int, cooldown_s: float) -> None:
        self._threshold = max(1, failures)
        self._cooldown = cooldown_s
        self._states: dict[int, _State] = {}

    def allows(self, channel_id: int) -> bool:
        """Closed: yes. Open: no, until the cool-down ends; then one trial call (half-open)."""
        state = self._states.get(channel_id)
        if state is None or state.failures < self._threshold:
            return True
        if time.monotonic() < state.open_until or state.trial_in_flight:
            return False
        state.trial_in_flight = True
        return True

    def closed(self, channel_id: int) -> bool:
        """Below the failure threshold: calls go through. Asks nothing of it (no half-open trial starts)."""
        state = self._states.get(channel_id)
        return state is None or state.failures < self._threshold

    def wait_s(self, channel_id: int) -> float:
        """Seconds until the breaker lets a trial call through (0 when closed); asks nothing of it."""
        state = self._states.get(channel_id)
        if state is None or state.failures < self._threshold:
            return 0.0
        return max(0.0, state.open_until - time.monotonic())

    def record_success(self, channel_id: int) -> None:
        self._states.pop(channel_id, None)

    def record_failure(self, channel_id: int) -> None:
        state = self._states.setdefault(channel_id, _State())
        state.failures += 1
        state.trial_in_flight = False
        if state.failures >= self._threshold:
            state.open_until = time.monotonic() + self._cooldown
