"""The money side of a task: a hold at submit, then exactly one settle or refund when it ends."""

from __future__ import annotations

from omnirelay.db.engine import now_ms
from omnirelay.db.writebehind import LedgerRow
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["closing_entry"]


def closing_entry(before: TaskRecord, after: TaskRecord) -> tuple[TaskRecord, LedgerRow | None]:
    """``after`` with its billing closed when it just finished, and the ledger entry that closes it."""
    if not after.finished or before.billing != "reserved":
        return after, None
    if after.status == Status.SUCCESS:
        kind, amount, billing, cost = "settle", 0, "settled", before.hold
    else:
        kind, amount, billing, cost = "refund", before.hold, "refunded", 0
    entry = LedgerRow(after.account_id, after.key_id, after.id, kind, amount, now_ms())
    return after.replace(billing=billing, cost=cost), entry
