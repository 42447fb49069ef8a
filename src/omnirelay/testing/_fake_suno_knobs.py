"""Knobs of the fake Suno upstream: which dialects answer, how fast clips walk, and how things go wrong.

Every knob may be flipped between calls (tests run the fake in another thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ActUrlShape", "Dialect", "FakeSunoKnobs"]

Dialect = Literal["both", "newapi", "gcui"]
ActUrlShape = Literal["object", "string"]

DEFAULT_FAIL_REASON = "Unable to generate audio: the fake upstream was told to fail this task (fail_tasks)."


@dataclass
class FakeSunoKnobs:
    """What the fake does; the defaults behave like a healthy account with credits left.

    ``dialect`` picks the routes that answer: ``"newapi"`` (the aggregator "Suno API" under
    ``/suno/*``, new-api's task wrapper), ``"gcui"`` (gcui-art/suno-api under ``/api/*`` and
    ``/v1/chat/completions``) or ``"both"``; the other dialect's routes answer 404. Both share one
    store, so a clip made through one is visible through the other.
    """

    api_key: str | None = None
    """Required key: ``Authorization: Bearer <key>`` (newapi and gcui), or gcui's ``Cookie: __client=<key>``."""
    dialect: Dialect = "both"
    latency_s: float = 0.0
    """Wait before answering every API call (not the media and upload-target routes)."""
    step_s: float = 0.2
    """Time between two steps of a clip's walk and of an upload's status walk."""
    streaming_steps: int = 2
    """How many steps clips stay ``streaming`` (the second clip of a task stays one step longer)."""
    clip_seconds: float = 4.0
    """Length of every generated clip: the served audio and ``metadata.duration``."""
    queue_full: bool = False
    """Submits answer 429: newapi's "upstream saturated" envelope, gcui's ``{"error": ...}``."""
    fail_next: int = 0
    """The next N submits (music, lyrics, concat, stems) answer 500, as when the upstream call fails."""
    fail_tasks: int = 0
    """The next N accepted music tasks end with their clips in ``error`` (task ``FAILURE``)."""
    fail_at_step: int = 2
    """The step of the walk where such a task fails: 1 = instead of ``queued``, 2 = instead of ``streaming``."""
    fail_reason: str = DEFAULT_FAIL_REASON
    fail_prompts_containing: list[str] = field(default_factory=list)
    """Music tasks whose prompt, description or tags contain one of these fail like ``fail_tasks``."""
    hold: bool = False
    """Clips stay ``streaming`` until ``fake.release()``."""
    credits: int = 2500
    """Credits left; each music task costs 10. Below that, submits answer 403 (newapi) or 402 (gcui)."""
    send_notify: bool = True
    """POST the task to the submit's ``notify_hook`` (newapi) on every change."""
    act_url_shape: ActUrlShape = "object"
    """``/suno/act/wav|mp4`` data: ``{"wav_file_url": ...}`` or, as some providers answer, the bare URL."""
