"""The I/O shell of the images capability: ``/images/generations``, ``/edits``, ``/variations``.

Generations go as JSON, edits and variations as multipart forms with the client's files.
Whatever the upstream answers with, inline base64 or links, comes back as image bytes: a
link is downloaded at once (it would expire, and it must never reach the client), through the
outbound guard (public or ``outbound.allow_networks`` hosts only, redirects re-checked, size
and decompression capped, image types only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import orjson

from omnirelay.errors import OmniRelayError, UpstreamError
from omnirelay.outbound.fetch import FetchPolicy, OutboundClient
from omnirelay.providers.base import GeneratedImage, ImagesResult, ImageUpload, UpstreamCall
from omnirelay.providers.openai_compat.errors import error_for_status, map_transport_errors
from omnirelay.providers.openai_compat.images_transform import (
    ImageEntry,
    decode_image,
    form_fields,
    read_images_answer,
    sniff_image_type,
)

__all__ = ["OpenAIImages"]

MAX_IMAGE_BYTES = 64 * 1024 * 1024
"""Largest image downloaded from an upstream's link."""
_LINKED = FetchPolicy(("image/", "application/octet-stream"), MAX_IMAGE_BYTES)
"""Object stores often label images as bytes; what they hold is sniffed after the download."""


def _form(call: UpstreamCall, files: tuple[ImageUpload, ...]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in form_fields(call.body):
        form.add_field(name, value)
    for upload in files:
        form.add_field(upload.field, upload.data, filename=upload.filename, content_type=upload.content_type)
    return form


class OpenAIImages:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        links: OutboundClient,
        timeout: Callable[[float | None], aiohttp.ClientTimeout],
    ):
        self._session = session
        self._links = links
        self._timeout = timeout

    async def create(self, call: UpstreamCall, operation: str, files: tuple[ImageUpload, ...]) -> ImagesResult:
        raw = await self._send(call, operation, files)
        try:
            answer = read_images_answer(orjson.loads(raw))
        except orjson.JSONDecodeError:
            answer = None
        if answer is None:
            raise error_for_status(502, raw, call.base_url)
        images = await asyncio.gather(*(self._image(entry, call) for entry in answer.entries))
        linked = any(entry.url is not None for entry in answer.entries)
        return ImagesResult(answer.created, tuple(images), linked, answer.extra, answer.usage)

    async def _send(self, call: UpstreamCall, operation: str, files: tuple[ImageUpload, ...]) -> bytes:
        headers = {"Accept": "application/json"}
        if call.secret:
            headers["Authorization"] = f"Bearer {call.secret}"
        if operation == "generations":
            headers["Content-Type"] = "application/json"
            data: bytes | aiohttp.FormData = orjson.dumps(call.body)
        else:
            data = _form(call, files)
        with map_transport_errors(call.base_url):
            async with self._session.post(
                f"{call.base_url}/images/{operation}", data=data, headers=headers, timeout=self._timeout(call.timeout_s)
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise error_for_status(response.status, raw, call.base_url)
        return raw

    async def _image(self, entry: ImageEntry, call: UpstreamCall) -> GeneratedImage:
        if entry.b64 is not None:
            try:
                data = decode_image(entry.b64)
            except ValueError as exc:
                raise UpstreamError(f"upstream {call.base_url} sent an image that is not base64") from exc
        else:
            assert entry.url is not None
            data = await self._download(entry.url, call)
        return GeneratedImage(data, sniff_image_type(data), entry.revised_prompt)

    async def _download(self, url: str, call: UpstreamCall) -> bytes:
        """The upstream's link, fetched without the channel's key (links are pre-signed)."""
        try:
            return await (await self._links.open(url, _LINKED)).read()
        except OmniRelayError as exc:
            raise UpstreamError(f"upstream {call.base_url}: its image link failed: {exc.message}") from exc
