"""The seam between the Kling family and the upstreams that serve it (``providers/kling/``).

The family checks the client's create (Kling's official body) and hands the adapter its kind
and body, the client's ``callback_url`` already removed (the gateway sends its own webhooks;
the upstream must not learn the client's URL). The adapter answers an opaque upstream id to poll,
and reports tasks as :class:`~omnirelay.tasks.model.UpstreamState` whose ``result`` holds the
upstream's ``task_result`` (``videos`` / ``images`` with the upstream's URLs, which the family
never shows: it serves them behind its own signed links).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from omnirelay.channels.model import Channel

__all__ = ["KINDS", "KlingAccepted", "KlingKind", "KlingSubmit", "KlingUpstream"]

KlingKind = Literal["text2video", "image2video", "images"]
KINDS: tuple[KlingKind, ...] = ("text2video", "image2video", "images")


@dataclass(frozen=True, slots=True)
class KlingSubmit:
    """A checked create: its kind, and the body as Kling takes it (``model_name`` as the client named it)."""

    kind: KlingKind
    body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KlingAccepted:
    upstream_id: str
    """What the adapter polls the task by (its own encoding: kind, task id, which key made it)."""


@runtime_checkable
class KlingUpstream(Protocol):
    async def submit(self, channel: Channel, submit: KlingSubmit) -> KlingAccepted:
        """Start the task; raises an :class:`~omnirelay.errors.UpstreamError` when the upstream does not."""
        ...
