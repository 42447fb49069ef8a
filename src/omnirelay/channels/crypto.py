"""Upstream secrets are encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import orjson
from cryptography.fernet import Fernet, InvalidToken

__all__ = ["SecretBox", "load_or_create_secret_key"]


class SecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())
        self._root = key.encode()

    def derive_key(self, purpose: str) -> bytes:
        """A key for another use (e.g. signing links), derived one way from this box's key."""
        return hmac.new(self._root, b"omnirelay:" + purpose.encode(), hashlib.sha256).digest()

    def seal(self, secrets: list[str]) -> str:
        return self._fernet.encrypt(orjson.dumps(secrets)).decode()

    def open(self, sealed: str) -> list[str]:
        try:
            value = orjson.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken as exc:
            raise ValueError(
                "cannot decrypt a channel secret: OMNIRELAY_SECRET_KEY differs from the key it was sealed with"
            ) from exc
        return [str(v) for v in value]


def load_or_create_secret_key(configured: str | None, home: Path) -> str:
    """The configured key, else ``$OMNIRELAY_HOME/secret.key`` (created once, mode 0600)."""
    if configured:
        return configured
    path = home / "secret.key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
