"""Native pass-through to an ``anthropic`` channel: the client's Messages request, relayed untouched.

The ``anthropic.messages`` dialect covers ``POST /v1/messages`` and ``/v1/messages/count_tokens``:
the body goes out as the ingress prepared it (only the model name mapped), so thinking blocks
and their signatures, ``cache_control`` with ``ttl``, ``service_tier``, server tools and fields
this gateway has never heard of all reach Anthropic byte for byte. Only the auth header is
replaced (``x-api-key`` with the channel's secret); ``anthropic-version`` (defaulted when the
client sent none) and ``anthropic-beta`` pass through verbatim.
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.model import Channel
from omnirelay.providers.anthropic.errors import error_for_status
from omnirelay.providers.base import ForwardCall
from omnirelay.providers.forwarded import ForwardedAnswer, send_forward

__all__ = ["DIALECT", "PASSED_HEADERS", "forward", "forwards"]

DIALECT = "anthropic.messages"
PASSED_HEADERS = ("anthropic-version", "anthropic-beta")
"""Client headers an Anthropic upstream receives as they are (the key is never among them)."""
_DEFAULT_VERSION = "2023-06-01"


def forwards(channel: Channel, dialect: str) -> bool:
    """Every ``anthropic`` channel speaks the Messages API natively; nothing else is forwarded."""
    return dialect == DIALECT


def _headers(call: ForwardCall) -> dict[str, str]:
    headers = {"content-type": "application/json", "anthropic-version": _DEFAULT_VERSION}
    headers.update({name: value for name, value in call.headers.items() if name.lower() in PASSED_HEADERS})
    headers["accept"] = "text/event-stream" if call.stream else "application/json"
    if call.secret:
        headers["x-api-key"] = call.secret
    return headers


async def forward(session: aiohttp.ClientSession, limits: aiohttp.ClientTimeout, call: ForwardCall) -> ForwardedAnswer:
    """Send ``call`` to ``{root}/v1/{path}``; a refusal (status >= 400) raises the mapped error."""
    return await send_forward(
        session,
        call,
        url=f"{call.base_url.rstrip('/').removesuffix('/v1')}/v1/{call.path}",
        headers=_headers(call),
        limits=limits,
        refused=error_for_status,
        query=call.query,
    )
