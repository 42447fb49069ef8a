"""The Ideogram family's service: one checked request, billed and run through :mod:`omnirelay.families.sync_call`.

The answer is Ideogram's own: ``{"created", "data": [{prompt, resolution, is_image_safe, seed,
style_type, url}]}`` with ``url`` a signed gateway link (an entry the upstream gave no image for
keeps its fields and no ``url``), or ``{"descriptions": [{"text"}]}`` for ``/describe``.
"""

from __future__ import annotations

from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.families.ideogram.requests import IdeogramRequest
from omnirelay.families.ideogram.upstream import IdeogramResult, IdeogramUpstream
from omnirelay.families.sync_call import Delivered, SyncCalls
from omnirelay.relay.auth import Caller

__all__ = ["IdeogramService", "answer_of"]


def answer_of(delivered: Delivered[IdeogramResult]) -> dict[str, Any]:
    """Ideogram's answer, with the gateway's links in place of the upstream's."""
    result = delivered.result
    if result.descriptions:
        return {"descriptions": [{"text": text} for text in result.descriptions]}
    links = iter(delivered.links)
    data: list[dict[str, Any]] = []
    for entry in result.entries:
        if entry.image is None:
            data.append(dict(entry.fields))
            continue
        link = next(links, None)
        if link is None:  # beyond the images asked for (and billed)
            break
        data.append({**entry.fields, "url": link})
    return {"created": result.created, "data": data}


class IdeogramService:
    def __init__(self, calls: SyncCalls) -> None:
        self._calls = calls

    async def run(self, caller: Caller, request: IdeogramRequest, request_id: str, base_url: str) -> dict[str, Any]:
        """Hold, call the model's channels with failover, keep the images, settle; Ideogram's answer."""

        async def attempt(provider: IdeogramUpstream, channel: Channel) -> IdeogramResult:
            return await provider.ideogram(channel, request.call)

        delivered = await self._calls.call(
            caller, request.billed, request_id, IdeogramUpstream, attempt, base_url=base_url
        )
        return answer_of(delivered)
