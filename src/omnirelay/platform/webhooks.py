"""An account's own webhook settings: the default URL, the signing secret, its deliveries.

The URL is checked like every callback URL (SSRF); setting, rotating and the delivery log are the
admin API's services (``admin/webhooks.py``, ``webhooks/outbox.py``), limited to the account.
A test event goes into the outbox like a task's event, so it is signed, SSRF-checked again at
connect time, retried and logged exactly like the real ones.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin import webhooks as admin_hooks
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import webhook_deliveries
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.task_runtime import TaskRuntime
from omnirelay.webhooks.destinations import check_destination, parse_networks
from omnirelay.webhooks.outbox import delivery_row

__all__ = ["TEST_EVENT", "hook_of", "own_deliveries", "redeliver_own", "send_test"]

TEST_EVENT = "webhook.test"


async def hook_of(engine: AsyncEngine, tasks: TaskRuntime, account_id: int) -> dict[str, Any]:
    """The account's URL (None when unset) and signing secret (created on first need)."""
    hook = await admin_hooks.get_hook(engine, tasks.hooks, account_id)
    return {"url": hook.url, "secret": hook.secret}


async def own_deliveries(tasks: TaskRuntime, account_id: int, limit: int) -> list[dict[str, Any]]:
    """The account's latest deliveries, newest first, each with its attempts."""
    return await tasks.deliveries.recent(task_id=None, status=None, account_id=account_id, limit=limit)


async def redeliver_own(engine: AsyncEngine, tasks: TaskRuntime, account_id: int, delivery_id: int) -> None:
    """Send one of the account's deliveries again (same message id); another account's is not found."""
    stmt = sa.select(webhook_deliveries.c.account_id).where(webhook_deliveries.c.id == delivery_id)
    async with engine.connect() as conn:
        owner = await conn.scalar(stmt)
    if owner != account_id or not await tasks.deliveries.redeliver(delivery_id):
        raise NotFound(f"No webhook delivery {delivery_id} of yours exists.")
    tasks.deliverer.wake()


async def send_test(
    engine: AsyncEngine, tasks: TaskRuntime, account_id: int, allow_networks: list[str] | tuple[str, ...]
) -> dict[str, Any]:
    """A ``webhook.test`` event to the account's URL through the outbox; the delivery's id and message id."""
    hook = await tasks.hooks.get(account_id)
    if not hook.url:
        raise InvalidRequest("Set a webhook URL first.", param="url", code="webhook_url_missing")
    await check_destination(hook.url, parse_networks(allow_networks))
    task_id = "test_" + secrets.token_hex(8)
    payload = {"type": TEST_EVENT, "account_id": account_id, "timestamp": now_ms(), "data": {"test": True}}
    row = delivery_row(task_id=task_id, seq=0, account_id=account_id, url=hook.url, event=TEST_EVENT, payload=payload)
    async with engine.begin() as conn:
        delivery_id = await conn.scalar(sa.insert(webhook_deliveries).values(**row).returning(webhook_deliveries.c.id))
    tasks.deliverer.wake()
    return {"id": delivery_id, "message_id": row["message_id"], "event": TEST_EVENT, "url": hook.url}
