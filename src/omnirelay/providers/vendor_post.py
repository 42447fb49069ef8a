"""One POST to a synchronous image vendor (Ideogram, Recraft): JSON or a multipart form, answered bytes.

The vendors differ in their key header and in how they word errors; the rest of the I/O shell is
this: the body as JSON when there is one, else a multipart form (even without files), the channel's
timeout, transport errors mapped to the error tree, any status >= 400 turned into an error by the
vendor's own ``error_for``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.providers.base import ImageUpload
from omnirelay.providers.transport import map_transport_errors

__all__ = ["VendorPost", "VendorRequest"]

ErrorFor = Callable[[int, bytes, str], UpstreamError]


@dataclass(frozen=True, slots=True)
class VendorRequest:
    path: str
    json: dict[str, Any] | None
    fields: tuple[tuple[str, str], ...] = ()
    files: tuple[ImageUpload, ...] = ()

    def body(self) -> bytes | aiohttp.FormData:
        if self.json is not None:
            return orjson.dumps(self.json)
        form = aiohttp.FormData(default_to_multipart=True)  # the vendors take multipart even without files
        for name, value in self.fields:
            form.add_field(name, value)
        for upload in self.files:
            form.add_field(upload.field, upload.data, filename=upload.filename, content_type=upload.content_type)
        return form


class VendorPost:
    def __init__(self, session: aiohttp.ClientSession, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self._session = session
        self._connect = connect_timeout_s
        self._read = read_timeout_s

    async def send(
        self, channel: Channel, request: VendorRequest, auth: Mapping[str, str], error_for: ErrorFor
    ) -> bytes:
        """The answer's bytes; an error of the tree for a transport failure or a status >= 400."""
        headers = {"Accept": "application/json", **auth}
        if request.json is not None:
            headers["Content-Type"] = "application/json"
        timeout = aiohttp.ClientTimeout(sock_connect=self._connect, total=channel.timeout_s or self._read)
        with map_transport_errors(channel.name):
            async with self._session.post(
                channel.base_url + request.path, data=request.body(), headers=headers, timeout=timeout
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise error_for(response.status, raw, channel.name)
                return raw
