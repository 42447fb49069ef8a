"""Find a channel by what an operator types: its name or its id."""

from __future__ import annotations

import difflib

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.db.tables import channels
from omnirelay.errors import NotFound
from omnirelay.integers import row_id_in

__all__ = ["find_channel_id"]

_SUGGESTIONS = 5


async def find_channel_id(engine: AsyncEngine, ref: str) -> int:
    """The id of the channel named ``ref``, else of the one whose id is ``ref``; NotFound lists near names.

    A name wins over an id, so a channel named ``"7"`` is found by its name.
    """
    ref = ref.strip()
    async with engine.connect() as conn:
        channel_id = await conn.scalar(sa.select(channels.c.id).where(channels.c.name == ref))
        if channel_id is None and (named_id := row_id_in(ref)) is not None:
            channel_id = await conn.scalar(sa.select(channels.c.id).where(channels.c.id == named_id))
        if channel_id is None:
            names = list((await conn.scalars(sa.select(channels.c.name).order_by(channels.c.id))).all())
            raise NotFound(_unknown(ref, names), param="channel")
    return int(channel_id)


def _unknown(ref: str, names: list[str]) -> str:
    message = f"No channel is named {ref!r}" + (" or has that id." if ref.isdigit() else ".")
    lowered = ref.lower()
    near = [n for n in names if lowered and lowered in n.lower()]
    near += [n for n in difflib.get_close_matches(ref, names, n=_SUGGESTIONS, cutoff=0.5) if n not in near]
    if near:
        return message + " Did you mean: " + ", ".join(near[:_SUGGESTIONS]) + "?"
    return message + " See 'omnirelay channels list'."
