"""The offline "describe an image" engine: classifier labels + measured appearance → four prompts."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from omnirelay.providers.local.describe.appearance import measure
from omnirelay.providers.local.describe.classifier import Classifier
from omnirelay.providers.local.describe.image import MAX_PIXELS, decode
from omnirelay.providers.local.describe.prompts import compose

__all__ = ["Description", "ImageDescriber"]

_TOP_LABELS = 3


@dataclass(frozen=True)
class Description:
    prompts: list[str]  # exactly 4, each ending with " --ar W:H"
    labels: list[tuple[str, float]]  # top ImageNet labels with probabilities, best first
    palette: list[str]  # colour names, dominant first
    width: int
    height: int


class ImageDescriber:
    """Describes images on the CPU. The classifier loads on the first :meth:`describe`, which is thread-safe.

    ``cache_dir`` receives the ONNX file generated from the packaged weights on first use.
    """

    def __init__(self, cache_dir: Path) -> None:
        self._cache_dir = cache_dir
        self._classifier: Classifier | None = None
        self._loading = threading.Lock()

    def _model(self) -> Classifier:
        with self._loading:
            if self._classifier is None:
                self._classifier = Classifier(self._cache_dir)
            return self._classifier

    def describe(self, image: bytes, max_pixels: int = MAX_PIXELS) -> Description:
        """Raises :class:`~omnirelay.providers.local.describe.image.NotAnImage` for bytes it cannot decode,
        or that would decode to more than ``max_pixels`` (JPEGs count at the reduced size they decode to)."""
        decoded = decode(image, max_pixels)
        labels = self._model().top(decoded.rgb, _TOP_LABELS)
        look = measure(decoded.rgb)
        prompts = compose(labels, look, decoded.width, decoded.height)
        return Description(prompts, labels, look.palette, decoded.width, decoded.height)
