"""The I/O shell of the ``anthropic`` channel type: OpenAI-shaped calls sent to the Messages API.

The channel's base URL is the API root (``https://api.anthropic.com``; a trailing ``/v1`` is
tolerated). Requests go to ``{base}/v1/messages`` with ``x-api-key`` and ``anthropic-version``;
the conversions are the pure functions of ``transform_upstream.py`` and ``stream.py``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.providers.anthropic import forward as native
from omnirelay.providers.anthropic.errors import error_for_status, stream_error
from omnirelay.providers.anthropic.stream import OpenAIChunks
from omnirelay.providers.anthropic.transform_upstream import (
    anthropic_request_from_openai,
    openai_completion_from_anthropic,
)
from omnirelay.providers.base import ChatResult, ForwardCall, UpstreamCall, Usage
from omnirelay.providers.forwarded import ForwardedAnswer
from omnirelay.providers.openai_compat.errors import map_transport_errors
from omnirelay.providers.openai_compat.transform import completion_text
from omnirelay.providers.sse import SSEDecoder
from omnirelay.providers.usage import from_anthropic

__all__ = ["ANTHROPIC_VERSION", "AnthropicProvider", "AnthropicStream"]

ANTHROPIC_VERSION = "2023-06-01"
_JSON = "application/json"


def _root(base_url: str) -> str:
    return base_url.rstrip("/").removesuffix("/v1")


def _headers(secret: str | None) -> dict[str, str]:
    headers = {"Content-Type": _JSON, "Accept": _JSON, "anthropic-version": ANTHROPIC_VERSION}
    if secret:
        headers["x-api-key"] = secret
    return headers


def _parse(raw: bytes, status: int, hint: str) -> dict[str, Any]:
    try:
        parsed: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise error_for_status(status, raw, hint) from exc
    if not isinstance(parsed, dict):
        raise error_for_status(status, raw, hint)
    return parsed


class AnthropicStream:
    """OpenAI chunk payloads converted from an Anthropic event stream, in batches of one network read."""

    def __init__(self, response: aiohttp.ClientResponse, hint: str) -> None:
        self._response = response
        self._hint = hint
        self._chunks = OpenAIChunks(created=int(time.time()))

    def _convert(self, payloads: list[bytes]) -> list[bytes]:
        batch: list[bytes] = []
        for payload in payloads:
            event = _parse(payload, 502, self._hint)
            if event.get("type") == "error":
                raise stream_error(event, self._hint)
            batch.extend(orjson.dumps(chunk) for chunk in self._chunks.feed(event))
        return batch

    async def __aiter__(self) -> AsyncIterator[list[bytes]]:
        decoder = SSEDecoder()
        with map_transport_errors(self._hint):
            async for data in self._response.content.iter_any():
                batch = self._convert(decoder.feed(data))
                if batch:
                    yield batch
                if self._chunks.done:
                    return
        tail = self._convert(decoder.close())
        if tail:
            yield tail
        if not self._chunks.done:
            raise UpstreamError(f"upstream {self._hint} ended the stream before message_stop")

    @property
    def usage(self) -> Usage | None:
        """What the upstream reported so far, read with Anthropic's semantics (cache writes 5 m / 1 h)."""
        return from_anthropic(self._chunks.usage)

    async def aclose(self) -> None:
        self._response.close()


class AnthropicProvider:
    """Chat completions (plain and streamed) and model listing against the Anthropic Messages API,
    and the Messages API itself relayed natively (:class:`~omnirelay.providers.base.Forwarder`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        max_request_s: float,
        default_max_tokens: int,
    ):
        self._session = session
        self._connect = connect_timeout_s
        self._read = read_timeout_s
        self._total = max_request_s
        self._default_max_tokens = default_max_tokens

    def _timeout(self, call_timeout: float | None) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self._total, sock_connect=self._connect, sock_read=call_timeout or self._read
        )

    async def _post(self, call: UpstreamCall, *, stream: bool) -> aiohttp.ClientResponse:
        body = anthropic_request_from_openai(call.body, self._default_max_tokens)
        body.pop("stream", None)
        if stream:
            body["stream"] = True
        with map_transport_errors(call.base_url):
            response = await self._session.post(
                f"{_root(call.base_url)}/v1/messages",
                data=orjson.dumps(body),
                headers=_headers(call.secret),
                timeout=self._timeout(call.timeout_s),
            )
            if response.status >= 400:
                raw = await response.read()
                response.release()
                raise error_for_status(response.status, raw, call.base_url)
        return response

    async def complete(self, call: UpstreamCall) -> ChatResult:
        response = await self._post(call, stream=False)
        with map_transport_errors(call.base_url):
            raw = await response.read()
        response.release()
        message = _parse(raw, 502, call.base_url)
        completion = openai_completion_from_anthropic(message, created=int(time.time()))
        return ChatResult(
            raw=orjson.dumps(completion),
            usage=from_anthropic(message.get("usage")),
            completion_text=completion_text(completion),
        )

    async def open_stream(self, call: UpstreamCall) -> AnthropicStream:
        response = await self._post(call, stream=True)
        return AnthropicStream(response, call.base_url)

    def forwards(self, channel: Channel, dialect: str) -> bool:
        return native.forwards(channel, dialect)

    async def forward(self, call: ForwardCall) -> ForwardedAnswer:
        return await native.forward(self._session, self._timeout(call.timeout_s), call)

    async def list_models(self, base_url: str, secret: str | None) -> list[str]:
        with map_transport_errors(base_url):
            async with self._session.get(
                f"{_root(base_url)}/v1/models",
                params={"limit": "1000"},
                headers=_headers(secret),
                timeout=self._timeout(None),
            ) as response:
                body = await response.read()
                if response.status >= 400:
                    raise error_for_status(response.status, body, base_url)
        parsed = _parse(body, 502, base_url)
        return [str(m.get("id")) for m in parsed.get("data") or () if isinstance(m, dict)]
