"""The seam between the Suno family and the upstreams that serve it (``providers/suno/``).

The family speaks the aggregator format (spec §2A) to clients and hands an adapter the client's
submit as it came; the adapter speaks its channel's dialect and answers in neutral terms:
:class:`~omnirelay.tasks.model.UpstreamState` with ``result["data"]`` in the 2A shape (a list of
clips for music, ``{id, status, title, text}`` for lyrics), whatever the dialect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.tasks.model import UpstreamState

__all__ = ["SunoAccepted", "SunoAccountCall", "SunoOperation", "SunoSubmit", "SunoUpstream", "SubmitAction"]

SubmitAction = Literal["music", "lyrics", "concat"]
SunoOperation = Literal[
    "upload_audio",
    "upload_finish",
    "upload_status",
    "initialize_clip",
    "upload_audio_url",
    "create_persona",
    "clip_timing",
    "clip_wav",
    "clip_mp4",
    "clip_midi",
    "upsample_tags",
]
"""The calls that make no task: the upload flow, personas, and the ``/suno/act/*`` reads of a clip
(aligned lyrics, WAV, MP4, MIDI) and tag upsampling."""


@dataclass(frozen=True, slots=True)
class SunoSubmit:
    """``POST /suno/submit/{action}`` as the client sent it."""

    action: SubmitAction
    body: Mapping[str, Any] = field(default_factory=dict)
    origin: str | None = None
    """The upstream id of the task ``body["task_id"]`` names (continuations), resolved by the family."""


@dataclass(frozen=True, slots=True)
class SunoAccepted:
    """The upstream took the submit."""

    upstream_id: str | None
    """What to poll; None when :attr:`state` is final already (a lyrics answer given at once)."""
    state: UpstreamState | None = None
    """What the submit's answer already tells (dialects that answer with the clips themselves)."""


@dataclass(frozen=True, slots=True)
class SunoAccountCall:
    """An upload, persona or ``act`` call, relayed as the client sent it (2A answers most raw, no task envelope)."""

    operation: SunoOperation
    body: Mapping[str, Any] = field(default_factory=dict)
    upload_id: str | None = None
    """For the calls on one upload (``/suno/uploads/audio/{id}/...``)."""
    clip_id: str | None = None
    """For the reads of one clip (``/suno/act/{timing,wav,mp4,midi}/{clip_id}``): the upstream's clip id."""


@runtime_checkable
class SunoUpstream(Protocol):
    async def submit(self, channel: Channel, submit: SunoSubmit) -> SunoAccepted:
        """Start the task; raises an :class:`~omnirelay.errors.UpstreamError` when the upstream does not."""
        ...

    async def relay(self, channel: Channel, call: SunoAccountCall) -> Any:
        """The upstream's JSON answer to an account call, as 2A shapes it (envelope included where 2A has one)."""
        ...
