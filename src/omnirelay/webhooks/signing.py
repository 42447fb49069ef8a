"""Standard Webhooks v1 signatures (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``).

The signature covers ``"{id}.{timestamp}.{body}"`` with HMAC-SHA256 under the secret after
its ``whsec_`` prefix; receivers verify it with any Standard Webhooks library. Sign exactly
the bytes that are sent.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

__all__ = ["new_secret", "signed_headers"]


def new_secret() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(secret: str, message_id: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
    """The three headers that let a receiver check ``body`` came from us, unaltered, recently.

    ``message_id`` must stay the same across retries of one message (receivers dedupe on it)
    and must not contain a dot.
    """
    if "." in message_id:
        raise ValueError("a webhook message id must not contain '.'")
    moment = (at or datetime.now(UTC)).replace(microsecond=0)
    signature = Webhook(secret).sign(message_id, moment, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
