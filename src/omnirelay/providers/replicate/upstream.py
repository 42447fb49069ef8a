"""The seam between the Replicate family (``families/replicate/``) and the upstreams that serve it.

The family hands the adapter the client's create as it came plus how it addressed the model;
the adapter answers the upstream's prediction, read into the engine's neutral
:class:`~omnirelay.tasks.model.UpstreamState` and kept whole in :attr:`ReplicatePrediction.raw`
(for the family's own rendering: output, logs, metrics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from omnirelay.errors import UpstreamRejected
from omnirelay.tasks.model import UpstreamState

__all__ = ["Addressing", "ReplicateCreate", "ReplicatePrediction", "ReplicateRejected"]

Addressing = Literal["version", "model", "deployment"]


@dataclass(frozen=True, slots=True)
class ReplicateCreate:
    """A client's create, neutral: which endpoint it used and the body it sent."""

    addressing: Addressing
    """``version``: ``POST /v1/predictions``; ``model``: ``/v1/models/{target}/predictions``;
    ``deployment``: ``/v1/deployments/{target}/predictions``."""
    target: str
    """``version``: the body's ``version`` as sent (``owner/name``, ``owner/name:hash`` or a hash);
    otherwise ``owner/name`` from the path. The channel's ``model_map`` applies to its ``owner/name``."""
    body: Mapping[str, Any]
    """The client's body as it came; only ``input`` goes upstream (never the client's webhook)."""
    wait_s: int | None = None
    """Forward ``Prefer: wait=N`` (1..60); None: do not hold the upstream."""
    cancel_after: str | None = None
    """Forward ``Cancel-After`` as the client sent it (already checked by the family)."""
    upstream_webhook: str | None = None
    """The gateway's own URL for this channel's webhooks (ingestion); None: poll only."""
    upstream_events: Sequence[str] | None = None
    """``webhook_events_filter`` for :attr:`upstream_webhook`; None: Replicate's default (output, completed)."""


@dataclass(frozen=True, slots=True)
class ReplicatePrediction:
    """One upstream prediction as the adapter read it."""

    upstream_id: str
    state: UpstreamState
    """Neutral: ``starting`` -> SUBMITTED, ``processing`` -> IN_PROGRESS, ``succeeded`` -> SUCCESS,
    ``failed`` -> FAILURE, ``canceled``/``aborted`` -> CANCEL. ``state.result["prediction"]`` holds
    the fields a client-facing prediction is made of (see :func:`~.transforms.prediction_fields`)."""
    raw: Mapping[str, Any] = field(default_factory=dict)
    """The upstream's JSON as it came (its ``urls`` point at the upstream: never show them to clients)."""

    @property
    def status(self) -> str:
        """The upstream's own status (``aborted`` and ``canceled`` are one CANCEL in :attr:`state`)."""
        return str(self.raw.get("status") or "")

    @property
    def predict_time(self) -> float | None:
        """``metrics.predict_time`` in seconds, once the upstream reports it (billing per second)."""
        metrics = self.raw.get("metrics")
        value = metrics.get("predict_time") if isinstance(metrics, Mapping) else None
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class ReplicateRejected(UpstreamRejected):
    """The upstream refused the create itself (4xx other than auth, credit, throttling).

    :attr:`problem` is its problem-details body (``title``, ``detail``, ``status`` and, for 422,
    ``invalid_fields``) so the family can relay it to the client as Replicate shaped it.
    """

    def __init__(self, message: str, *, status_code: int, param: str | None, problem: Mapping[str, Any]) -> None:
        super().__init__(
            message, status_code=status_code, type="invalid_request_error", code="invalid_input", param=param
        )
        self.problem = dict(problem)
