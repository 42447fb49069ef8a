"""The seam between the BFL family and the upstreams that serve it (``providers/bfl/``).

The family checks the client's request (BFL's own body) and hands the adapter the model and the
body, ``webhook_url`` and ``webhook_secret`` already removed (the gateway delivers webhooks itself;
the upstream must not learn the client's URL). The adapter answers an opaque upstream id to poll,
and reports tasks as :class:`~omnirelay.tasks.model.UpstreamState` whose ``result`` holds the
upstream's ``sample`` URL (which the family never shows: it serves it behind its own signed link),
``prompt``/``seed``/timings when given, and ``bfl_status``/``details`` when a task ended badly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from omnirelay.channels.model import Channel

__all__ = ["BflAccepted", "BflSubmit", "BflUpstream"]


@dataclass(frozen=True, slots=True)
class BflSubmit:
    """A checked request: the model the client named (``flux-pro-1.1``) and the body BFL takes."""

    model: str
    body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BflAccepted:
    upstream_id: str
    """What the adapter polls the task by (its own encoding: the task id and where to poll it)."""


@runtime_checkable
class BflUpstream(Protocol):
    async def submit(self, channel: Channel, submit: BflSubmit) -> BflAccepted:
        """Start the task; raises an :class:`~omnirelay.errors.UpstreamError` when the upstream does not."""
        ...
