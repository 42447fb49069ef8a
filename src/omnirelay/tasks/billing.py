"""The money side of a task: a hold at submit, then exactly one settle or refund when it ends."""

from __future__ import annotations

from omnirelay.db.engine import now_ms
from omnirelay.db.writebehind import LedgerRow
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["closing_entry"]


def closing_entry(
    before: TaskRecord, after: TaskRecord, cost: int | None = None
) -> tuple[TaskRecord, LedgerRow | None]:
    """``after`` with its billing closed when it just finished, and the ledger entry that closes it.

    A success costs ``cost`` when given (metered work: bounded by the hold, the rest given back), else the hold."""
    if not after.finished or before.billing != "reserved":
        return after, None
    if after.status == Status.SUCCESS:
        charged = before.hold if cost is None else min(max(cost, 0), before.hold)
        kind, amount, billing = "settle", before.hold - charged, "settled"
    else:
        kind, amount, billing, charged = "refund", before.hold, "refunded", 0
    entry = LedgerRow(after.account_id, after.key_id, after.id, kind, amount, now_ms())
    return after.replace(billing=billing, cost=charged), entry
