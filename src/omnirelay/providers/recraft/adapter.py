"""The I/O shell for ``recraft`` channels: one request per call with ``Authorization: Bearer``, then every
image the answer links to downloaded through the outbound guard (SVG allowed: Recraft draws vectors),
or decoded when inline.
"""

from __future__ import annotations

import base64
import binascii

import aiohttp
import orjson

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.families.recraft.upstream import CreatedStyle, RecraftCall, RecraftImage, RecraftResult, StyleCall
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.base import GeneratedImage
from omnirelay.providers.linked_images import download_images
from omnirelay.providers.openai_compat.images_transform import sniff_image_type
from omnirelay.providers.recraft.transforms import (
    AnsweredImage,
    UpstreamRequest,
    error_for,
    read_answer,
    read_style,
    style_request,
    upstream_request,
)
from omnirelay.providers.transport import map_transport_errors

__all__ = ["RecraftProvider"]


def _form(request: UpstreamRequest) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)  # the vendor takes multipart even without files
    for name, value in request.fields:
        form.add_field(name, value)
    for upload in request.files:
        form.add_field(upload.field, upload.data, filename=upload.filename, content_type=upload.content_type)
    return form


def _inline(image: AnsweredImage, hint: str) -> GeneratedImage:
    try:
        data = base64.b64decode(image.b64 or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UpstreamError(f"upstream {hint} sent an image that is not base64") from exc
    return GeneratedImage(data, sniff_image_type(data))


class RecraftProvider:
    def __init__(
        self, session: aiohttp.ClientSession, links: OutboundClient, *, connect_timeout_s: float, read_timeout_s: float
    ) -> None:
        self._session = session
        self._links = links
        self._connect = connect_timeout_s
        self._read = read_timeout_s

    async def _send(self, channel: Channel, request: UpstreamRequest) -> bytes:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {channel.next_secret() or ''}"}
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

    async def recraft(self, channel: Channel, call: RecraftCall) -> RecraftResult:
        model = channel.upstream_model(call.model) if call.model is not None else None
        raw = await self._send(channel, upstream_request(call, model))
        try:
            answer = read_answer(orjson.loads(raw))
        except orjson.JSONDecodeError:
            answer = None
        if answer is None:
            raise error_for(502, raw, channel.name)
        linked = [image.url for image in answer.images if image.url is not None and image.b64 is None]
        downloaded = iter(await download_images(self._links, linked, channel.name, svg=call.vector))
        entries = tuple(
            RecraftImage(image.image_id, _inline(image, channel.name) if image.b64 is not None else next(downloaded))
            for image in answer.images
        )
        return RecraftResult(answer.created, entries)

    async def create_style(self, channel: Channel, call: StyleCall) -> CreatedStyle:
        raw = await self._send(channel, style_request(call))
        try:
            style_id = read_style(orjson.loads(raw))
        except orjson.JSONDecodeError:
            style_id = None
        if style_id is None:
            raise error_for(502, raw, channel.name)
        return CreatedStyle(style_id)
