"""Knobs of the fake MiniMax upstream: whose keys it takes, how fast tasks walk, and how things go wrong.

Every knob may be flipped between calls (tests run the fake in another thread). MiniMax answers
errors as HTTP 200 with ``base_resp.status_code`` set: the knobs choose which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_FAIL_REASON", "FakeMiniMaxKnobs"]

DEFAULT_FAIL_REASON = "The fake upstream was told to fail this task (fail_next / fail_prompts_containing)."


@dataclass
class FakeMiniMaxKnobs:
    """What the fake does; the defaults behave like a healthy MiniMax account with balance left."""

    api_keys: list[str] = field(default_factory=list)
    """Bearer keys taken; empty: any caller (a wrong key answers base_resp 1004)."""
    step_s: float = 0.5
    """How long a task stays in each of ``Preparing``, ``Queueing`` and ``Processing``."""
    fail_next: int = 0
    """The next N accepted tasks end ``Fail``."""
    fail_prompts_containing: list[str] = field(default_factory=list)
    fail_reason: str = DEFAULT_FAIL_REASON
    moderate_prompts_containing: list[str] = field(default_factory=list)
    """Creates whose prompt contains one of these are refused at once (base_resp 1026, sensitive content)."""
    error_code: int = 0
    """Creates answer base_resp with this code (1002 rate limit, 1008 balance, 1004 auth...); 0: none."""
    error_next: int = 0
    """With ``error_code``: only the next N creates (0: every create while ``error_code`` is set)."""
    hold: bool = False
    """Tasks stay ``Processing`` until ``fake.release()``."""
    expire_old_urls: bool = False
    """Only the ``download_url`` the latest ``files/retrieve`` of a file gave works; older ones answer 403
    (as an expired signed URL does): a relay must retrieve a fresh one for each download."""
    video_padding_bytes: int = 0
    """Extra bytes appended to every served MP4 (a large file for streaming tests; players ignore them)."""
