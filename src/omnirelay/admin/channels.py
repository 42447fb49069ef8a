"""Channels: create, change, list (secrets never leave encrypted, listings show a count), remove."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.channels.crypto import SecretBox
from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import channels
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.providers.registry import CHANNEL_TYPES

__all__ = [
    "CHANNEL_FIELDS",
    "create_channel",
    "delete_channel",
    "get_channel",
    "list_channels",
    "update_channel",
]

CHANNEL_FIELDS = (
    "name",
    "type",
    "base_url",
    "secrets",
    "models",
    "model_map",
    "priority",
    "weight",
    "groups",
    "timeout_s",
    "enabled",
)


def _public(row: Any, box: SecretBox) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "base_url": row.base_url,
        "secret_count": len(box.open(row.secrets)),
        "models": row.models,
        "model_map": row.model_map,
        "priority": row.priority,
        "weight": row.weight,
        "groups": row.groups,
        "timeout_s": row.timeout_s,
        "enabled": row.enabled,
        "auto_disabled": row.auto_disabled,
        "disabled_reason": row.disabled_reason,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _values(fields: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    unknown = set(fields) - set(CHANNEL_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown channel field(s): {', '.join(sorted(unknown))}.")
    if "type" in fields and fields["type"] not in CHANNEL_TYPES:
        raise InvalidRequest(f"Unknown channel type {fields['type']!r}; known: {', '.join(CHANNEL_TYPES)}.")
    if "base_url" in fields and not str(fields["base_url"]).startswith(("http://", "https://", "local://")):
        raise InvalidRequest(
            "base_url must start with http:// or https:// (local:// for the local type).", param="base_url"
        )
    if "weight" in fields and fields["weight"] < 0:
        raise InvalidRequest("weight cannot be negative.", param="weight")
    values = dict(fields)
    if "secrets" in values:
        values["secrets"] = box.seal([str(s) for s in values["secrets"]])
    if "base_url" in values:
        values["base_url"] = str(values["base_url"]).rstrip("/")
    return values


async def create_channel(engine: AsyncEngine, box: SecretBox, **fields: Any) -> dict[str, Any]:
    for required in ("name", "base_url", "models"):
        if not fields.get(required):
            raise InvalidRequest(f"A channel needs {required}.", param=required)
    fields.setdefault("type", "openai")
    fields.setdefault("secrets", [])
    fields.setdefault("model_map", {})
    fields.setdefault("groups", ["default"])
    values = _values(fields, box)
    now = now_ms()
    async with engine.begin() as conn:
        if await conn.scalar(sa.select(channels.c.id).where(channels.c.name == values["name"])) is not None:
            raise InvalidRequest(f"A channel named {values['name']!r} already exists.", code="conflict")
        channel_id = (
            await conn.execute(
                sa.insert(channels).values(created_at=now, updated_at=now, **values).returning(channels.c.id)
            )
        ).scalar_one()
        await bump_revision(conn)
    return await get_channel(engine, box, channel_id)


async def get_channel(engine: AsyncEngine, box: SecretBox, channel_id: int) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(channels).where(channels.c.id == channel_id))).one_or_none()
    if row is None:
        raise NotFound(f"No channel with id {channel_id}.")
    return _public(row, box)


async def list_channels(engine: AsyncEngine, box: SecretBox) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [_public(r, box) for r in await conn.execute(sa.select(channels).order_by(channels.c.id))]


async def update_channel(engine: AsyncEngine, box: SecretBox, channel_id: int, **fields: Any) -> dict[str, Any]:
    """Change fields; enabling a channel by hand also clears an automatic disable."""
    values = _values(fields, box)
    if values.get("enabled") is True:
        values.update(auto_disabled=False, disabled_reason=None)
    async with engine.begin() as conn:
        result = await conn.execute(
            sa.update(channels).where(channels.c.id == channel_id).values(updated_at=now_ms(), **values)
        )
        if result.rowcount == 0:
            raise NotFound(f"No channel with id {channel_id}.")
        await bump_revision(conn)
    return await get_channel(engine, box, channel_id)


async def delete_channel(engine: AsyncEngine, channel_id: int) -> None:
    async with engine.begin() as conn:
        if (await conn.execute(sa.delete(channels).where(channels.c.id == channel_id))).rowcount == 0:
            raise NotFound(f"No channel with id {channel_id}.")
        await bump_revision(conn)
