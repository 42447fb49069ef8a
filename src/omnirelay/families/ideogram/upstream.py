"""What the Ideogram family asks of an upstream, and what comes back (the provider seam).

An :class:`IdeogramCall` is the checked request as the client sent it (JSON for the legacy
``/generate``, a multipart form for every other operation) with the catalog model it is billed
as; the provider maps that model to the channel's name, sends it, downloads every image the
answer links to and returns an :class:`IdeogramResult`: the entries' own fields without the
upstream's URL, each with its image bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.providers.base import GeneratedImage, ImageUpload

__all__ = ["IdeogramCall", "IdeogramEntry", "IdeogramResult", "IdeogramUpstream", "upstream_path"]

_V3 = "v3/"


def upstream_path(operation: str) -> str:
    """``generate`` -> ``/generate``; ``v3/reframe`` -> ``/v1/ideogram-v3/reframe``."""
    if operation.startswith(_V3):
        return "/v1/ideogram-v3/" + operation.removeprefix(_V3)
    return "/" + operation


@dataclass(frozen=True, slots=True)
class IdeogramCall:
    operation: str
    """``generate``, ``edit``, ``remix``, ``upscale``, ``describe`` or ``v3/{generate,edit,remix,reframe,
    replace-background}``."""
    model: str | None
    """The catalog model the client named or was given (None: the operation takes no model)."""
    json: dict[str, Any] | None = None
    """The body of the legacy ``/generate`` (``{"image_request": {...}}``); None for a form."""
    fields: tuple[tuple[str, str], ...] = ()
    """A form's text fields as the client sent them."""
    files: tuple[ImageUpload, ...] = ()


@dataclass(frozen=True, slots=True)
class IdeogramEntry:
    fields: dict[str, Any]
    """The answer's entry (``prompt``, ``resolution``, ``is_image_safe``, ``seed``, ``style_type``...)
    without its ``url``."""
    image: GeneratedImage | None
    """None when the upstream gave no image for it (one it withheld as unsafe)."""


@dataclass(frozen=True, slots=True)
class IdeogramResult:
    created: str
    entries: tuple[IdeogramEntry, ...] = ()
    descriptions: tuple[str, ...] = ()
    """What ``/describe`` answered."""

    @property
    def images(self) -> tuple[GeneratedImage, ...]:
        return tuple(entry.image for entry in self.entries if entry.image is not None)


@runtime_checkable
class IdeogramUpstream(Protocol):
    async def ideogram(self, channel: Channel, call: IdeogramCall) -> IdeogramResult:
        """Send ``call`` to ``channel``; an error of the one tree when the upstream refuses or fails."""
        ...
