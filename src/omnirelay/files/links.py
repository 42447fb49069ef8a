"""Unguessable links to stored files: an HMAC of the owner and the file id, checked without a key.

Whoever holds the link can read the file (an image in a chat client, say); nobody can forge
one for another file. Deleting the file ends the link.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["LinkSigner"]

_SIGNATURE_HEX = 32  # 128 bits


class LinkSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, owner: str, file_id: str) -> str:
        message = f"{owner}/{file_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:_SIGNATURE_HEX]

    def verify(self, owner: str, file_id: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(owner, file_id).encode(), signature.encode())
