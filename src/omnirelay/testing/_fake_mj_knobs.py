"""Knobs of the fake Midjourney-Proxy upstream: how it answers submits and how its tasks end.

Every knob may be flipped between calls (tests run the fake in another thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Dialect", "FakeMidjourneyKnobs"]

Dialect = Literal["novicezk", "trueai"]


@dataclass
class FakeMidjourneyKnobs:
    """What the fake does; the defaults behave like a healthy, idle proxy with one account.

    ``dialect`` picks the proxy whose quirks are copied: ``"novicezk"`` (the original Java proxy)
    or ``"trueai"`` (the .NET re-implementation: queue full is code 9, unknown fetch is 204,
    DESCRIBE leaves ``prompt`` null, ``Authorization`` is accepted as well as ``mj-api-secret``).
    """

    api_secret: str | None = None
    dialect: Dialect = "novicezk"
    latency_s: float = 0.0
    submit_status: int | None = None
    submit_fail_times: int | None = None
    step_s: float = 0.05
    progress_steps: list[int] = field(default_factory=lambda: [25, 50, 75])
    queue_depth: int = 0
    queue_full: bool = False
    no_account: bool = False
    banned_words: list[str] = field(default_factory=list)
    fail_prompts_containing: list[str] = field(default_factory=list)
    fail_next: int = 0
    hold: bool = False
    remix: bool = False
    send_notify: bool = True
    video_clips: int = 4
    """Clips a VIDEO task renders when its submit names no ``batchSize`` (animate and extend buttons)."""
    cancel_supported: bool = True
    """False: ``/task/{id}/cancel`` answers 404, as on proxies without the route (novicezk)."""
