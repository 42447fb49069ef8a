"""The I/O shell for rerank-only upstreams (Jina, Cohere): one POST with aiohttp, one dialect."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson

from omnirelay.providers.base import RerankResult, UpstreamCall
from omnirelay.providers.openai_compat.errors import map_transport_errors
from omnirelay.providers.rerank.errors import error_for_answer
from omnirelay.providers.rerank.wire import RerankDialect, read_answer

__all__ = ["RerankAPIProvider"]

_JSON = "application/json"


class RerankAPIProvider:
    """Rerank through ``{base_url}{dialect.path}`` with a Bearer key; nothing else."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        dialect: RerankDialect,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        max_request_s: float,
    ) -> None:
        self._session = session
        self._dialect = dialect
        self._connect = connect_timeout_s
        self._read = read_timeout_s
        self._total = max_request_s

    def _headers(self, secret: str | None) -> dict[str, str]:
        headers = {"Content-Type": _JSON, "Accept": _JSON}
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        return headers

    async def rerank(self, call: UpstreamCall) -> RerankResult:
        timeout = aiohttp.ClientTimeout(
            total=self._total, sock_connect=self._connect, sock_read=call.timeout_s or self._read
        )
        with map_transport_errors(call.base_url):
            async with self._session.post(
                f"{call.base_url}{self._dialect.path}",
                data=orjson.dumps(self._dialect.request(call.body)),
                headers=self._headers(call.secret),
                timeout=timeout,
            ) as response:
                status, raw = response.status, await response.read()
        if status >= 400:
            raise error_for_answer(status, raw, call.base_url)
        try:
            parsed: Any = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise error_for_answer(502, raw, call.base_url) from exc
        return read_answer(self._dialect, parsed, call.base_url)
