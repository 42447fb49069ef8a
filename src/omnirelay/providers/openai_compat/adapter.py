"""The I/O shell: send chat completions to an OpenAI-compatible upstream with aiohttp.

aiohttp was chosen over httpx by measurement (``bench/http_clients.py``, figures in
``bench/README.md``): behind the same bare relay it carried 8-16x more requests per second
at 64 concurrent connections and 3.5-5x more at one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import aiohttp
import orjson

from omnirelay.channels.model import Channel
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.base import (
    ChatResult,
    EmbeddingsResult,
    ForwardCall,
    ImagesResult,
    ImageUpload,
    RerankResult,
    UpstreamCall,
    Usage,
)
from omnirelay.providers.forwarded import ForwardedAnswer
from omnirelay.providers.openai_compat.audio import OpenAIAudioMixin
from omnirelay.providers.openai_compat.errors import error_for_status, map_transport_errors
from omnirelay.providers.openai_compat.forward import OpenAIForward
from omnirelay.providers.openai_compat.images import OpenAIImages
from omnirelay.providers.openai_compat.transform import completion_text
from omnirelay.providers.openai_compat.videos import OpenAIVideos
from omnirelay.providers.rerank.jina import JINA
from omnirelay.providers.rerank.wire import read_answer
from omnirelay.providers.sse import data_batches
from omnirelay.providers.video import VideoJob, VideoSource
from omnirelay.tasks.model import UpstreamState

__all__ = ["OpenAICompatProvider", "SSEStream"]

_JSON = "application/json"


def _headers(secret: str | None) -> dict[str, str]:
    headers = {"Content-Type": _JSON, "Accept": _JSON}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    return headers


class SSEStream:
    """Data payloads of an upstream event stream, in batches of what one network read completed.

    Batches let the relay pass on everything that arrived together in one write.
    """

    def __init__(self, response: aiohttp.ClientResponse, hint: str) -> None:
        self._response = response
        self._hint = hint

    async def __aiter__(self) -> AsyncIterator[list[bytes]]:
        with map_transport_errors(self._hint):
            async for batch in data_batches(self._response.content.iter_any()):
                yield batch

    async def aclose(self) -> None:
        self._response.close()


class OpenAICompatProvider(OpenAIAudioMixin):
    """Chat, embeddings, rerank, model listing and ``/videos`` (video tasks) for any OpenAI-compatible API."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        links: OutboundClient,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        max_request_s: float,
    ):
        self._session = session
        self._connect = connect_timeout_s
        self._read = read_timeout_s
        self._total = max_request_s
        self._timeouts: dict[float | None, aiohttp.ClientTimeout] = {}
        self._images = OpenAIImages(session, links, self._timeout)
        self._forward = OpenAIForward(session, self._timeout)
        self._videos = OpenAIVideos(session, self._timeout)

    async def make_video(self, channel: Channel, job: VideoJob) -> str:
        """A :class:`~omnirelay.providers.video.VideoMaker`: the channel's ``/videos`` (another gateway's)."""
        return await self._videos.make_video(channel, job)

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        """The task poller of the videos :meth:`make_video` started (the only tasks ``openai`` channels run)."""
        return await self._videos.poll(channel, upstream_ids)

    async def video_source(
        self, channel: Channel, upstream_id: str, result: Mapping[str, Any], variant: str
    ) -> VideoSource | None:
        return await self._videos.video_source(channel, upstream_id, result, variant)

    def forwards(self, channel: Channel, dialect: str) -> bool:
        return self._forward.forwards(channel, dialect)

    async def forward(self, call: ForwardCall) -> ForwardedAnswer:
        return await self._forward.forward(call)

    def _timeout(self, call_timeout: float | None) -> aiohttp.ClientTimeout:
        """``sock_read`` bounds the wait for each chunk; ``total`` bounds the whole call, body included.

        Made once per distinct channel timeout (``ClientTimeout`` is immutable)."""
        timeout = self._timeouts.get(call_timeout)
        if timeout is None:
            timeout = self._timeouts[call_timeout] = aiohttp.ClientTimeout(
                total=self._total, sock_connect=self._connect, sock_read=call_timeout or self._read
            )
        return timeout

    async def _post(self, call: UpstreamCall, path: str = "/chat/completions") -> aiohttp.ClientResponse:
        url = f"{call.base_url}{path}"
        with map_transport_errors(call.base_url):
            response = await self._session.post(
                url,
                data=orjson.dumps(call.body),
                headers=_headers(call.secret),
                timeout=self._timeout(call.timeout_s),
            )
            if response.status >= 400:
                body = await response.read()
                response.release()
                raise error_for_status(response.status, body, call.base_url)
        return response

    async def _json(self, call: UpstreamCall, path: str) -> tuple[bytes, dict[str, Any]]:
        response = await self._post(call, path)
        with map_transport_errors(call.base_url):
            raw = await response.read()
        response.release()
        try:
            parsed: Any = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise error_for_status(502, raw, call.base_url) from exc
        if not isinstance(parsed, dict):
            raise error_for_status(502, raw, call.base_url)
        return raw, parsed

    async def create_images(self, call: UpstreamCall, operation: str, files: tuple[ImageUpload, ...]) -> ImagesResult:
        return await self._images.create(call, operation, files)

    async def embed(self, call: UpstreamCall) -> EmbeddingsResult:
        raw, parsed = await self._json(call, "/embeddings")
        return EmbeddingsResult(raw=raw, usage=Usage.from_wire(parsed.get("usage")))

    async def rerank(self, call: UpstreamCall) -> RerankResult:
        """vLLM, Xinference, new-api and the like: Jina's shape at ``{base}/rerank``."""
        _, parsed = await self._json(replace(call, body=JINA.request(call.body)), "/rerank")
        return read_answer(JINA, parsed, call.base_url)

    async def complete(self, call: UpstreamCall) -> ChatResult:
        raw, parsed = await self._json(call, "/chat/completions")
        return ChatResult(raw=raw, usage=Usage.from_wire(parsed.get("usage")), completion_text=completion_text(parsed))

    async def open_stream(self, call: UpstreamCall) -> SSEStream:
        response = await self._post(call)
        return SSEStream(response, call.base_url)

    async def list_models(self, base_url: str, secret: str | None) -> list[str]:
        with map_transport_errors(base_url):
            async with self._session.get(
                f"{base_url}/models", headers=_headers(secret), timeout=self._timeout(None)
            ) as response:
                body = await response.read()
                if response.status >= 400:
                    raise error_for_status(response.status, body, base_url)
        parsed = orjson.loads(body)
        return [str(m.get("id")) for m in parsed.get("data", []) if isinstance(m, dict)]
