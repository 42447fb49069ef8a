"""The I/O shell of the ``gemini`` channel type: OpenAI-shaped calls sent to the Gemini API.

The channel's base URL is the API root (``https://generativelanguage.googleapis.com``; a
trailing ``/v1beta`` or ``/v1`` is removed when the channel is saved). Requests go to
``{root}/v1beta/models/{model}:{method}`` with the key in ``x-goog-api-key``. The conversions are
the pure functions of ``request.py``, ``answer.py``, ``stream.py`` and ``embeddings.py``;
Gemini-native calls are relayed untouched by ``forward.py``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
import structlog

from omnirelay.errors import UpstreamError, UpstreamRejected
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.base import ChatResult, EmbeddingsResult, ForwardCall, UpstreamCall, Usage
from omnirelay.providers.forwarded import ForwardedAnswer
from omnirelay.providers.gemini.answer import openai_completion_from_gemini
from omnirelay.providers.gemini.embeddings import embedding_request, openai_embeddings_from_gemini
from omnirelay.providers.gemini.errors import error_for_status, stream_error
from omnirelay.providers.gemini.forward import send_gemini
from omnirelay.providers.gemini.images import inline_linked_images
from omnirelay.providers.gemini.request import gemini_request_from_openai, model_path
from omnirelay.providers.gemini.signatures import refuses_signature, without_signatures
from omnirelay.providers.gemini.stream import GeminiChunks
from omnirelay.providers.openai_compat.errors import map_transport_errors
from omnirelay.providers.openai_compat.transform import completion_text
from omnirelay.providers.sse import SSEDecoder

if TYPE_CHECKING:
    from omnirelay.channels.model import Channel

__all__ = ["GeminiProvider", "GeminiStream"]

log = structlog.get_logger(__name__)

_JSON = "application/json"
_PAGE_SIZE = "1000"
_MAX_PAGES = 20


def _root(base_url: str) -> str:
    return base_url.rstrip("/").removesuffix("/v1beta").removesuffix("/v1")


def _headers(secret: str | None) -> dict[str, str]:
    headers = {"Content-Type": _JSON, "Accept": _JSON}
    if secret:
        headers["x-goog-api-key"] = secret
    return headers


def _parse(raw: bytes, hint: str) -> dict[str, Any]:
    try:
        parsed: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise error_for_status(502, raw, hint) from exc
    if not isinstance(parsed, dict):
        raise error_for_status(502, raw, hint)
    return parsed


class GeminiStream:
    """OpenAI chunk payloads converted from Gemini ``alt=sse`` fragments, in batches of one network read.

    ``usage`` holds the answer's usage read with Gemini's own semantics once the last fragment
    arrived (the chat stream session prefers it to re-reading the usage chunk)."""

    def __init__(self, response: aiohttp.ClientResponse, model: str, hint: str) -> None:
        self._response = response
        self._hint = hint
        self._chunks = GeminiChunks(model)

    @property
    def usage(self) -> Usage | None:
        return self._chunks.usage

    def _convert(self, payloads: list[bytes]) -> list[bytes]:
        batch: list[bytes] = []
        for payload in payloads:
            fragment = _parse(payload, self._hint)
            if "error" in fragment:
                raise stream_error(fragment, self._hint)
            batch.extend(orjson.dumps(chunk) for chunk in self._chunks.feed(fragment))
        return batch

    async def __aiter__(self) -> AsyncIterator[list[bytes]]:
        decoder = SSEDecoder()
        with map_transport_errors(self._hint):
            async for data in self._response.content.iter_any():
                batch = self._convert(decoder.feed(data))
                if batch:
                    yield batch
        tail = self._convert(decoder.close())
        if not self._chunks.done:
            raise UpstreamError(f"upstream {self._hint} ended the stream before its finishReason")
        tail.extend(orjson.dumps(chunk) for chunk in self._chunks.finish())
        if tail:
            yield tail

    async def aclose(self) -> None:
        self._response.close()


class GeminiProvider:
    """Chat (plain and streamed), embeddings, model listing and native forwarding for the Gemini API."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        links: OutboundClient,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        max_request_s: float,
    ) -> None:
        self._session = session
        self._links = links
        self._connect = connect_timeout_s
        self._read = read_timeout_s
        self._total = max_request_s

    def _timeout(self, call_timeout: float | None) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self._total, sock_connect=self._connect, sock_read=call_timeout or self._read
        )

    async def _post(
        self, call: UpstreamCall, method: str, body: dict[str, Any], **params: str
    ) -> aiohttp.ClientResponse:
        model = model_path(call.body.get("model"))
        with map_transport_errors(call.base_url):
            response = await self._session.post(
                f"{_root(call.base_url)}/v1beta/models/{model}:{method}",
                params=params,
                data=orjson.dumps(body),
                headers=_headers(call.secret),
                timeout=self._timeout(call.timeout_s),
            )
            if response.status >= 400:
                raw = await response.read()
                response.release()
                raise error_for_status(response.status, raw, call.base_url)
        return response

    async def _json(self, call: UpstreamCall, response: aiohttp.ClientResponse) -> dict[str, Any]:
        with map_transport_errors(call.base_url):
            raw = await response.read()
        response.release()
        return _parse(raw, call.base_url)

    async def _generate(self, call: UpstreamCall, method: str, **params: str) -> aiohttp.ClientResponse:
        """Send the converted chat request (image links inlined first); sent again without thought
        signatures when Gemini cannot read the ones replayed (``signatures.py``)."""
        body = gemini_request_from_openai(await inline_linked_images(call.body, self._links))
        try:
            return await self._post(call, method, body, **params)
        except UpstreamRejected as exc:
            unsigned = without_signatures(body) if refuses_signature(exc) else None
            if unsigned is None:
                raise
            log.info("gemini refused replayed thought signatures; sent again without them", channel=call.base_url)
            return await self._post(call, method, unsigned, **params)

    async def complete(self, call: UpstreamCall) -> ChatResult:
        answer = await self._json(call, await self._generate(call, "generateContent"))
        model = model_path(call.body.get("model"))
        completion, usage = openai_completion_from_gemini(answer, model=model, created=int(time.time()))
        return ChatResult(raw=orjson.dumps(completion), usage=usage, completion_text=completion_text(completion))

    async def open_stream(self, call: UpstreamCall) -> GeminiStream:
        response = await self._generate(call, "streamGenerateContent", alt="sse")
        return GeminiStream(response, model_path(call.body.get("model")), call.base_url)

    async def embed(self, call: UpstreamCall) -> EmbeddingsResult:
        model = model_path(call.body.get("model"))
        method, body, texts = embedding_request(call.body, model)
        answer = await self._json(call, await self._post(call, method, body))
        converted, usage = openai_embeddings_from_gemini(
            answer, model=model, texts=texts, encoding=call.body.get("encoding_format")
        )
        return EmbeddingsResult(raw=orjson.dumps(converted), usage=usage)

    async def list_models(self, base_url: str, secret: str | None) -> list[str]:
        """Every page of ``GET /v1beta/models``, as bare model ids."""
        models: list[str] = []
        token: str | None = None
        for _ in range(_MAX_PAGES):
            page = await self._models_page(base_url, secret, token)
            models += [
                str(m.get("name") or "").removeprefix("models/")
                for m in page.get("models") or ()
                if isinstance(m, dict)
            ]
            token = page.get("nextPageToken") if isinstance(page.get("nextPageToken"), str) else None
            if not token:
                break
        return models

    async def _models_page(self, base_url: str, secret: str | None, token: str | None) -> dict[str, Any]:
        params = {"pageSize": _PAGE_SIZE, **({"pageToken": token} if token else {})}
        with map_transport_errors(base_url):
            async with self._session.get(
                f"{_root(base_url)}/v1beta/models", params=params, headers=_headers(secret), timeout=self._timeout(None)
            ) as response:
                body = await response.read()
                if response.status >= 400:
                    raise error_for_status(response.status, body, base_url)
        return _parse(body, base_url)

    def forwards(self, channel: Channel, dialect: str) -> bool:
        """Gemini-native calls go through untouched to every ``gemini`` channel."""
        return dialect == "gemini" and channel.type == "gemini"

    async def forward(self, call: ForwardCall) -> ForwardedAnswer:
        return await send_gemini(self._session, _root(call.base_url), call, self._timeout(call.timeout_s))
