"""The price names of the Kling family: per model, refined by mode and duration (videos) or resolution (images).

A create looks its price up most specific first, as images do (``dall-e-3:1024x1024``):

* videos: ``{model}:{mode}:{duration}`` (``kling-v2-1-master:pro:10``), ``{model}:{mode}``, ``{model}``;
* images: ``{model}:image:{resolution}`` (``kling-v2:image:2k``), ``{model}:image``, ``{model}``,
  held once per image asked for (``n``).

Every name is billed per call (a task reports no tokens); the known models' base names are
collected with other families' in ``billing/per_call_families.py``, so a per-token price is refused on them.
"""

from __future__ import annotations

__all__ = ["KNOWN_MODELS", "PER_CALL_CHANNEL_TYPES", "PER_CALL_PRICES", "image_price_names", "video_price_names"]

KNOWN_MODELS: tuple[str, ...] = (
    "kling-v1",
    "kling-v1-5",
    "kling-v1-6",
    "kling-v2",
    "kling-v2-new",
    "kling-v2-1",
    "kling-v2-master",
    "kling-v2-1-master",
    "kling-v2-5-turbo",
    "kling-v2-6",
)
PER_CALL_PRICES: tuple[str, ...] = KNOWN_MODELS
PER_CALL_CHANNEL_TYPES: tuple[str, ...] = ("kling",)
"""A Kling channel never reports token usage, whatever models it lists."""


def video_price_names(model: str, mode: str, duration: str) -> list[str]:
    return [f"{model}:{mode}:{duration}", f"{model}:{mode}", model]


def image_price_names(model: str, resolution: str) -> list[str]:
    return [f"{model}:image:{resolution}", f"{model}:image", model]
