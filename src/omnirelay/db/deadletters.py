"""Dead letters: write-behind rows the store refused, set aside so the rows behind them still commit.

A ledger entry or request log that the store refuses on its own (an amount out of the 64-bit
range, a value too long for its column...) is a bug upstream of the writer: every intake bounds
what it accepts (``billing/amounts.py``). Should one get through anyway, the writer commits the
rest of its batch without it and hands it here: it goes to the ``dead_letters`` table (its row
as JSON text, which holds any number), with an error in the log. When the store refuses even
that, or is away when the process stops, the rows are appended to ``$OMNIRELAY_HOME/dead-letters.jsonl``
instead. Nothing is replayed automatically: an operator reconciles (``docs/operate-billing.md``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.db.engine import now_ms
from omnirelay.db.tables import dead_letters

__all__ = ["DeadLetters"]

log = structlog.get_logger(__name__)

_ERROR_CHARS = 2000


def _json(row: dict[str, Any]) -> str:
    """JSON that keeps any integer exactly (no 64-bit limit), and anything else as text."""
    return json.dumps(row, default=str, sort_keys=True)


class DeadLetters:
    def __init__(self, engine: AsyncEngine, spill_path: Path | None) -> None:
        self._engine = engine
        self._spill_path = spill_path

    async def put(self, source: str, row: dict[str, Any], error: BaseException) -> None:
        """Persist one refused row in ``dead_letters`` (or the spill file) and report it."""
        payload, reason = _json(row), f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
        log.error(
            "the store refused a row; it was set aside as a dead letter", source=source, row=payload, error=reason
        )
        try:
            async with self._engine.begin() as conn:
                values = {"created_at": now_ms(), "source": source, "payload": payload, "error": reason}
                await conn.execute(sa.insert(dead_letters).values(**values))
        except Exception as exc:  # noqa: BLE001 - the spill file is the last resort
            await self.spill([(source, row)], exc)

    async def spill(self, rows: Sequence[tuple[str, dict[str, Any]]], error: BaseException) -> None:
        """Append ``rows`` to the spill file: the store cannot take them (refused, or away at shutdown)."""
        if not rows:
            return
        reason = f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
        if self._spill_path is None:
            log.error("rows could not be stored and there is no spill file", count=len(rows), error=reason)
            return
        lines = "".join(
            _json({"created_at": now_ms(), "source": source, "row": row, "error": reason}) + "\n"
            for source, row in rows
        )
        await asyncio.to_thread(_append, self._spill_path, lines)
        log.error(
            "rows the store could not take were written to the spill file", path=str(self._spill_path), count=len(rows)
        )


def _append(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(text)
