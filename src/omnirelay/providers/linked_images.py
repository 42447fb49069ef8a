"""Images a synchronous vendor answers with as links, downloaded at once through the outbound guard.

The vendor's link expires (and must never reach a client), so a provider fetches it before it
answers: public or ``outbound.allow_networks`` hosts only, redirects re-checked, size capped, image
types only (SVG only where a vendor draws vectors). The type kept is the one the bytes announce.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from omnirelay.errors import OmniRelayError, UpstreamError
from omnirelay.outbound.fetch import FetchPolicy, OutboundClient
from omnirelay.providers.base import GeneratedImage
from omnirelay.providers.openai_compat.images_transform import sniff_image_type

__all__ = ["MAX_IMAGE_BYTES", "download_images"]

MAX_IMAGE_BYTES = 64 * 1024 * 1024
"""Largest image downloaded from a vendor's link."""
_RASTER = FetchPolicy(("image/", "application/octet-stream"), MAX_IMAGE_BYTES)
_VECTOR = FetchPolicy(("image/", "application/octet-stream"), MAX_IMAGE_BYTES, svg=True)


async def _one(links: OutboundClient, url: str, hint: str, policy: FetchPolicy) -> GeneratedImage:
    try:
        data = await (await links.open(url, policy)).read()
    except OmniRelayError as exc:
        raise UpstreamError(f"upstream {hint}: its image link failed: {exc.message}") from exc
    content_type = sniff_image_type(data)
    if content_type == "application/octet-stream" or (content_type == "image/svg+xml" and not policy.svg):
        raise UpstreamError(f"upstream {hint}: its image link did not hold an image")
    return GeneratedImage(data, content_type)


async def download_images(
    links: OutboundClient, urls: Sequence[str], hint: str, *, svg: bool = False
) -> tuple[GeneratedImage, ...]:
    """Every link's image, in order (concurrently); an :class:`UpstreamError` if one fails (retryable)."""
    policy = _VECTOR if svg else _RASTER
    return tuple(await asyncio.gather(*(_one(links, url, hint, policy) for url in urls)))
