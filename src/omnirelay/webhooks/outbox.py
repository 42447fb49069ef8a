"""The durable outbox: one row per webhook message, written in the transaction of the change it reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.db.engine import now_ms
from omnirelay.db.tables import webhook_attempts, webhook_deliveries

__all__ = ["DeliveryLog", "delivery_row", "message_id"]


def message_id(task_id: str, seq: int) -> str:
    """Stable across retries and redeliveries: receivers dedupe on it."""
    return f"msg_{task_id}_{seq}"


def delivery_row(
    *,
    task_id: str,
    seq: int,
    account_id: int,
    url: str,
    event: str,
    payload: dict[str, Any],
    extra_headers: Callable[[bytes], Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The outbox row of one message; ``extra_headers(body)``: a family's own headers for it (kept with it)."""
    now = now_ms()
    body = orjson.dumps(payload)
    headers = extra_headers(body) if extra_headers is not None else None
    return {
        "message_id": message_id(task_id, seq),
        "task_id": task_id,
        "seq": seq,
        "account_id": account_id,
        "event": event,
        "url": url,
        "body": body.decode(),
        "headers": orjson.dumps(dict(headers)).decode() if headers else None,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_until": None,
        "last_status": None,
        "last_error": None,
        "created_at": now,
        "delivered_at": None,
    }


class DeliveryLog:
    """Admin views of the outbox: deliveries with their attempts, and redelivery."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def recent(
        self, *, task_id: str | None, status: str | None, account_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        stmt = sa.select(webhook_deliveries).order_by(webhook_deliveries.c.id.desc()).limit(limit)
        if task_id is not None:
            stmt = stmt.where(webhook_deliveries.c.task_id == task_id)
        if status is not None:
            stmt = stmt.where(webhook_deliveries.c.status == status)
        if account_id is not None:
            stmt = stmt.where(webhook_deliveries.c.account_id == account_id)
        async with self._engine.connect() as conn:
            rows = [{str(k): v for k, v in r.items()} for r in (await conn.execute(stmt)).mappings()]
            attempts = await self._attempts(conn, [r["id"] for r in rows])
        for row in rows:
            row.pop("lease_owner", None)
            row.pop("lease_until", None)
            row["attempt_log"] = attempts.get(row["id"], [])
        return rows

    async def _attempts(self, conn: Any, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        if not ids:
            return {}
        stmt = (
            sa.select(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(ids)).order_by(webhook_attempts.c.id)
        )
        found: dict[int, list[dict[str, Any]]] = {}
        for r in (await conn.execute(stmt)).mappings():
            found.setdefault(r["delivery_id"], []).append(
                {k: r[k] for k in ("attempted_at", "status_code", "error", "duration_ms")}
            )
        return found

    async def redeliver(self, delivery_id: int) -> bool:
        """Send a delivery again (same message id), whatever its state; False when it does not exist."""
        stmt = (
            sa.update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(status="pending", next_attempt_at=now_ms(), lease_until=None)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt)
        return bool(result.rowcount == 1)
