"""The models the fake Replicate knows (spec §1.5): what they output and which inputs they require.

A version-pinned model is found by the first 8 hex digits of its version (the spec lists only
prefixes; the fake accepts any 64-hex and reports the full version it made up from the prefix).
Any other model path or version runs as a generic image model, as an unknown model would on a
real account the fake cannot check.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["GENERIC", "MODELS", "ModelSpec", "by_name", "by_version"]


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    output: str
    """``image`` (PNG/WebP/JPEG), ``cutout`` (PNG with alpha), ``svg``, ``video`` (MP4) or ``animation`` (GIF/MP4)."""
    many: bool
    """Output is a list of URLs (``uri[]``) rather than one URL."""
    required: tuple[str, ...] = ()
    prefix: str | None = None
    """First hex digits of the version (version-pinned models); None: an official model (version ``hidden``)."""

    @property
    def version(self) -> str:
        if self.prefix is None:
            return "hidden"
        return (self.prefix + hashlib.sha256(self.name.encode()).hexdigest())[:64]


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("stability-ai/stable-diffusion", "image", True, ("prompt",), "ac732df8"),
    ModelSpec("stability-ai/sdxl", "image", True, ("prompt",), "7762fd07"),
    ModelSpec("stability-ai/stable-diffusion-inpainting", "image", True, ("prompt", "image", "mask"), "95b72231"),
    ModelSpec("stability-ai/stable-diffusion-img2img", "image", True, ("image",), "15a3689e"),
    ModelSpec("black-forest-labs/flux-schnell", "image", True, ("prompt",)),
    ModelSpec("black-forest-labs/flux-dev", "image", True, ("prompt",)),
    ModelSpec("black-forest-labs/flux-pro", "image", False, ("prompt",)),
    ModelSpec("black-forest-labs/flux-1.1-pro", "image", False, ("prompt",)),
    ModelSpec("black-forest-labs/flux-1.1-pro-ultra", "image", False, ("prompt",)),
    ModelSpec("lucataco/flux-schnell-lora", "image", True, ("prompt",), "2a6b576a"),
    ModelSpec("lucataco/flux-dev-lora", "image", True, ("prompt",), "09149576"),
    ModelSpec("lucataco/animate-diff", "video", False, ("prompt",), "beecf59c"),
    ModelSpec(
        "andreasjansson/stable-diffusion-animation", "animation", True, ("prompt_start", "prompt_end"), "ca1f5e30"
    ),
    ModelSpec("sujaykhandekar/object-removal", "image", False, ("image_path",), "153b0087"),
    ModelSpec("cjwbw/rembg", "cutout", False, ("image",), "fb8af171"),
    ModelSpec("minimax/video-01", "video", False, ("prompt",)),
    ModelSpec("minimax/video-01-live", "video", False, ("prompt", "first_frame_image")),
    ModelSpec("recraft-ai/recraft-v3", "image", False, ("prompt",)),
    ModelSpec("recraft-ai/recraft-v3-svg", "svg", False, ("prompt",)),
    ModelSpec("ideogram-ai/ideogram-v2-turbo", "image", False, ("prompt",)),
)
GENERIC = ModelSpec("fake/generic-image", "image", True)
_BY_NAME = {model.name: model for model in MODELS}


def by_name(name: str) -> ModelSpec:
    """The model at ``owner/name``; an unknown one runs as the generic image model under its own name."""
    known = _BY_NAME.get(name)
    return known if known is not None else ModelSpec(name, GENERIC.output, GENERIC.many, prefix=None)


def by_version(version: str) -> ModelSpec | None:
    """The version-pinned model a 64-hex version starts like, if any."""
    return next((m for m in MODELS if m.prefix is not None and version.startswith(m.prefix)), None)
