"""Image links in an OpenAI chat request, fetched and inlined before it goes to Gemini.

OpenAI clients often send ``image_url`` parts with an ``https://`` link; Gemini reads only inline
bytes or its own Files API URIs (§2.9). The gateway fetches each link through its SSRF-guarded
outbound client (``outbound.*`` settings: private addresses refused, redirects checked, image
types only, at most 20 MB, Gemini's inline request limit) and replaces it with a base64 data URL.
A link that cannot be fetched is the client's problem: a 400 naming the part, not a failover.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from omnirelay.errors import OmniRelayError, UpstreamRejected
from omnirelay.outbound.fetch import FetchPolicy, OutboundClient

__all__ = ["MAX_INLINE_BYTES", "inline_linked_images"]

MAX_INLINE_BYTES = 20 * 1024 * 1024
_POLICY = FetchPolicy(("image/",), MAX_INLINE_BYTES)
_FILES_API = "https://generativelanguage.googleapis.com/"


def _link(part: Any) -> str | None:
    if not isinstance(part, dict) or part.get("type") != "image_url":
        return None
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if isinstance(url, str) and url.startswith(("http://", "https://")) and not url.startswith(_FILES_API):
        return url
    return None


def _linked_parts(messages: Any) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for i, message in enumerate(messages if isinstance(messages, list) else ()):
        content = message.get("content") if isinstance(message, dict) else None
        for j, part in enumerate(content if isinstance(content, list) else ()):
            url = _link(part)
            if url is not None:
                found.append((i, j, url))
    return found


async def _data_url(links: OutboundClient, url: str, param: str) -> str:
    try:
        fetched = await links.open(url, _POLICY)
        data = await fetched.read()
    except OmniRelayError as exc:
        raise UpstreamRejected(
            f"The image at {param} could not be fetched for this channel: {exc.message}",
            status_code=400,
            type="invalid_request_error",
            code="image_not_fetched",
            param=param,
        ) from exc
    return f"data:{fetched.content_type};base64,{base64.b64encode(data).decode()}"


async def inline_linked_images(body: dict[str, Any], links: OutboundClient) -> dict[str, Any]:
    """``body`` with every linked image replaced by its bytes (the same object when there is none)."""
    found = _linked_parts(body.get("messages"))
    if not found:
        return body
    fetched = await asyncio.gather(*(_data_url(links, url, f"messages.{i}.content.{j}") for i, j, url in found))
    messages = list(body["messages"])
    for (i, j, _), data_url in zip(found, fetched, strict=True):
        content = list(messages[i]["content"])
        content[j] = {**content[j], "image_url": {"url": data_url}}
        messages[i] = {**messages[i], "content": content}
    return {**body, "messages": messages}
