"""Channels: create, change, list (secrets never leave encrypted, listings show a count), remove.

A base URL is checked and stored in its channel type's normal form (``channels/base_url.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.channels.crypto import SecretBox
from omnirelay.channels.options import checked_options, public_options, sealed_options
from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import channels
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.integers import INT32_MAX
from omnirelay.providers.registry import CHANNEL_TYPES, checked_base_url

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
    "last_resort",
    "options",
)
_NOT_NULL = frozenset(c.name for c in channels.c if not c.nullable)
"""Fields an explicit ``null`` cannot clear: refused with 400 instead of failing in the store."""


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
        "last_resort": row.last_resort,
        "options": public_options(row.options),
        "auto_disabled": row.auto_disabled,
        "disabled_reason": row.disabled_reason,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _values(fields: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    unknown = set(fields) - set(CHANNEL_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown channel field(s): {', '.join(sorted(unknown))}.")
    nulls = sorted(name for name, value in fields.items() if value is None and name in _NOT_NULL)
    if nulls:
        raise InvalidRequest(f"{nulls[0]} cannot be null; leave it out to keep it as it is.", param=nulls[0])
    if "type" in fields and fields["type"] not in CHANNEL_TYPES:
        raise InvalidRequest(
            f"Unknown channel type {fields['type']!r}; known: {', '.join(CHANNEL_TYPES)}.", param="type"
        )
    if "weight" in fields and not (type(fields["weight"]) is int and 0 <= fields["weight"] <= INT32_MAX):
        raise InvalidRequest(f"weight must be a whole number from 0 to {INT32_MAX}.", param="weight")
    if "priority" in fields and not (type(fields["priority"]) is int and abs(fields["priority"]) <= INT32_MAX):
        raise InvalidRequest(f"priority must be a whole number from -{INT32_MAX} to {INT32_MAX}.", param="priority")
    if fields.get("timeout_s") is not None and fields["timeout_s"] <= 0:
        raise InvalidRequest(
            "timeout_s must be a positive number of seconds (or null for the default).", param="timeout_s"
        )
    if "models" in fields and not fields["models"]:
        raise InvalidRequest("A channel needs at least one model (disable it to stop its traffic).", param="models")
    values = dict(fields)
    if "secrets" in values:
        values["secrets"] = box.seal([str(s) for s in values["secrets"]])
    return values


def _edited_models(models: Sequence[str], add: Sequence[str], remove: Sequence[str]) -> list[str]:
    unknown = [m for m in remove if m not in models]
    if unknown:
        raise InvalidRequest(
            f"remove_models: the channel does not serve {', '.join(unknown)}; it serves {', '.join(models)}.",
            param="remove_models",
        )
    kept = [m for m in models if m not in remove]
    return kept + [m for m in dict.fromkeys(add) if m not in kept]


async def _refuse_taken_name(conn: AsyncConnection, name: str, channel_id: int | None = None) -> None:
    found = await conn.scalar(sa.select(channels.c.id).where(channels.c.name == name))
    if found is not None and found != channel_id:
        raise InvalidRequest(f"A channel named {name!r} already exists.", code="conflict", param="name")


async def create_channel(engine: AsyncEngine, box: SecretBox, **fields: Any) -> dict[str, Any]:
    for required in ("name", "base_url", "models"):
        if not fields.get(required):
            raise InvalidRequest(f"A channel needs {required}.", param=required)
    fields.setdefault("type", "openai")
    fields.setdefault("secrets", [])
    fields.setdefault("model_map", {})
    fields.setdefault("groups", ["default"])
    values = _values(fields, box)
    values["base_url"] = checked_base_url(values["type"], str(values["base_url"]))
    values["options"] = sealed_options(checked_options(values["type"], values.get("options")), None, box)
    now = now_ms()
    async with engine.begin() as conn:
        await _refuse_taken_name(conn, values["name"])
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


async def update_channel(
    engine: AsyncEngine,
    box: SecretBox,
    channel_id: int,
    *,
    add_models: Sequence[str] = (),
    remove_models: Sequence[str] = (),
    **fields: Any,
) -> dict[str, Any]:
    """Change fields (``models`` replaces the list, ``add_models``/``remove_models`` edit it); a new
    type or base URL is checked together; enabling a channel by hand also clears an automatic disable."""
    values = _values(fields, box)
    if values.get("enabled") is True:
        values.update(auto_disabled=False, disabled_reason=None)
    async with engine.begin() as conn:
        row = (await conn.execute(sa.select(channels).where(channels.c.id == channel_id))).one_or_none()
        if row is None:
            raise NotFound(f"No channel with id {channel_id}.")
        if "name" in values:
            await _refuse_taken_name(conn, values["name"], channel_id)
        if "type" in values or "base_url" in values:
            values["base_url"] = checked_base_url(
                values.get("type", row.type), str(values.get("base_url", row.base_url))
            )
        if "type" in values or "options" in values:
            checked = checked_options(values.get("type", row.type), values.get("options", row.options))
            values["options"] = sealed_options(checked, row.options, box)
        if add_models or remove_models:  # null (from a PATCH body) is an empty edit
            values["models"] = _edited_models(values.get("models", row.models), add_models or (), remove_models or ())
            _values({"models": values["models"]}, box)
        await conn.execute(sa.update(channels).where(channels.c.id == channel_id).values(updated_at=now_ms(), **values))
        await bump_revision(conn)
    return await get_channel(engine, box, channel_id)


async def delete_channel(engine: AsyncEngine, channel_id: int) -> None:
    async with engine.begin() as conn:
        if (await conn.execute(sa.delete(channels).where(channels.c.id == channel_id))).rowcount == 0:
            raise NotFound(f"No channel with id {channel_id}.")
        await bump_revision(conn)
