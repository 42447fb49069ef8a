"""Which Suno dialect a channel speaks (``options.dialect``), and how its secret is sent.

The option is checked when the channel is written (``channels/options.py``); a value that is
not ``gcui`` here is the default, ``aggregator``.
"""

from __future__ import annotations

from omnirelay.channels.model import Channel
from omnirelay.providers.suno.wire import Dialect

__all__ = ["DIALECTS", "dialect_of", "headers_for"]

DIALECTS: tuple[Dialect, ...] = ("aggregator", "gcui")


def dialect_of(channel: Channel) -> Dialect:
    return "gcui" if channel.options.get("dialect") == "gcui" else "aggregator"


def headers_for(channel: Channel) -> dict[str, str]:
    """Aggregators take ``Authorization: Bearer``. gcui takes a Suno session cookie: a secret with
    ``=`` in it (``__client=...``) is sent as the ``Cookie`` header, any other as a Bearer token
    (for a wrapper behind an authenticating proxy)."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    secret = channel.next_secret()
    if not secret:
        return headers
    if dialect_of(channel) == "gcui" and "=" in secret:
        headers["Cookie"] = secret
    else:
        headers["Authorization"] = f"Bearer {secret}"
    return headers
