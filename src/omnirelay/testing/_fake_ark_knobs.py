"""Knobs of the fake Ark upstream: whose keys it takes, how fast tasks walk, and how things go wrong.

Every knob may be flipped between calls (tests run the fake in another thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_FAIL_REASON", "FakeArkKnobs"]

DEFAULT_FAIL_REASON = "The fake upstream was told to fail this task (fail_next / fail_prompts_containing)."


@dataclass
class FakeArkKnobs:
    """What the fake does; the defaults behave like a healthy Ark account."""

    keys: list[str] = field(default_factory=list)
    """API keys taken as ``Authorization: Bearer <key>``; empty: any key."""
    step_s: float = 0.5
    """How long a Seedance task stays ``queued``, then ``running``, before it ends."""
    latency_s: float = 0.0
    """Wait before answering every API call (not the file routes)."""
    fail_next: int = 0
    """The next N accepted tasks end ``failed``."""
    expire_next: int = 0
    """The next N accepted tasks end ``expired`` (never run)."""
    fail_prompts_containing: list[str] = field(default_factory=list)
    fail_reason: str = DEFAULT_FAIL_REASON
    moderate_prompts_containing: list[str] = field(default_factory=list)
    """Calls whose prompt contains one of these are refused at once (400 InputTextSensitiveContentDetected)."""
    error_next: int = 0
    """The next N calls (images or task creates) answer 500 InternalServiceError; nothing is made."""
    rate_limit_next: int = 0
    """The next N calls answer 429 RateLimitExceeded."""
    hold: bool = False
    """Tasks stay ``queued`` until ``fake.release()`` (so they can be cancelled)."""
    send_callbacks: bool = True
    reported_resolution: str | None = None
    """The ``resolution`` every finished video reports; None: what was asked (or Ark's default)."""
    reported_duration: int | None = None
    """The ``duration`` every finished video reports; None: what was asked (or 5)."""
    sequence_images: int = 3
    """Images a ``sequential_image_generation: auto`` call makes (at most its ``max_images``)."""
    image_format: str = "png"
    """``png`` or ``jpg``: the format of the images served."""
