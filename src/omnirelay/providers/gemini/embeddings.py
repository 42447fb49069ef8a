"""Pure conversions between OpenAI's ``/v1/embeddings`` and Gemini's ``embedContent`` /
``batchEmbedContents`` (§2.6).

One text goes to ``:embedContent``, several to ``:batchEmbedContents`` (one request each, in
order); ``dimensions`` becomes ``outputDimensionality``. Token arrays cannot be sent (Gemini
embeds text). The answer is OpenAI's list, as floats or, when asked, as base64 of little-endian
float32 (what the ``openai`` SDK asks for by default).

Gemini's embedding endpoints report no token usage. The gateway estimates it with Google's own
rule of thumb, one token per four characters (rounded up, per input), and both bills and
reports that figure, so the ``usage`` a client sees is the one it pays for.
"""

from __future__ import annotations

import base64
import struct
from typing import Any, NoReturn

from omnirelay.errors import UpstreamError, UpstreamRejected
from omnirelay.providers.usage import Usage

__all__ = ["embedding_request", "estimated_tokens", "openai_embeddings_from_gemini"]

_CHARS_PER_TOKEN = 4


def _reject(message: str, param: str) -> NoReturn:
    raise UpstreamRejected(message, status_code=400, type="invalid_request_error", code=None, param=param)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    _reject("This channel embeds text: 'input' must be a non-empty string or a list of them.", "input")


def estimated_tokens(texts: list[str]) -> int:
    return sum(-(-len(text) // _CHARS_PER_TOKEN) for text in texts)


def embedding_request(body: dict[str, Any], model: str) -> tuple[str, dict[str, Any], list[str]]:
    """The Gemini method, its body, and the texts sent (for the usage estimate)."""
    texts = _texts(body.get("input"))
    extra: dict[str, Any] = {}
    dimensions = body.get("dimensions")
    if isinstance(dimensions, int) and not isinstance(dimensions, bool):
        extra["outputDimensionality"] = dimensions
    if len(texts) == 1:
        return "embedContent", {"content": {"parts": [{"text": texts[0]}]}, **extra}, texts
    requests = [{"model": f"models/{model}", "content": {"parts": [{"text": t}]}, **extra} for t in texts]
    return "batchEmbedContents", {"requests": requests}, texts


def _vectors(answer: dict[str, Any]) -> list[list[float]]:
    found = answer.get("embeddings") if "embeddings" in answer else [answer.get("embedding")]
    vectors: list[list[float]] = []
    for item in found if isinstance(found, list) else ():
        values = item.get("values") if isinstance(item, dict) else None
        vectors.append([float(v) for v in values] if isinstance(values, list) else [])
    return vectors


def _encoded(vector: list[float], encoding: Any) -> Any:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def openai_embeddings_from_gemini(
    answer: dict[str, Any], *, model: str, texts: list[str], encoding: Any
) -> tuple[dict[str, Any], Usage]:
    """OpenAI's embeddings list for a Gemini answer, with the estimated usage it bills."""
    vectors = _vectors(answer)
    if len(vectors) != len(texts) or not all(vectors):
        raise UpstreamError(f"the upstream answered {len(vectors)} embeddings for {len(texts)} inputs")
    data = [{"object": "embedding", "index": i, "embedding": _encoded(v, encoding)} for i, v in enumerate(vectors)]
    tokens = estimated_tokens(texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": model, "usage": usage}, Usage(tokens, 0)
