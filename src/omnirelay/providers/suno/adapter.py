"""The I/O shell for ``suno`` channels: one request per call, in the dialect ``options.dialect`` names.

``aggregator`` (default) speaks the clients' own 2A format upstream and polls many tasks with
one ``POST /suno/fetch``; ``gcui`` speaks gcui-art/suno-api and polls each task's clips with
``GET /api/get?ids=``. Everything between the wire and the neutral terms is in the pure
modules beside this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson

from omnirelay.channels.model import Channel
from omnirelay.families.suno.upstream import SunoAccepted, SunoAccountCall, SunoSubmit
from omnirelay.providers.openai_compat.errors import map_transport_errors
from omnirelay.providers.suno import aggregator, gcui
from omnirelay.providers.suno.dialect import dialect_of, headers_for
from omnirelay.providers.suno.errors import error_for
from omnirelay.providers.suno.wire import UpstreamRequest, parsed
from omnirelay.tasks.model import UpstreamState

__all__ = ["SunoProvider"]


class SunoProvider:
    def __init__(self, session: aiohttp.ClientSession, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect_timeout_s, total=read_timeout_s)

    async def _send(self, channel: Channel, request: UpstreamRequest) -> Any:
        """The JSON of a successful answer; an upstream error from the tree otherwise."""
        data = None if request.body is None else orjson.dumps(request.body)
        with map_transport_errors(channel.name):
            async with self._session.request(
                request.method,
                channel.base_url + request.path,
                params=dict(request.query),
                data=data,
                headers=headers_for(channel),
                timeout=self._timeout,
            ) as response:
                status, raw = response.status, await response.read()
        if status >= 400:
            raise error_for(status, raw, channel.name)
        return parsed(raw)

    async def submit(self, channel: Channel, submit: SunoSubmit) -> SunoAccepted:
        if dialect_of(channel) == "gcui":
            return gcui.accepted_from(submit, await self._send(channel, gcui.submit_request(submit)))
        return aggregator.accepted_from(await self._send(channel, aggregator.submit_request(submit)))

    async def relay(self, channel: Channel, call: SunoAccountCall) -> Any:
        if dialect_of(channel) == "gcui":
            return gcui.account_answer(call, await self._send(channel, gcui.account_request(call)))
        return await self._send(channel, aggregator.account_request(call))

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        if dialect_of(channel) == "aggregator":
            return aggregator.states_from(await self._send(channel, aggregator.fetch_request(list(upstream_ids))))
        found: dict[str, UpstreamState] = {}
        for upstream_id in upstream_ids:
            state = gcui.state_from(await self._send(channel, gcui.fetch_request(upstream_id)))
            if state is not None:
                found[upstream_id] = state
        return found
