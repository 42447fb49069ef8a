"""Auto-disable channels whose credentials the upstream refuses; re-enable them when they answer again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.channels.model import Channel
from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import channels
from omnirelay.errors import UpstreamError
from omnirelay.providers.base import ModelLister
from omnirelay.providers.registry import capable

__all__ = ["ChannelHealth"]

log = structlog.get_logger(__name__)


class ChannelHealth:
    def __init__(
        self,
        engine: AsyncEngine,
        providers: Mapping[str, object],
        current_channels: Callable[[], Mapping[int, Channel]],
    ) -> None:
        self._engine = engine
        self._providers = providers
        self._channels = current_channels
        self._tasks: set[asyncio.Task[None]] = set()
        self._probe: asyncio.Task[None] | None = None

    def auto_disable(self, channel: Channel, reason: str) -> None:
        """Take the channel out of rotation now; record why in the store in the background."""
        if channel.auto_disabled:
            return
        channel.auto_disabled = True
        channel.disabled_reason = reason
        log.warning("channel auto-disabled", channel=channel.name, reason=reason)
        task = asyncio.create_task(self._store(channel.id, auto_disabled=True, reason=reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _store(self, channel_id: int, *, auto_disabled: bool, reason: str | None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.update(channels)
                .where(channels.c.id == channel_id)
                .values(auto_disabled=auto_disabled, disabled_reason=reason, updated_at=now_ms())
            )
            await bump_revision(conn)

    async def probe_once(self) -> int:
        """Try every auto-disabled channel; re-enable those that answer. Returns how many came back."""
        revived = 0
        for channel in list(self._channels().values()):
            provider = capable(self._providers, channel.type, ModelLister)
            if not channel.auto_disabled or not channel.enabled or provider is None:
                continue
            try:
                await provider.list_models(channel.base_url, channel.next_secret())
            except UpstreamError:
                continue
            channel.auto_disabled = False
            channel.disabled_reason = None
            await self._store(channel.id, auto_disabled=False, reason=None)
            log.info("channel re-enabled by probe", channel=channel.name)
            revived += 1
        return revived

    async def _probe_loop(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.probe_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("channel probe failed")

    def start(self, interval_s: float) -> None:
        self._probe = asyncio.create_task(self._probe_loop(interval_s), name="omnirelay-channel-probe")

    async def stop(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
