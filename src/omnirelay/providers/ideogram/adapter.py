"""The I/O shell for ``ideogram`` channels: one request per call with the ``Api-Key`` header, then the
images the answer links to downloaded through the outbound guard (:mod:`omnirelay.providers.linked_images`).
"""

from __future__ import annotations

import aiohttp
import orjson

from omnirelay.channels.model import Channel
from omnirelay.families.ideogram.upstream import IdeogramCall, IdeogramEntry, IdeogramResult
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.ideogram.transforms import UpstreamRequest, error_for, read_answer, upstream_request
from omnirelay.providers.linked_images import download_images
from omnirelay.providers.transport import map_transport_errors

__all__ = ["IdeogramProvider"]


def _form(request: UpstreamRequest) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)  # the vendor takes multipart even without files
    for name, value in request.fields:
        form.add_field(name, value)
    for upload in request.files:
        form.add_field(upload.field, upload.data, filename=upload.filename, content_type=upload.content_type)
    return form


class IdeogramProvider:
    def __init__(
        self, session: aiohttp.ClientSession, links: OutboundClient, *, connect_timeout_s: float, read_timeout_s: float
    ) -> None:
        self._session = session
        self._links = links
        self._connect = connect_timeout_s
        self._read = read_timeout_s

    async def _send(self, channel: Channel, request: UpstreamRequest) -> bytes:
        headers = {"Accept": "application/json", "Api-Key": channel.next_secret() or ""}
        data: bytes | aiohttp.FormData
        if request.json is not None:
            headers["Content-Type"] = "application/json"
            data = orjson.dumps(request.json)
        else:
            data = _form(request)
        timeout = aiohttp.ClientTimeout(sock_connect=self._connect, total=channel.timeout_s or self._read)
        with map_transport_errors(channel.name):
            async with self._session.post(
                channel.base_url + request.path, data=data, headers=headers, timeout=timeout
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise error_for(response.status, raw, channel.name)
                return raw

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
