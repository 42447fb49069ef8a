"""Images the gateway keeps and hands out as signed links (``/v1/images/content/{owner}/{id}?sig=``).

Every synchronous image family (OpenAI images, Ideogram, Recraft, Ark, ...) publishes what its
upstream drew here, so a client gets a link to the gateway that opens without a key and never the
upstream's own (expiring, vendor-branded) URL.
"""

from __future__ import annotations

from omnirelay.files.links import LinkSigner
from omnirelay.files.storage import FileStorage

__all__ = ["IMAGE_CONTENT_PATH", "PublishedImages", "extension_of"]

IMAGE_CONTENT_PATH = "/v1/images/content"
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/svg+xml": ".svg",
}


def extension_of(content_type: str) -> str:
    """The file name extension for an image type ('' when unknown)."""
    return _EXTENSIONS.get(content_type.partition(";")[0].strip().lower(), "")


class PublishedImages:
    """Keeps image bytes in an account's files (purpose ``image``) and signs a link to them."""

    def __init__(self, storage: FileStorage, signer: LinkSigner) -> None:
        self.storage = storage
        self.signer = signer

    async def publish(self, owner: str, data: bytes, content_type: str, base_url: str, name: str = "image") -> str:
        """Store ``data`` for account ``owner`` and return the signed link (``base_url`` without a slash)."""
        stored = await self.storage.put(
            owner, data, filename=f"{name}{extension_of(content_type)}", purpose="image", content_type=content_type
        )
        return self.link(owner, stored.id, base_url)

    def link(self, owner: str, file_id: str, base_url: str) -> str:
        return f"{base_url}{IMAGE_CONTENT_PATH}/{owner}/{file_id}?sig={self.signer.sign(owner, file_id)}"
