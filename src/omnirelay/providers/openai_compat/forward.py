"""Native pass-through to an OpenAI upstream: a client's request relayed untouched (``Forwarder``).

The ``openai`` channel type forwards the legacy dialects (``openai.completions``,
``openai.moderations``) always, and ``openai.responses`` only when the channel's ``responses``
option says the upstream serves ``/v1/responses`` itself (many OpenAI-compatible servers do not;
those get Responses converted to chat instead). The body is sent as given and the answer comes
back as it arrives, so unknown fields, built-in tools and every stream event survive.
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from omnirelay.channels.model import Channel
from omnirelay.providers.base import ForwardCall
from omnirelay.providers.forwarded import ForwardedAnswer, send_forward
from omnirelay.providers.openai_compat.errors import error_for_status

__all__ = ["ALWAYS_FORWARDED", "OpenAIForward"]

ALWAYS_FORWARDED = frozenset({"openai.completions", "openai.moderations"})
"""Dialects every ``openai`` channel relays as they are."""
_BY_OPTION = {"openai.responses": "responses"}
"""Dialects an ``openai`` channel relays only when the named option is on."""


class OpenAIForward:
    """The forwarding half of the ``openai`` provider (the adapter delegates to it)."""

    def __init__(
        self, session: aiohttp.ClientSession, timeout: Callable[[float | None], aiohttp.ClientTimeout]
    ) -> None:
        self._session = session
        self._timeout = timeout

    def forwards(self, channel: Channel, dialect: str) -> bool:
        if channel.type != "openai":
            return False
        option = _BY_OPTION.get(dialect)
        if option is not None:
            return channel.options.get(option) is True
        return dialect in ALWAYS_FORWARDED

    async def forward(self, call: ForwardCall) -> ForwardedAnswer:
        headers = {"Accept": "text/event-stream" if call.stream else "application/json", **call.headers}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        if call.secret:
            headers["Authorization"] = f"Bearer {call.secret}"
        return await send_forward(
            self._session,
            call,
            url=f"{call.base_url}/{call.path.lstrip('/')}",
            headers=headers,
            limits=self._timeout(call.timeout_s),
            refused=error_for_status,
            query=call.query,
        )
