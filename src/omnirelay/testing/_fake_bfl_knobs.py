"""Knobs of the fake BFL upstream: whose key it takes, how fast tasks walk, and how things go wrong.

Every knob may be flipped between calls (tests run the fake in another thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FakeBflKnobs"]


@dataclass
class FakeBflKnobs:
    """What the fake does; the defaults behave like a healthy BFL account with credits left."""

    api_keys: list[str] = field(default_factory=list)
    """``x-key`` values taken; empty: any caller (a key is still required)."""
    step_s: float = 0.3
    """How long each step of a task lasts: Pending, then ``progress_steps`` steps with progress, then the end."""
    progress_steps: int = 2
    latency_s: float = 0.0
    """Wait before answering every API call (not the file routes)."""
    fail_next: int = 0
    """The next N accepted tasks end ``Error``."""
    fail_prompts_containing: list[str] = field(default_factory=list)
    """Tasks whose prompt contains one of these end ``Error``."""
    request_moderated_prompts_containing: list[str] = field(default_factory=list)
    """Tasks whose prompt contains one of these end ``Request Moderated`` (at once, without progress)."""
    content_moderated_prompts_containing: list[str] = field(default_factory=list)
    """Tasks whose prompt contains one of these end ``Content Moderated`` (after running)."""
    error_next: int = 0
    """The next N submits answer 500 (an upstream fault, nothing is created)."""
    rate_limited: bool = False
    """Submits answer 429 (too many active tasks)."""
    out_of_credits: bool = False
    """Submits answer 402 (insufficient credits)."""
    hold: bool = False
    """Tasks stay Pending until ``fake.release()``."""
    polling_base: str | None = None
    """Answer ``polling_url`` on this base instead of the fake's own (a region, or a host to be refused)."""
