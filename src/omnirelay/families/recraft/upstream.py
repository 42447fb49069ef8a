"""What the Recraft family asks of an upstream, and what comes back (the provider seam).

A :class:`RecraftCall` is the checked request as the client sent it (JSON for
``/images/generations``, a multipart form for every other operation) with the catalog model it is
billed as; the provider maps that model to the channel's name, sends it, and returns every image
the answer holds as bytes (downloaded from its links, or decoded from ``b64_json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.providers.base import GeneratedImage, ImageUpload

__all__ = [
    "CreatedStyle",
    "RecraftCall",
    "RecraftImage",
    "RecraftResult",
    "RecraftStyles",
    "RecraftUpstream",
    "StyleCall",
]


@dataclass(frozen=True, slots=True)
class RecraftCall:
    operation: str
    """``generations``, ``imageToImage``, ``inpaint``, ``vectorize``... (the path under ``/images/``)."""
    model: str | None
    """The catalog model billed, sent as ``model`` (None: the operation takes none)."""
    json: dict[str, Any] | None = None
    fields: tuple[tuple[str, str], ...] = ()
    files: tuple[ImageUpload, ...] = ()
    vector: bool = False
    """The answer may be SVG (``vectorize``, vector styles and models)."""


@dataclass(frozen=True, slots=True)
class RecraftImage:
    image_id: str | None
    image: GeneratedImage


@dataclass(frozen=True, slots=True)
class RecraftResult:
    created: int
    entries: tuple[RecraftImage, ...]

    @property
    def images(self) -> tuple[GeneratedImage, ...]:
        return tuple(entry.image for entry in self.entries)


@runtime_checkable
class RecraftUpstream(Protocol):
    async def recraft(self, channel: Channel, call: RecraftCall) -> RecraftResult:
        """Send ``call`` to ``channel``; an error of the one tree when the upstream refuses or fails."""
        ...


@dataclass(frozen=True, slots=True)
class StyleCall:
    """A custom style to create (``POST /styles``): its base style and reference images."""

    style: str
    files: tuple[ImageUpload, ...]


@dataclass(frozen=True, slots=True)
class CreatedStyle:
    style_id: str
    """The upstream's id of the new style (it lives in that channel's Recraft account)."""

    @property
    def images(self) -> tuple[GeneratedImage, ...]:
        """None: creating a style draws nothing (the sync flow publishes no image)."""
        return ()


@runtime_checkable
class RecraftStyles(Protocol):
    async def create_style(self, channel: Channel, call: StyleCall) -> CreatedStyle:
        """Create the style on ``channel``'s account; an error of the one tree when the upstream refuses."""
        ...
