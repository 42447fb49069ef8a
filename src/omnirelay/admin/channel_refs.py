"""Find a channel by what an operator types: its name or its id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.row_refs import find_row_id
from omnirelay.db.tables import channels

__all__ = ["find_channel_id"]


async def find_channel_id(engine: AsyncEngine, ref: str) -> int:
    """The id of the channel named ``ref``, else of the one whose id is ``ref``; NotFound lists near names.

    A name wins over an id, so a channel named ``"7"`` is found by its name.
    """
    return await find_row_id(engine, channels, ref, noun="channel")
