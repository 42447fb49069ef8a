"""What the fake OpenAI upstream answers to ``/v1/embeddings``: deterministic, normalised vectors."""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from typing import Any

__all__ = ["embeddings_answer"]

_DEFAULT_DIMENSIONS = 64


def _vector(item: Any, dimensions: int) -> list[float]:
    seed = repr(item).encode()
    raw: list[float] = []
    counter = 0
    while len(raw) < dimensions:
        digest = hashlib.sha256(seed + counter.to_bytes(4, "little")).digest()
        raw.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    norm = math.sqrt(sum(v * v for v in raw[:dimensions])) or 1.0
    return [v / norm for v in raw[:dimensions]]


def _items(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [value]
    return list(value) if isinstance(value, list) else []


def _tokens(item: Any) -> int:
    return len(item.split()) if isinstance(item, str) else len(item)


def embeddings_answer(body: dict[str, Any], include_usage: bool) -> dict[str, Any]:
    """An OpenAI ``CreateEmbeddingResponse``; ``base64`` packs little-endian float32."""
    dimensions = body.get("dimensions") or _DEFAULT_DIMENSIONS
    items = _items(body.get("input"))
    data = []
    for index, item in enumerate(items):
        vector: Any = _vector(item, int(dimensions))
        if body.get("encoding_format") == "base64":
            vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": vector})
    answer: dict[str, Any] = {"object": "list", "data": data, "model": body.get("model")}
    if include_usage:
        tokens = sum(_tokens(item) for item in items)
        answer["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
    return answer
