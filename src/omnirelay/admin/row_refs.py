"""Find a row by what an operator types: its name, else its id; NotFound suggests near names."""

from __future__ import annotations

import difflib

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.errors import NotFound
from omnirelay.integers import row_id_in

__all__ = ["find_row_id"]

_SUGGESTIONS = 5


async def find_row_id(engine: AsyncEngine, table: sa.Table, ref: str, *, noun: str, empty_hint: str = "") -> int:
    """The id of the ``table`` row named ``ref``, else of the one whose id is ``ref``.

    A name wins over an id, so a row named ``"7"`` is found by its name. NotFound (``param=noun``) lists
    near names, or says ``empty_hint`` when the table has no rows and a hint is given.
    """
    ref = ref.strip()
    async with engine.connect() as conn:
        row_id = await conn.scalar(sa.select(table.c.id).where(table.c.name == ref))
        if row_id is None and (named_id := row_id_in(ref)) is not None:
            row_id = await conn.scalar(sa.select(table.c.id).where(table.c.id == named_id))
        if row_id is None:
            names = list((await conn.scalars(sa.select(table.c.name).order_by(table.c.id))).all())
            raise NotFound(_unknown(ref, names, noun, empty_hint), param=noun)
    return int(row_id)


def _unknown(ref: str, names: list[str], noun: str, empty_hint: str) -> str:
    message = f"No {noun} is named {ref!r}" + (" or has that id." if ref.isdigit() else ".")
    if not names and empty_hint:
        return f"{message} {empty_hint}"
    lowered = ref.lower()
    near = [n for n in names if lowered and lowered in n.lower()]
    near += [n for n in difflib.get_close_matches(ref, names, n=_SUGGESTIONS, cutoff=0.5) if n not in near]
    if near:
        return message + " Did you mean: " + ", ".join(near[:_SUGGESTIONS]) + "?"
    return message + f" See 'omnirelay {noun}s list'."
