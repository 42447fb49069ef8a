"""Vendors created through the admin API, kept in the ``task_vendors`` table (one JSON config per name).

Every write bumps the configuration revision in its transaction, so every process's
:class:`~omnirelay.families.task_vendor.book.VendorBook` reloads (as the catalog does).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import task_vendors
from omnirelay.families.task_vendor.config import VendorConfig

__all__ = ["VendorStore"]


class VendorStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> tuple[list[VendorConfig], list[str]]:
        """The stored vendors, and the names of rows that no longer validate (left out, warned about)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(task_vendors).order_by(task_vendors.c.name))).mappings().all()
        loaded: list[VendorConfig] = []
        broken: list[str] = []
        for row in rows:
            try:
                loaded.append(VendorConfig.model_validate(row["config"]))
            except ValidationError:
                broken.append(str(row["name"]))
        return loaded, broken

    async def put(self, config: VendorConfig, *, create: bool) -> bool:
        """Store ``config``; False when ``create`` and the name is taken, or not ``create`` and it is not."""
        values: dict[str, Any] = {"config": config.model_dump(mode="json", exclude_none=True), "updated_at": now_ms()}
        async with self._engine.begin() as conn:
            if create:
                exists = await conn.scalar(sa.select(task_vendors.c.name).where(task_vendors.c.name == config.name))
                if exists is not None:
                    return False
                await conn.execute(sa.insert(task_vendors).values(name=config.name, created_at=now_ms(), **values))
            else:
                done = await conn.execute(
                    sa.update(task_vendors).where(task_vendors.c.name == config.name).values(**values)
                )
                if done.rowcount == 0:
                    return False
            await bump_revision(conn)
        return True

    async def delete(self, name: str) -> bool:
        async with self._engine.begin() as conn:
            done = await conn.execute(sa.delete(task_vendors).where(task_vendors.c.name == name))
            if done.rowcount == 0:
                return False
            await bump_revision(conn)
        return True
