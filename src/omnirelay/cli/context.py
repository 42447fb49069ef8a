"""Open the store for one CLI command: migrated, declared config applied, disposed after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.topups import TopUp, credit
from omnirelay.billing.balances import Balances, MemoryBalances, RedisBalances
from omnirelay.bootstrap import DeclaredConfigError, apply_declared
from omnirelay.channels.crypto import SecretBox, load_or_create_secret_key
from omnirelay.cli.settings_load import SETTINGS_EXIT_CODE, load_or_exit
from omnirelay.db.engine import create_engine
from omnirelay.db.migrate import upgrade
from omnirelay.db.startup_lock import startup_lock
from omnirelay.invalidation import publish_change
from omnirelay.settings import Settings, settings_file

__all__ = ["Store", "open_store"]


@dataclass(frozen=True)
class Store:
    settings: Settings
    engine: AsyncEngine
    box: SecretBox

    async def top_up(
        self, account_id: int, amount: int, *, reference: str | None, idempotency_key: str | None
    ) -> TopUp:
        """A top-up (once per idempotency key), then credited in Redis when running gateways count there."""
        settings = self.settings
        balances: Balances = (
            RedisBalances(settings.redis_url, settings.redis_prefix) if settings.redis_url else MemoryBalances()
        )
        try:
            return await credit(
                self.engine, balances, account_id, amount, reference=reference, idempotency_key=idempotency_key
            )
        finally:
            await balances.close()


def settings_source(config: Path | None) -> str:
    """How to name where declared entries come from in an error: the file when there is one."""
    path = settings_file(config)
    return str(path) if path is not None else "settings"


@asynccontextmanager
async def open_store(config: Path | None) -> AsyncIterator[Store]:
    """The store for one command; running gateways are told to reload afterwards (Redis, if set)."""
    settings = load_or_exit(config)
    engine = create_engine(settings.effective_database_url)
    try:
        box = SecretBox(load_or_create_secret_key(settings.secret_key, settings.home))
        try:
            async with startup_lock(engine):
                await upgrade(engine)
                await apply_declared(engine, settings, box)
        except DeclaredConfigError as exc:
            typer.echo(f"error: {settings_source(config)}: {exc}", err=True)
            raise typer.Exit(SETTINGS_EXIT_CODE) from exc
        yield Store(settings, engine, box)
        if settings.redis_url:
            try:
                await publish_change(settings.redis_url, settings.redis_prefix)
            except RedisError as exc:  # done and committed: the gateways see it within cache_refresh_s
                typer.echo(f"warning: could not tell running gateways at once (Redis: {exc})", err=True)
    finally:
        await engine.dispose()
