"""The I/O shell for ``bfl`` channels: one request per call, authenticated with ``x-key``.

A submit uses the channel's next secret; BFL has no batch query, so a poll asks about each task,
a few at a time, with the key that made it (a channel's keys may belong to different BFL accounts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson
import structlog

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.families.bfl.upstream import BflAccepted, BflSubmit
from omnirelay.providers.bfl.transforms import (
    UpstreamRequest,
    accepted_id,
    error_for,
    key_tag,
    parse_upstream_id,
    parsed,
    poll_url,
    state_from,
    submit_request,
)
from omnirelay.providers.transport import map_transport_errors
from omnirelay.tasks.model import UpstreamState

__all__ = ["BflProvider"]

log = structlog.get_logger(__name__)

_POLLS_AT_ONCE = 8


class BflProvider:
    def __init__(self, session: aiohttp.ClientSession, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect_timeout_s, total=read_timeout_s)

    async def _send(self, channel: Channel, secret: str, request: UpstreamRequest) -> Any:
        """The JSON of a successful answer; an error of the tree otherwise."""
        headers = {"Accept": "application/json", "x-key": secret}
        data = None
        if request.body is not None:
            headers["Content-Type"] = "application/json"
            data = orjson.dumps(request.body)
        with map_transport_errors(channel.name):
            async with self._session.request(
                request.method, request.url, data=data, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as response:
                status, raw = response.status, await response.read()
        if status >= 400:
            raise error_for(status, raw, channel.name)
        return parsed(raw)

    async def submit(self, channel: Channel, submit: BflSubmit) -> BflAccepted:
        secret = channel.next_secret() or ""
        request = submit_request(channel.base_url, submit, channel.upstream_model(submit.model))
        answer = await self._send(channel, secret, request)
        return BflAccepted(accepted_id(answer, channel.base_url, key_tag(secret)))

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        limit = asyncio.Semaphore(_POLLS_AT_ONCE)

        async def one(value: str) -> tuple[str, UpstreamState | None]:
            async with limit:
                return value, await self._state(channel, value)

        answers = await asyncio.gather(*(one(value) for value in upstream_ids))
        return {value: state for value, state in answers if state is not None}

    async def _state(self, channel: Channel, value: str) -> UpstreamState | None:
        secret = _secret_for(channel, parse_upstream_id(value)[1])
        try:
            return state_from(
                await self._send(channel, secret, UpstreamRequest("GET", poll_url(channel.base_url, value)))
            )
        except UpstreamError as exc:  # one task's trouble must not hide the others' news
            log.warning("bfl task poll failed", channel=channel.name, task=value.partition("|")[0], error=exc.message)
            return None


def _secret_for(channel: Channel, tag: str) -> str:
    """The channel secret that made the task (the first one if it was since removed)."""
    found = next((secret for secret in channel.secrets if key_tag(secret) == tag), None)
    return found or (channel.secrets[0] if channel.secrets else "")
