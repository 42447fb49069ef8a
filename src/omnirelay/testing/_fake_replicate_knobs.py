"""Knobs of the fake Replicate upstream: how fast predictions walk, and how things go wrong.

Every knob may be flipped between calls (tests run the fake in another thread).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

__all__ = ["FakeReplicateKnobs"]

DEFAULT_FAIL_REASON = "Prediction failed: the fake upstream was told to fail it (fail_next / failure_rate)."


def _secret() -> str:
    return "whsec_" + base64.b64encode(b"omnirelay-fake-replicate-secret!").decode()


@dataclass
class FakeReplicateKnobs:
    """What the fake does; the defaults behave like a healthy Replicate account with credit left."""

    api_token: str | None = None
    """Required token (``Authorization: Bearer <token>`` or the older ``Token <token>``); None: any caller."""
    latency_s: float = 0.0
    """Wait before answering every API call (not the file routes)."""
    start_s: float = 0.5
    """How long a prediction stays ``starting`` (a cold boot)."""
    run_s: float = 1.0
    """How long it then stays ``processing`` before it ends; outputs and log lines come in between."""
    failure_rate: float = 0.0
    """Share of predictions (0..1) that end ``failed``, chosen by a seeded draw per prediction id."""
    fail_next: int = 0
    """The next N accepted predictions end ``failed``."""
    fail_prompts_containing: list[str] = field(default_factory=list)
    """Predictions whose ``input.prompt`` contains one of these end ``failed``."""
    fail_reason: str = DEFAULT_FAIL_REASON
    slow_prompts_containing: list[str] = field(default_factory=list)
    """Predictions whose ``input.prompt`` contains one of these run ``slow_factor`` times longer."""
    slow_factor: float = 10.0
    error_next: int = 0
    """The next N creates answer 500 (an upstream fault, nothing is created)."""
    queue_full: bool = False
    """Creates answer 429 ``{"detail": "Request was throttled..."}`` with ``Retry-After: 1``."""
    out_of_credit: bool = False
    """Creates answer 402 (insufficient credit)."""
    hold: bool = False
    """Predictions stay ``processing`` until ``fake.release()``."""
    min_cancel_after_s: float = 5.0
    """The smallest ``Cancel-After`` taken (Replicate's minimum is 5 s; tests may lower it)."""
    page_size: int = 100
    """Predictions per page of ``GET /v1/predictions``."""
    webhook_secret: str = field(default_factory=_secret)
    """What ``GET /v1/webhooks/default/secret`` answers and webhooks are signed with."""
    webhook_throttle_s: float = 0.5
    """At most one ``output``/``logs`` webhook per prediction in this window (``start``/``completed`` always go)."""
    webhook_retry_delays_s: tuple[float, ...] = (0.2, 1.0, 5.0, 15.0, 40.0)
    """Waits before each retry of a ``completed`` webhook that failed (intermediate ones are never retried)."""
    send_webhooks: bool = True
    deployments: dict[str, str] = field(default_factory=dict)
    """Deployment ``owner/name`` -> the model it runs; a deployment not listed runs a generic image model."""
