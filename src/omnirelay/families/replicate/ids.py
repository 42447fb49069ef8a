"""Prediction ids as Replicate's: 26 characters of ``[a-z0-9]``, minted by the gateway (never the upstream's)."""

from __future__ import annotations

import base64
import secrets

__all__ = ["new_prediction_id"]


def new_prediction_id() -> str:
    """128 random bits in lower-case base32: 26 characters of ``a-z`` and ``2-7``."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()
