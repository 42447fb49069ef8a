"""Gemini-native calls relayed untouched to a ``gemini`` channel (the ``Forwarder`` seam).

The client's path (``models/x:streamGenerateContent``...) goes under ``{root}/v1beta/`` with
the channel's key in ``x-goog-api-key``, the query it names (``alt=sse``; a ``key`` is dropped, the
client's credentials never travel on) and the body bytes as sent; the answer comes back as it
arrives, so thought parts and their ``thoughtSignature`` reach the client byte for byte.
"""

from __future__ import annotations

import aiohttp

from omnirelay.providers.base import ForwardCall
from omnirelay.providers.forwarded import ForwardedAnswer, send_forward
from omnirelay.providers.gemini.errors import error_for_status

__all__ = ["forward_headers", "send_gemini"]

_NOT_FORWARDED = frozenset(
    {"x-goog-api-key", "authorization", "host", "content-length", "connection", "transfer-encoding", "cookie",
     "accept-encoding"}
)  # fmt: skip


def forward_headers(call: ForwardCall) -> dict[str, str]:
    """The client's pass-through headers (never its credentials), the channel's key, JSON."""
    headers = {k: v for k, v in call.headers.items() if k.lower() not in _NOT_FORWARDED}
    headers.setdefault("Content-Type", "application/json")
    if call.secret:
        headers["x-goog-api-key"] = call.secret
    return headers


async def send_gemini(
    session: aiohttp.ClientSession, root: str, call: ForwardCall, limits: aiohttp.ClientTimeout
) -> ForwardedAnswer:
    """Send ``call`` under ``{root}/v1beta/``; the mapped ``UpstreamError`` when the upstream refuses it."""
    return await send_forward(
        session,
        call,
        url=f"{root}/v1beta/{call.path.lstrip('/')}",
        headers=forward_headers(call),
        limits=limits,
        refused=error_for_status,
        query={k: v for k, v in (call.query or {}).items() if k != "key"},
    )
