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
    error_for,
    read_answer,
    read_style,
    style_request,
    upstream_request,
)
from omnirelay.providers.vendor_post import VendorPost, VendorRequest

__all__ = ["RecraftProvider"]


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
        self._post = VendorPost(session, connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s)
        self._links = links

    async def _send(self, channel: Channel, request: VendorRequest) -> bytes:
        return await self._post.send(
            channel, request, {"Authorization": f"Bearer {channel.next_secret() or ''}"}, error_for
        )

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
