"""The built-in ``local`` channel: created at the first start, then the operator's.

Which models it serves is the operator's choice: ``local_models`` in the settings makes it so at
every start; without it a model is added once, when a version brings it (``offered_models``
remembers what was offered), so a model removed through the admin API or the CLI stays removed.
The channel is *last resort* unless ``local_fallback`` says otherwise: it answers a model only
when no other channel is routed for it (``channels/routing.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin import channels as channel_admin
from omnirelay.admin import prices as price_admin
from omnirelay.channels.crypto import SecretBox
from omnirelay.db.tables import channels, prices
from omnirelay.providers.local import LOCAL_MODELS
from omnirelay.settings import Settings

__all__ = ["LOCAL_CHANNEL", "ensure_local_channel"]

LOCAL_CHANNEL = "local"


def _declared(settings: Settings) -> list[str] | None:
    if settings.local_models is None:
        return None
    unknown = [m for m in settings.local_models if m not in LOCAL_MODELS]
    if unknown:
        raise ValueError(
            f"local_models: {', '.join(unknown)} not local; the local models are {', '.join(LOCAL_MODELS)}"
        )
    if not settings.local_models:
        raise ValueError("local_models is empty: set local_provider = false to have no local channel")
    return list(dict.fromkeys(settings.local_models))


async def _stored(engine: AsyncEngine) -> Any:
    query = sa.select(
        channels.c.id, channels.c.type, channels.c.models, channels.c.offered_models, channels.c.last_resort
    ).where(channels.c.name == LOCAL_CHANNEL)
    async with engine.connect() as conn:
        return (await conn.execute(query)).one_or_none()


async def _create(engine: AsyncEngine, box: SecretBox, settings: Settings, models: list[str]) -> None:
    await channel_admin.create_channel(
        engine,
        box,
        name=LOCAL_CHANNEL,
        type="local",
        base_url="local://builtin",
        models=models,
        priority=-100,
        last_resort=not settings.local_fallback,
    )


async def _update(
    engine: AsyncEngine, box: SecretBox, settings: Settings, row: Any, declared: list[str] | None
) -> None:
    offered = row.offered_models if row.offered_models is not None else row.models
    if declared is not None:
        models = declared
    else:
        models = [*row.models, *(m for m in LOCAL_MODELS if m not in offered and m not in row.models)]
    changes: dict[str, Any] = {}
    if models != row.models:
        changes["models"] = models
    if settings.local_fallback is not None and row.last_resort == settings.local_fallback:
        changes["last_resort"] = not settings.local_fallback
    if changes:
        await channel_admin.update_channel(engine, box, row.id, **changes)


async def _remember_offered(engine: AsyncEngine, offered: Sequence[str]) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(channels).where(channels.c.name == LOCAL_CHANNEL).values(offered_models=list(offered))
        )


async def ensure_local_channel(engine: AsyncEngine, box: SecretBox, settings: Settings) -> None:
    """Create the ``local`` channel, or bring it to the settings and add models new in this version.

    A model new to this store also gets a ``free`` price, once: prices an operator set or
    removed are left alone. A channel named ``local`` of another type is left alone.
    """
    declared = _declared(settings)
    row = await _stored(engine)
    if row is None:
        await _create(engine, box, settings, declared or list(LOCAL_MODELS))
        before: Sequence[str] = ()
    elif row.type != "local":
        return
    else:
        await _update(engine, box, settings, row, declared)
        before = row.offered_models if row.offered_models is not None else row.models
    if set(before) >= set(LOCAL_MODELS) and row is not None and row.offered_models is not None:
        return
    await _remember_offered(engine, sorted({*before, *LOCAL_MODELS}))
    async with engine.connect() as conn:
        priced = set(await conn.scalars(sa.select(prices.c.model)))
    for model in LOCAL_MODELS:
        if model not in before and model not in priced:
            await price_admin.set_price(engine, model, mode="free")
