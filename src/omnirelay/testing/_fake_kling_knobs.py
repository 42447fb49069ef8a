"""Knobs of the fake Kling upstream: whose tokens it takes, how fast tasks walk, and how things go wrong.

Every knob may be flipped between calls (tests run the fake in another thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_FAIL_REASON", "FakeKlingKnobs"]

DEFAULT_FAIL_REASON = "The fake upstream was told to fail this task (fail_next / fail_prompts_containing)."


@dataclass
class FakeKlingKnobs:
    """What the fake does; the defaults behave like a healthy Kling account with resources left."""

    keys: dict[str, str] = field(default_factory=dict)
    """Access key -> secret key whose JWTs are taken; empty: any caller, no token checked."""
    token_lifetime_s: float | None = None
    """Refuse (401/1004) a token older than this since its ``nbf``, whatever its ``exp`` says
    (lets a test make the adapter re-mint without waiting 30 minutes)."""
    step_s: float = 0.5
    """How long a task stays ``submitted``, then ``processing``, before it ends."""
    latency_s: float = 0.0
    """Wait before answering every API call (not the file routes)."""
    fail_next: int = 0
    """The next N accepted tasks end ``failed``."""
    fail_prompts_containing: list[str] = field(default_factory=list)
    """Tasks whose prompt contains one of these end ``failed``."""
    fail_reason: str = DEFAULT_FAIL_REASON
    moderate_prompts_containing: list[str] = field(default_factory=list)
    """Creates whose prompt contains one of these are refused at once (400/1301, content safety)."""
    slow_prompts_containing: list[str] = field(default_factory=list)
    """Tasks whose prompt contains one of these walk ``slow_factor`` times slower."""
    slow_factor: float = 10.0
    error_next: int = 0
    """The next N creates answer 500/5000 (an upstream fault, nothing is created)."""
    out_of_resources: bool = False
    """Creates answer 429/1102 (the account's resource pack is used up)."""
    hold: bool = False
    """Tasks stay ``processing`` until ``fake.release()``."""
    send_callbacks: bool = True
    images_made: int | None = None
    """At most this many images per task, whatever ``n`` asked (an upstream that made fewer)."""
    video_seconds: str | None = None
    """The ``duration`` every video reports (e.g. ``"5.1"`` for a 10-second ask); None: what was asked."""
    video_padding_bytes: int = 0
    """Extra bytes appended to every served MP4 (a large file for streaming tests; players ignore them)."""
