"""The I/O shell for ``ideogram`` channels: one request per call with the ``Api-Key`` header, then the
images the answer links to downloaded through the outbound guard (:mod:`omnirelay.providers.linked_images`).
"""

from __future__ import annotations

import aiohttp
import orjson

from omnirelay.channels.model import Channel
from omnirelay.families.ideogram.upstream import IdeogramCall, IdeogramEntry, IdeogramResult
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.ideogram.transforms import error_for, read_answer, upstream_request
from omnirelay.providers.linked_images import download_images
from omnirelay.providers.vendor_post import VendorPost, VendorRequest

__all__ = ["IdeogramProvider"]


class IdeogramProvider:
    def __init__(
        self, session: aiohttp.ClientSession, links: OutboundClient, *, connect_timeout_s: float, read_timeout_s: float
    ) -> None:
        self._post = VendorPost(session, connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s)
        self._links = links

    async def _send(self, channel: Channel, request: VendorRequest) -> bytes:
        return await self._post.send(channel, request, {"Api-Key": channel.next_secret() or ""}, error_for)

    async def ideogram(self, channel: Channel, call: IdeogramCall) -> IdeogramResult:
        model = channel.upstream_model(call.model) if call.model is not None else None
        raw = await self._send(channel, upstream_request(call, model))
        try:
            answer = read_answer(orjson.loads(raw))
        except orjson.JSONDecodeError:
            answer = None
        if answer is None:
            raise error_for(502, raw, channel.name)
        if answer.descriptions:
            return IdeogramResult(answer.created, descriptions=answer.descriptions)
        urls = [url for _, url in answer.entries if url is not None]
        images = iter(await download_images(self._links, urls, channel.name))
        entries = tuple(IdeogramEntry(fields, next(images) if url else None) for fields, url in answer.entries)
        return IdeogramResult(answer.created, entries)
