"""Where a continuation runs: the channel that made its clip, with the same upstream account (secret).

A Suno clip lives in one upstream account: a channel with several secrets (several accounts,
or several Suno cookies) must send the continuation with the secret that made the clip. The
index of that secret is kept in the task's ``request["secret"]``.
"""

from __future__ import annotations

from omnirelay.catalog import Catalog
from omnirelay.channels.availability import channel_disabled
from omnirelay.channels.model import Channel
from omnirelay.errors import NotFound
from omnirelay.tasks.model import TaskRecord

__all__ = ["channel_of", "secret_of"]


def secret_of(record: TaskRecord) -> int | None:
    index = record.request.get("secret")
    return index if isinstance(index, int) and not isinstance(index, bool) else None


def channel_of(catalog: Catalog, record: TaskRecord) -> Channel:
    """The channel ``record`` ran on, sending only the secret it ran with; refused if gone or disabled."""
    channel = catalog.snapshot.channels.get(record.channel_id or -1)
    if channel is None:
        raise NotFound(f"The channel that made {record.id} is no longer available.", code="channel_gone")
    if not channel.usable:
        raise channel_disabled(channel, f"that made {record.id}")
    index = secret_of(record)
    if index is not None and len(channel.secrets) > 1 and index < len(channel.secrets):
        return channel.with_secret(index)
    return channel
