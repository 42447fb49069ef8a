"""Sending a native pass-through call and holding the upstream's accepted answer (``Forwarder``).

Each provider decides the URL and the headers of its dialect (``providers/*/forward.py``); this
module sends the request, turns a refusal (status >= 400) into the provider's mapped
``UpstreamError`` (so failover and breakers work as for converted calls), and hands back the
answer as it arrives. The body is decoded (aiohttp inflates gzip), so the headers passed on leave
out those that described the bytes on the upstream's wire (encoding, length, connection).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from omnirelay.errors import UpstreamError
from omnirelay.providers.base import ForwardCall
from omnirelay.providers.transport import map_transport_errors

__all__ = ["ErrorMapper", "ForwardedAnswer", "send_forward"]

ErrorMapper = Callable[[int, bytes, str], UpstreamError]
"""A provider's ``error_for_status(status, body, hint)``."""
_HOP_BY_HOP = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"})


class ForwardedAnswer:
    """An accepted upstream answer (status < 400): its status, headers, and the body as it arrives."""

    def __init__(self, response: aiohttp.ClientResponse, hint: str) -> None:
        self._response = response
        self._hint = hint
        self.status = response.status
        kept = CIMultiDict((k, v) for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP)
        self.headers: Mapping[str, str] = CIMultiDictProxy(kept)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with map_transport_errors(self._hint):
            async for data in self._response.content.iter_any():
                yield data

    async def read(self) -> bytes:
        try:
            with map_transport_errors(self._hint):
                return await self._response.read()
        finally:
            self._response.release()

    async def aclose(self) -> None:
        self._response.close()


async def send_forward(
    session: aiohttp.ClientSession,
    call: ForwardCall,
    *,
    url: str,
    headers: Mapping[str, str],
    limits: aiohttp.ClientTimeout,
    refused: ErrorMapper,
    query: Mapping[str, str] | None = None,
) -> ForwardedAnswer:
    """Send ``call`` to ``url``; the mapped error when the upstream refuses it (status >= 400)."""
    with map_transport_errors(call.base_url):
        response = await session.request(
            call.method,
            url,
            data=call.body,
            params=dict(query) if query else None,
            headers=dict(headers),
            timeout=limits,
        )
        if response.status >= 400:
            raw = await response.read()
            response.release()
            raise refused(response.status, raw, call.base_url)
    return ForwardedAnswer(response, call.base_url)
