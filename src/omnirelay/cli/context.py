"""Open the store for one CLI command: migrated, declared config applied, disposed after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.billing.balances import RedisBalances
from omnirelay.bootstrap import apply_declared
from omnirelay.channels.crypto import SecretBox, load_or_create_secret_key
from omnirelay.cli.settings_load import load_or_exit
from omnirelay.db.engine import create_engine
from omnirelay.db.migrate import upgrade
from omnirelay.invalidation import publish_change
from omnirelay.settings import Settings

__all__ = ["Store", "open_store"]


@dataclass(frozen=True)
class Store:
    settings: Settings
    engine: AsyncEngine
    box: SecretBox

    async def reflect_credit(self, account_id: int, amount: int) -> None:
        """Running gateways count balances in Redis when it is configured: credit them there too."""
        if self.settings.redis_url:
            balances = RedisBalances(self.settings.redis_url, self.settings.redis_prefix)
            try:
                await balances.post_external(account_id, None, amount)
            finally:
                await balances.close()


@asynccontextmanager
async def open_store(config: Path | None) -> AsyncIterator[Store]:
    """The store for one command; running gateways are told to reload afterwards (Redis, if set)."""
    settings = load_or_exit(config)
    engine = create_engine(settings.effective_database_url)
    try:
        await upgrade(engine)
        box = SecretBox(load_or_create_secret_key(settings.secret_key, settings.home))
        await apply_declared(engine, settings, box)
        yield Store(settings, engine, box)
        if settings.redis_url:
            await publish_change(settings.redis_url, settings.redis_prefix)
    finally:
        await engine.dispose()
