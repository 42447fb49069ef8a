"""The ``local`` channel type: answers OpenAI-shaped requests in-process, nothing leaves the machine."""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import TYPE_CHECKING, Any

import orjson

from omnirelay.errors import UpstreamRejected
from omnirelay.providers.base import EmbeddingsResult, RerankResult, UpstreamCall, Usage
from omnirelay.providers.local.chat import LocalChatMixin
from omnirelay.providers.local.midjourney import LocalDescribe
from omnirelay.providers.local.rerank import rerank_with
from omnirelay.providers.local.speech import LocalSpeechMixin
from omnirelay.providers.local.workers import LocalWork
from omnirelay.settings import LocalSettings

if TYPE_CHECKING:  # onnxruntime, numpy and the model load with the first call, not with the gateway
    from omnirelay.providers.local.minilm import MiniLM

__all__ = ["LOCAL_EMBEDDING_MODEL", "LocalProvider"]

LOCAL_EMBEDDING_MODEL = "all-minilm-l6-v2"
_DIMENSIONS = 384


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UpstreamRejected(
        "The local embedding model takes text input only (a string or a list of strings), not token arrays.",
        status_code=400,
        type="invalid_request_error",
        code=None,
        param="input",
    )


def _encode(vector: list[float], encoding: Any) -> Any:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


class LocalProvider(LocalSpeechMixin, LocalChatMixin, LocalDescribe):
    """Embeddings and bi-encoder rerank from MiniLM; the model loads on first use, in a worker thread.

    Every model run, of any of the mixed-in models too, goes through one :class:`LocalWork`."""

    def __init__(self, settings: LocalSettings | None = None) -> None:
        self._settings = settings or LocalSettings()
        self._work = LocalWork(self._settings)
        self._model: MiniLM | None = None
        self._loading = asyncio.Lock()

    async def _minilm(self) -> MiniLM:
        async with self._loading:
            if self._model is None:
                from omnirelay.providers.local.minilm import MiniLM

                self._model = await asyncio.to_thread(MiniLM)
        return self._model

    async def embed(self, call: UpstreamCall) -> EmbeddingsResult:
        body = call.body
        texts = _texts(body.get("input"))
        dimensions = body.get("dimensions")
        if dimensions is not None and dimensions != _DIMENSIONS:
            raise UpstreamRejected(
                f"The local embedding model has {_DIMENSIONS} dimensions; 'dimensions' cannot change that.",
                status_code=400,
                type="invalid_request_error",
                code=None,
                param="dimensions",
            )
        model = await self._minilm()
        vectors = await self._work.run(model.embed, texts)
        tokens = model.count_tokens(texts)
        data = [
            {"object": "embedding", "index": i, "embedding": _encode(v, body.get("encoding_format"))}
            for i, v in enumerate(vectors)
        ]
        answer = {
            "object": "list",
            "data": data,
            "model": body.get("model"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return EmbeddingsResult(raw=orjson.dumps(answer), usage=Usage(tokens, 0))

    async def rerank(self, call: UpstreamCall) -> RerankResult:
        return await rerank_with(await self._minilm(), call, self._work)

    async def list_models(self, base_url: str, secret: str | None) -> list[str]:
        return [LOCAL_EMBEDDING_MODEL]
