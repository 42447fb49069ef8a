"""The price names of the Ark family, most specific first (as images do: ``dall-e-3:1024x1024``).

* images: ``{model}:{size}`` (``doubao-seedream-4-0-250828:2K``), then ``{model}``; per image;
* Seedance videos: ``{model}:{resolution}:{duration}`` (``doubao-seedance-1-0-pro-250528:1080p:10``),
  ``{model}:{resolution}``, ``{model}``; per video.

Every name is billed per call; the known models' base names are collected with other families' in
``billing/per_call_families.py``, so a per-token price is refused on them.
"""

from __future__ import annotations

__all__ = [
    "IMAGE_MODELS",
    "PER_CALL_CHANNEL_TYPES",
    "PER_CALL_PRICES",
    "VIDEO_MODELS",
    "image_price_names",
    "video_price_names",
]

IMAGE_MODELS: tuple[str, ...] = (
    "doubao-seedream-3-0-t2i-250415",
    "doubao-seededit-3-0-i2i-250628",
    "doubao-seedream-4-0-250828",
)
VIDEO_MODELS: tuple[str, ...] = (
    "doubao-seedance-1-0-pro-250528",
    "doubao-seedance-1-0-lite-t2v-250428",
    "doubao-seedance-1-0-lite-i2v-250428",
    "doubao-seedance-1-5-pro-251215",
    "doubao-seedance-2-0-260128",
    "doubao-seedance-2-0-fast-260128",
)
PER_CALL_PRICES: tuple[str, ...] = IMAGE_MODELS + VIDEO_MODELS
PER_CALL_CHANNEL_TYPES: tuple[str, ...] = ("ark",)
"""An Ark channel's images and videos report no billable token usage here (priced per image or video)."""


def image_price_names(model: str, size: str | None) -> list[str]:
    return [f"{model}:{size}", model] if size else [model]


def video_price_names(model: str, resolution: str, duration: int) -> list[str]:
    return [f"{model}:{resolution}:{duration}", f"{model}:{resolution}", model]
