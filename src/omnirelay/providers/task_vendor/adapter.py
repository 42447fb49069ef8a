"""The I/O shell for ``task_vendor`` channels: one request per call, authenticated by the vendor's header.

A channel serves the vendor its ``vendor`` option names; the vendor's configuration comes from the
family's :class:`~omnirelay.families.task_vendor.book.VendorBook`, handed over when the family is
built (:meth:`TaskVendorProvider.use`). A poll asks about each task on its own, a few at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
import structlog

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError, UpstreamUnavailable
from omnirelay.families.task_vendor.config import VendorConfig
from omnirelay.providers.task_vendor.transforms import (
    UpstreamRequest,
    accepted_id,
    auth_header,
    cancel_request,
    error_for,
    parsed,
    poll_request,
    state_from,
    submit_request,
)
from omnirelay.providers.transport import map_transport_errors
from omnirelay.tasks.model import UpstreamState

if TYPE_CHECKING:  # the book reads the catalog, which imports the provider registry
    from omnirelay.families.task_vendor.book import VendorBook

__all__ = ["TaskVendorProvider"]

log = structlog.get_logger(__name__)

_POLLS_AT_ONCE = 8


class TaskVendorProvider:
    def __init__(self, session: aiohttp.ClientSession, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect_timeout_s, total=read_timeout_s)
        self._book: VendorBook | None = None

    def use(self, book: VendorBook) -> None:
        """The vendors this provider serves (the family's live book)."""
        self._book = book

    async def _send(self, channel: Channel, vendor: VendorConfig, request: UpstreamRequest) -> Any:
        """The JSON of a successful answer; an error of the tree otherwise."""
        name, value = auth_header(vendor, channel.next_secret() or "")
        headers = {"Content-Type": "application/json", "Accept": "application/json", name: value}
        data = None if request.body is None else orjson.dumps(request.body)
        with map_transport_errors(channel.name):
            async with self._session.request(
                request.method, channel.base_url + request.path, data=data, headers=headers, timeout=self._timeout
            ) as response:
                status, raw = response.status, await response.read()
        if status >= 400:
            raise error_for(status, raw, channel.name)
        return parsed(raw)

    def _check(self, channel: Channel, vendor: VendorConfig) -> None:
        if channel.options.get("vendor") != vendor.name:
            raise UpstreamUnavailable(f"channel {channel.name} serves vendor {channel.options.get('vendor')!r}")

    async def submit(self, channel: Channel, vendor: VendorConfig, values: Mapping[str, Any]) -> str:
        self._check(channel, vendor)
        return accepted_id(vendor, await self._send(channel, vendor, submit_request(vendor, values)))

    async def cancel(self, channel: Channel, vendor: VendorConfig, upstream_id: str) -> None:
        await self._send(channel, vendor, cancel_request(vendor, upstream_id))

    async def _vendor(self, channel: Channel) -> VendorConfig | None:
        if self._book is None:
            return None
        return (await self._book.current()).by_name.get(str(channel.options.get("vendor")))

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        vendor = await self._vendor(channel)
        if vendor is None:
            log.warning("task vendor channel names no known vendor", channel=channel.name)
            return {}
        limit = asyncio.Semaphore(_POLLS_AT_ONCE)

        async def one(upstream_id: str) -> tuple[str, UpstreamState | None]:
            async with limit:
                return upstream_id, await self._state(channel, vendor, upstream_id)

        answers = await asyncio.gather(*(one(value) for value in upstream_ids))
        return {value: state for value, state in answers if state is not None}

    async def _state(self, channel: Channel, vendor: VendorConfig, upstream_id: str) -> UpstreamState | None:
        try:
            return state_from(vendor, await self._send(channel, vendor, poll_request(vendor, upstream_id)))
        except UpstreamError as exc:  # one task's trouble must not hide the others' news
            log.warning("task vendor poll failed", channel=channel.name, task=upstream_id, error=exc.message)
            return None
