"""The price names of the Recraft family: per model, refined by vector output or by operation.

* ``/images/generations``: ``{model}:vector`` when the image is a vector one (a ``vector_illustration``
  or ``icon`` style, a ``*_vector`` model), then ``{model}``;
* every other operation: ``{model}:{operation}`` (``recraftv3:vectorize``), then ``{model}``; the
  operations that name no model (``vectorize``, ``removeBackground``, the upscales, ``eraseRegion``)
  are billed (and routed) as ``recraftv3``.

Images are held per image asked for (``n``) and settled per image returned. Every name is per call.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MODEL", "KNOWN_MODELS", "PER_CALL_CHANNEL_TYPES", "PER_CALL_PRICES", "price_names"]

DEFAULT_MODEL = "recraftv3"
KNOWN_MODELS: tuple[str, ...] = (
    "recraftv3",
    "recraftv2",
    "recraft20b",
    "refm1",
    "recraftv3_vector",
    "recraftv2_vector",
)
PER_CALL_PRICES: tuple[str, ...] = KNOWN_MODELS
PER_CALL_CHANNEL_TYPES: tuple[str, ...] = ("recraft",)


def price_names(model: str, operation: str, *, vector: bool) -> tuple[str, ...]:
    if operation == "generations":
        return (f"{model}:vector", model) if vector else (model,)
    return (f"{model}:{operation}", model)
