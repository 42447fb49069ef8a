"""Reading and canceling the caller's vendor tasks: ``GET /v1/tasks/{id}``, ``GET /v1/tasks``, cancel.

Another account's task (or another family's) answers not-found, so ids reveal nothing. The list
is newest first, paged by an opaque cursor that new tasks never shift.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.families.task_vendor.book import VendorBook
from omnirelay.families.task_vendor.upstream import VendorUpstream
from omnirelay.families.task_vendor.wire import FAMILY, TaskVendorFamily
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["CancelRefused", "VendorQueries", "decode_cursor"]

MAX_LIMIT = 100


class CancelRefused(InvalidRequest):
    """The task cannot be canceled: it finished, or its vendor has no cancel."""

    status_code = 409
    code = "cancel_refused"


def _cursor(record: TaskRecord) -> str:
    return base64.urlsafe_b64encode(f"{record.submit_time}:{record.id}".encode()).decode().rstrip("=")


def decode_cursor(text: str | None) -> tuple[int, str] | None:
    """``(submit_time, id)`` of a cursor a list answered; InvalidRequest for anything else."""
    if not text:
        return None
    try:
        at, _, task_id = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().partition(":")
        if at.isdigit() and len(at) <= 16 and task_id.startswith("task_"):
            return int(at), task_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidRequest("cursor is not one a list answered (next_cursor).", param="cursor")


class VendorQueries:
    def __init__(
        self, *, engine: TaskEngine, family: TaskVendorFamily, book: VendorBook, gate: Gate, catalog: Catalog
    ) -> None:
        self._catalog = catalog
        self._engine = engine
        self._family = family
        self._book = book
        self._gate = gate

    async def _mine(self, task_id: str, caller: Caller) -> TaskRecord:
        record = await self._engine.read(task_id) if task_id.startswith("task_") and len(task_id) <= 40 else None
        if record is None or record.family != FAMILY or record.account_id != caller.key.account_id:
            raise NotFound(f"No task {task_id} of yours exists.")
        return record

    async def get(self, task_id: str, caller: Caller) -> dict[str, Any]:
        return self._family.render(await self._mine(task_id, caller))

    async def list(self, caller: Caller, cursor: str | None, limit: int) -> dict[str, Any]:
        rows = await self._engine.store.page(
            caller.key.account_id, FAMILY, before=decode_cursor(cursor), limit=min(limit, MAX_LIMIT) + 1
        )
        shown, more = rows[:limit], len(rows) > limit
        return {
            "object": "list",
            "data": [self._family.render(r) for r in shown],
            "has_more": more,
            "next_cursor": _cursor(shown[-1]) if more and shown else None,
        }

    async def cancel(self, task_id: str, caller: Caller) -> dict[str, Any]:
        """Ask the vendor to stop the task, then end it canceled (refunded)."""
        record = await self._mine(task_id, caller)
        vendor = (await self._book.current()).by_name.get(str(record.request.get("vendor")))
        if vendor is None or vendor.cancel is None:
            raise CancelRefused(f"The vendor {record.request.get('vendor')} does not support canceling tasks.")
        if record.finished:
            raise CancelRefused(f"The task {task_id} already ended ({self._family.render(record)['status']}).")
        channel = self._channel(record)
        provider = self._gate.provider_for(channel, VendorUpstream)
        await provider.cancel(channel, vendor, record.upstream_id or "")
        after = await self._engine.fail(record, "Canceled by the client.", Status.CANCEL)
        return self._family.render(after or await self._mine(task_id, caller))

    def _channel(self, record: TaskRecord) -> Channel:
        channel = self._catalog.snapshot.channels.get(record.channel_id or 0)
        if channel is None:
            raise CancelRefused(f"The channel that runs task {record.id} no longer exists.")
        return channel
