"""The price names of the BFL family: per model, refined by the image size where the model takes one.

A request looks its price up most specific first, as images do (``dall-e-3:1024x1024``):
``{model}:{width}x{height}`` (``flux-pro-1.1:1440x1440``) for the models sized by ``width`` and
``height`` (their defaults when the client names none), then ``{model}``. Every name is billed per
call (a task reports no tokens); the known models' base names are refused a per-token price.
"""

from __future__ import annotations

__all__ = ["DEFAULT_SIZE", "KNOWN_MODELS", "PER_CALL_CHANNEL_TYPES", "SIZED_MODELS", "price_names"]

SIZED_MODELS: tuple[str, ...] = ("flux-pro-1.1", "flux-pro", "flux-dev")
"""Models whose output size is ``width`` x ``height`` (256-1440, multiples of 32)."""
DEFAULT_SIZE = (1024, 768)
"""BFL's defaults for ``width`` and ``height``."""
KNOWN_MODELS: tuple[str, ...] = (
    *SIZED_MODELS,
    "flux-pro-1.1-ultra",
    "flux-kontext-pro",
    "flux-kontext-max",
    "flux-pro-1.0-fill",
    "flux-pro-1.0-canny",
    "flux-pro-1.0-depth",
    "flux-pro-1.0-expand",
    "flux-2-pro",
    "flux-2-flex",
)
PER_CALL_CHANNEL_TYPES: tuple[str, ...] = ("bfl",)
"""A BFL channel never reports token usage, whatever models it lists."""


def price_names(model: str, size: tuple[int, int] | None) -> list[str]:
    if size is None:
        return [model]
    return [f"{model}:{size[0]}x{size[1]}", model]
