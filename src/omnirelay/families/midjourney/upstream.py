"""The seam between the Midjourney family and whatever serves it (a Midjourney-Proxy, the local provider)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.tasks.model import UpstreamState

__all__ = [
    "CREATED",
    "ImageSeeds",
    "MJAnswer",
    "MJCall",
    "MediaStream",
    "MidjourneyCallbacks",
    "MidjourneyCancel",
    "MidjourneyUpstream",
    "RefusedByUpstream",
]

CREATED = frozenset({1, 21, 22})
"""Codes after which a task exists upstream (accepted, needs a modal, queued)."""


@dataclass(frozen=True, slots=True)
class MJCall:
    path: str
    """Proxy path of the submit, e.g. ``/mj/submit/imagine``."""
    body: dict[str, Any]
    """The client's body, parent ids already mapped to the upstream's ids."""
    mode: str | None = None
    """``fast``, ``relax`` or ``turbo`` from the client's path prefix."""
    callback_url: str | None = None
    """Where the upstream should report progress (the gateway's callback URL for this one task)."""


@dataclass(frozen=True, slots=True)
class MJAnswer:
    code: int
    description: str
    result: Any = None
    properties: dict[str, Any] = field(default_factory=dict)
    finished: UpstreamState | None = None
    """Set by providers that finish the work during the submit (the local describe)."""

    @property
    def created(self) -> bool:
        return self.code in CREATED


class RefusedByUpstream(UpstreamError):
    """The upstream answered with a code meaning "not now" (no account, queue full): try another channel."""

    def __init__(self, answer: MJAnswer) -> None:
        super().__init__(
            f"The upstream refused the task (code {answer.code}): {answer.description}", code="upstream_refused"
        )
        self.answer = answer


@runtime_checkable
class MidjourneyUpstream(Protocol):
    async def submit(self, channel: Channel, call: MJCall) -> MJAnswer: ...


class MediaStream(Protocol):
    """An image or video the upstream produced, opened (by the outbound guard): its head is known and
    checked, its body not yet read."""

    content_type: str
    length: int | None
    status: int
    """200, or 206 for the byte range a client asked for (video seeking)."""
    content_range: str | None
    ranges: bool

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class MidjourneyCancel(Protocol):
    async def cancel(self, channel: Channel, upstream_id: str) -> bool:
        """Ask the upstream to stop a task; False when it has no way to (no cancel route)."""
        ...


@runtime_checkable
class MidjourneyCallbacks(Protocol):
    def parse_callback(self, body: bytes) -> tuple[str, UpstreamState] | None:
        """(upstream id, state) from a progress report the upstream POSTed to us, or None."""
        ...


@runtime_checkable
class ImageSeeds(Protocol):
    async def image_seed(self, channel: Channel, upstream_id: str) -> MJAnswer: ...
