"""The Recraft family's service: one checked request, billed and run through :mod:`omnirelay.families.sync_call`.

The answer is Recraft's own: ``{"created", "credits", "data": [{"image_id", "url" | "b64_json"}]}``
for the operations that draw, ``{"created", "credits", "image": {...}}`` for the ones that process
one image. ``url`` is a signed gateway link (SVG kept as ``image/svg+xml``); with
``response_format: b64_json`` the images come inline and nothing is kept. ``credits`` is what the
call cost the account here, in the gateway's micro-units (not the upstream's credits).
"""

from __future__ import annotations

import base64
from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.families.recraft.requests import RecraftRequest
from omnirelay.families.recraft.styles import StyleRequest
from omnirelay.families.recraft.upstream import CreatedStyle, RecraftResult, RecraftStyles, RecraftUpstream
from omnirelay.families.sync_call import Delivered, SyncCalls
from omnirelay.relay.auth import Caller

__all__ = ["RecraftService", "answer_of"]


def answer_of(request: RecraftRequest, delivered: Delivered[RecraftResult]) -> dict[str, Any]:
    """Recraft's answer, with the gateway's links (or the images inline) in place of the upstream's."""
    entries = delivered.result.entries[: request.billed.units]
    items: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        item: dict[str, Any] = {"image_id": entry.image_id}
        if request.b64:
            item["b64_json"] = base64.b64encode(entry.image.data).decode()
        else:
            item["url"] = delivered.links[index]
        items.append(item)
    body: dict[str, Any] = {"created": delivered.result.created, "credits": delivered.charged}
    if request.single:
        body["image"] = items[0] if items else None
    else:
        body["data"] = items
    return body


class RecraftService:
    def __init__(self, calls: SyncCalls) -> None:
        self._calls = calls

    async def run(self, caller: Caller, request: RecraftRequest, request_id: str, base_url: str) -> dict[str, Any]:
        """Hold, call the model's channels with failover, keep the images (unless inline), settle."""

        async def attempt(provider: RecraftUpstream, channel: Channel) -> RecraftResult:
            return await provider.recraft(channel, request.call)

        delivered = await self._calls.call(
            caller,
            request.billed,
            request_id,
            RecraftUpstream,
            attempt,
            base_url=None if request.b64 else base_url,
        )
        return answer_of(request, delivered)

    async def create_style(self, caller: Caller, request: StyleRequest, request_id: str) -> dict[str, Any]:
        """``POST /styles``: billed per call like any operation; Recraft's ``{"id"}`` answered."""

        async def attempt(provider: RecraftStyles, channel: Channel) -> CreatedStyle:
            return await provider.create_style(channel, request.call)

        delivered = await self._calls.call(caller, request.billed, request_id, RecraftStyles, attempt, base_url=None)
        return {"id": delivered.result.style_id}
