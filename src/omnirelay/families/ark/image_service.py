"""Ark image generation: one checked request, billed and run through :mod:`omnirelay.families.sync_call`.

Nothing is held before the body is known to be acceptable; the images a call may make are held
(one, or ``max_images`` of a sequence); the model's channels are tried in routing order; the images
made are settled, never more than held, and a call that ends without images is refunded. The answer
is Ark's own, ``{model, created, data, usage}``: each ``url`` is the gateway's signed link to its
copy (never the upstream's URL), or with ``response_format: b64_json`` the bytes come inline and
nothing is kept.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.families.ark.image_checks import ArkImageCreate, parse_image_create
from omnirelay.families.ark.upstream import ArkImages, ArkImagesUpstream
from omnirelay.families.sync_call import Delivered, SyncCall, SyncCalls
from omnirelay.relay.auth import Caller

__all__ = ["ArkImageService", "ImageCall", "answer_of"]


@dataclass(frozen=True, slots=True)
class ImageCall:
    caller: Caller
    request_id: str
    base_url: str
    endpoint: str


def answer_of(create: ArkImageCreate, delivered: Delivered[ArkImages]) -> dict[str, Any]:
    """Ark's answer, with the gateway's links (or the images inline) in place of the upstream's."""
    made = delivered.result
    images = made.images[: create.calls]
    data: list[dict[str, Any]] = []
    for n, image in enumerate(images):
        item: dict[str, Any] = (
            {"b64_json": base64.b64encode(image.data).decode()}
            if create.response_format == "b64_json"
            else {"url": delivered.links[n]}
        )
        if n < len(made.sizes) and made.sizes[n]:
            item["size"] = made.sizes[n]
        data.append(item)
    output = made.usage.get("output_tokens", 0)
    usage = {
        "generated_images": len(images),
        "output_tokens": output,
        "total_tokens": made.usage.get("total_tokens", output),
    }
    return {"model": create.model, "created": made.created, "data": data, "usage": usage}


class ArkImageService:
    def __init__(self, calls: SyncCalls) -> None:
        self._calls = calls

    async def generate(self, body: object, call: ImageCall) -> dict[str, Any]:
        """Check, hold, call the model's channels with failover, keep the images (unless inline), settle."""
        create = parse_image_create(body)
        billed = SyncCall(call.endpoint, create.model, tuple(create.price_names), units=create.calls)

        async def attempt(provider: ArkImagesUpstream, channel: Channel) -> ArkImages:
            return await provider.generate_images(channel, create.body)

        inline = create.response_format == "b64_json"
        delivered = await self._calls.call(
            call.caller,
            billed,
            call.request_id,
            ArkImagesUpstream,
            attempt,
            base_url=None if inline else call.base_url,
        )
        return answer_of(create, delivered)
