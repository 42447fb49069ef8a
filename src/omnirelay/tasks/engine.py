"""The engine: creates tasks durably, moves them on from polls and callbacks, times them out.

* :meth:`TaskEngine.create` group-commits a new task with its first webhook message.
* :meth:`TaskEngine.observe` applies what an upstream said (a poll result, a local provider's answer).
* :meth:`TaskEngine.poll_soon` takes an upstream callback as a reason to poll now: the body of a
  callback is never applied, so only the upstream's own answer moves a task (and money).
* The poll loop leases due tasks, asks each channel about its tasks in one batch, and backs
  off while nothing changes; the sweep fails tasks past their deadline (refunded).
* Every change is one transaction: status (compare-and-swap), the settle or refund entry
  when it finishes, and the webhook message for the account's receiver.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence

import sqlalchemy as sa
import structlog

from omnirelay.background import cancel_and_wait
from omnirelay.billing.ledger import Ledger
from omnirelay.catalog import Catalog
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import tasks, webhook_deliveries
from omnirelay.db.writebehind import WriteBehind
from omnirelay.errors import OmniRelayError
from omnirelay.providers.registry import capable
from omnirelay.settings import TaskSettings
from omnirelay.tasks.billing import closing_entry
from omnirelay.tasks.family import MeteredFamily, TaskFamily, TaskPoller, WebhookEvents, WebhookHeaders
from omnirelay.tasks.model import ACTIVE, Status, TaskRecord, UpstreamState, advance
from omnirelay.tasks.poll_soon import PollSoon
from omnirelay.tasks.store import Change, TaskStore
from omnirelay.webhooks.deliverer import Deliverer
from omnirelay.webhooks.hooks import AccountHooks
from omnirelay.webhooks.outbox import delivery_row

__all__ = ["TaskEngine"]

log = structlog.get_logger(__name__)

_FULL_ROUND = 100
_RECENT_MAX = 100_000
_RECENT_TTL_S = 1.0


class TaskEngine:
    def __init__(
        self,
        *,
        store: TaskStore,
        writer: WriteBehind,
        ledger: Ledger,
        catalog: Catalog,
        providers: Mapping[str, object],
        hooks: AccountHooks,
        deliverer: Deliverer,
        settings: TaskSettings,
        owner: str,
    ) -> None:
        self.store = store
        self._writer = writer
        self._ledger = ledger
        self._catalog = catalog
        self._providers = providers
        self._hooks = hooks
        self._deliverer = deliverer
        self.settings = settings
        self._owner = owner
        self._families: dict[str, TaskFamily] = {}
        self._events: dict[str, WebhookEvents] = {}
        self._metered: dict[str, MeteredFamily] = {}
        self._headers: dict[str, WebhookHeaders] = {}
        """Capabilities found once at :meth:`register` (isinstance on a Protocol inspects every method)."""
        self._loops: list[asyncio.Task[None]] = []
        self._recent: dict[str, tuple[float, TaskRecord]] = {}
        self._single_process = store.single_process
        self._soon = PollSoon(self._waiting, self._poll_records)

    def register(self, family: TaskFamily) -> None:
        self._families[family.name] = family
        if isinstance(family, WebhookEvents):
            self._events[family.name] = family
        if isinstance(family, MeteredFamily):
            self._metered[family.name] = family
        if isinstance(family, WebhookHeaders):
            self._headers[family.name] = family

    def render(self, record: TaskRecord) -> dict[str, object]:
        return self._families[record.family].render(record)

    def families(self) -> dict[str, TaskFamily]:
        """The registered families by name (family-neutral readers check them for capabilities)."""
        return dict(self._families)

    # -- reading ---------------------------------------------------------------------------

    def _remember(self, record: TaskRecord) -> None:
        if len(self._recent) >= _RECENT_MAX:
            for stale in list(itertools.islice(self._recent, _RECENT_MAX // 10)):
                del self._recent[stale]
        self._recent.pop(record.id, None)
        self._recent[record.id] = (time.monotonic(), record)

    async def read(self, task_id: str) -> TaskRecord | None:
        """A task as fetch endpoints show it: from memory when this process saw its last change.

        With one process (SQLite) memory is always current; with several, an entry is trusted
        for ``_RECENT_TTL_S`` only, since another worker may have moved the task on since.
        """
        record = self._recent_fresh(task_id)
        if record is not None:
            return record
        record = await self.store.get(task_id)
        if record is not None:
            self._remember(record)
        return record

    async def read_many(self, task_ids: Sequence[str], account_id: int) -> list[TaskRecord]:
        found = [r for r in map(self._recent_fresh, task_ids) if r is not None]
        known = {r.id for r in found}
        found += await self.store.get_many([i for i in task_ids if i not in known], account_id)
        return [r for r in found if r.account_id == account_id]

    def _recent_fresh(self, task_id: str) -> TaskRecord | None:
        seen = self._recent.get(task_id)
        if seen is not None and (self._single_process or time.monotonic() - seen[0] < _RECENT_TTL_S):
            return seen[1]
        return None

    # -- creating and changing tasks ------------------------------------------------------

    async def create(self, record: TaskRecord, accepted: UpstreamState | None = None) -> TaskRecord:
        """Store a new task (its hold was reserved by the caller) and its first webhook, durably.

        ``accepted``: what the upstream's accepting answer already said about the task. If it
        moves the task on without finishing it, the task is stored as :meth:`observe` would then
        leave it, with both webhooks, in the same group commit instead of a transaction of its
        own. A finishing answer moves money, so it is left to the caller's :meth:`observe`;
        observing an answer again that was applied here changes nothing. Returns the stored task.
        """
        after = advance(record, accepted, now_ms()) if accepted is not None else None
        stored = after if after is not None and not after.finished else record
        deliveries = [await self._delivery(None, record)]
        if stored is not record:
            deliveries.append(await self._delivery(record, stored))
        rows: list[tuple[sa.Table, dict[str, object]]] = [(tasks, stored.values())]
        rows += [(webhook_deliveries, d) for d in deliveries if d is not None]
        await self._writer.commit_now(rows, [])
        self._remember(stored)
        if len(rows) > 1:
            self._deliverer.wake()
        return stored

    async def observe(self, record: TaskRecord, state: UpstreamState) -> TaskRecord | None:
        """Apply an upstream observation; returns the new record, or None if it changed nothing."""
        after = advance(record, state, now_ms())
        if after is None:
            return None
        won = await self.commit([(record, after)])
        return won[0].after if won else None

    def poll_soon(self, record: TaskRecord) -> bool:
        """An upstream says ``record`` changed: poll it now; False when it is not waiting on a poll."""
        if record.status not in ACTIVE or record.upstream_id is None:
            return False
        self._soon.add(record.id)
        return True

    async def _waiting(self, task_ids: Sequence[str]) -> list[TaskRecord]:
        return [r for r in await self.store.by_ids(task_ids) if r.status in ACTIVE and r.upstream_id is not None]

    async def fail(self, record: TaskRecord, reason: str, status: str = Status.FAILURE) -> TaskRecord | None:
        """End a task on the gateway's side (timeout, cancel); refunded if it held money."""
        now = now_ms()
        state = UpstreamState(status=status, progress=record.progress, fail_reason=reason, finish_time=now)
        return await self.observe(record, state)

    async def commit(self, pairs: Sequence[tuple[TaskRecord, TaskRecord]]) -> list[Change]:
        """Apply ``(before, after)`` pairs; money moves only for the changes that win."""
        changes = [await self._change(before, after) for before, after in pairs]
        paying = {c.entry.account_id for c in changes if c.entry is not None}
        # committed to the store first: the live counters are guarded, then moved (billing/balances.py)
        async with self._writer.lock, self._ledger.balances.external(paying) as external:
            won = await self.store.apply(changes)
            for change in won:
                if change.entry is not None:
                    entry = change.entry
                    external.post(entry.account_id, entry.key_id, entry.amount)
        for change in won:
            self._remember(change.after)
            if change.after.finished and not change.before.finished:  # a finished task changed again logs once
                self._log_finish(change.after)
        if any(c.delivery is not None for c in won):
            self._deliverer.wake()
        return won

    async def _change(self, before: TaskRecord, after: TaskRecord) -> Change:
        family = self._metered.get(after.family)
        metered = family.cost(after) if family is not None and after.status == Status.SUCCESS else None
        after, entry = closing_entry(before, after, metered)
        return Change(before, after, entry, await self._delivery(before, after))

    async def _delivery(self, before: TaskRecord | None, record: TaskRecord) -> dict[str, object] | None:
        family = self._events.get(record.family)
        if family is not None:
            event = family.webhook_event(before, record)
        else:
            event = f"{record.family}.task.{record.status.lower()}"
        if event is None:
            return None
        url = record.notify_url or (await self._hooks.get(record.account_id)).url
        if not url:
            return None
        signer = self._headers.get(record.family)
        return delivery_row(
            task_id=record.id,
            seq=record.version,
            account_id=record.account_id,
            url=url,
            event=event,
            payload=self.render(record),
            extra_headers=None if signer is None else functools.partial(signer.webhook_headers, record),
        )

    def _log_finish(self, record: TaskRecord) -> None:
        self._writer.add_log(
            {
                "request_id": record.id,
                "created_at": now_ms(),
                "account_id": record.account_id,
                "key_id": record.key_id,
                "endpoint": f"task:{record.family}/{record.action.lower()}",
                "model": record.model,
                "channel_id": record.channel_id,
                "stream": False,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "cost": record.cost,
                "unbilled": 0,
                "latency_ms": (record.finish_time or record.updated_at) - record.submit_time,
                "status": 200 if record.status == Status.SUCCESS else 502,
                "error": record.fail_reason,
                "usage": None,  # every log row names the same columns (one batched insert)
            }
        )

    # -- background loops -----------------------------------------------------------------

    def start(self) -> None:
        if not self.settings.worker:
            return
        self._loops = [
            asyncio.create_task(self._every(0.05, self.poll_once), name="omnirelay-task-poll"),
            asyncio.create_task(self._every(self.settings.sweep_interval_s, self.sweep_once), name="omnirelay-sweep"),
        ]

    async def stop(self) -> None:
        await self._soon.stop()
        for loop in self._loops:
            await cancel_and_wait(loop)
        self._loops = []

    async def _every(self, interval_s: float, step: Callable[[], Awaitable[int]]) -> None:
        while True:
            try:
                busy = await step()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store or an upstream may be away; the next round retries
                log.exception("task engine round failed", step=step.__name__)
                busy = 0
            if busy < _FULL_ROUND:  # a short pause lets the next round gather a bigger batch
                await asyncio.sleep(interval_s)

    async def sweep_once(self) -> int:
        """Fail (and refund) tasks past their deadline."""
        overdue = await self.store.overdue(now_ms(), 100)
        for record in overdue:
            limit = (record.deadline - record.submit_time) // 1000  # a family may give its tasks their own
            await self.fail(record, f"The task did not finish within {limit} s; it was failed and refunded.")
        return len(overdue)

    async def poll_once(self) -> int:
        """Lease due tasks and ask their channels about them, one batch per channel."""
        now = now_ms()
        claimed = await self.store.claim_due(
            self._owner, now, int(self.settings.lease_s * 1000), self.settings.poll_batch
        )
        await self._poll_records(claimed)
        return len(claimed)

    async def _poll_records(self, records: Sequence[TaskRecord]) -> None:
        """Ask each channel about its tasks in one batch, and apply the answers."""
        by_channel: defaultdict[int, list[TaskRecord]] = defaultdict(list)
        for record in records:
            by_channel[record.channel_id or 0].append(record)
        await asyncio.gather(*(self._poll_channel(cid, batch) for cid, batch in by_channel.items()))

    async def _poll_channel(self, channel_id: int, records: list[TaskRecord]) -> None:
        channel = self._catalog.snapshot.channels.get(channel_id)
        poller = capable(self._providers, channel.type, TaskPoller) if channel is not None else None
        states: dict[str, UpstreamState] = {}
        if channel is not None and poller is not None:
            try:
                states = await poller.poll(channel, [r.upstream_id or "" for r in records])
            except OmniRelayError as exc:
                log.warning("task poll failed", channel=channel_id, error=exc.message)
        await self._apply_polled(records, states)

    async def _apply_polled(self, records: list[TaskRecord], states: Mapping[str, UpstreamState]) -> None:
        now = now_ms()
        low, high = int(self.settings.poll_min_s * 1000), int(self.settings.poll_max_s * 1000)
        changed: list[tuple[TaskRecord, TaskRecord]] = []
        unchanged: list[tuple[TaskRecord, int, int]] = []
        for record in records:
            state = states.get(record.upstream_id or "")
            after = advance(record, state, now) if state is not None else None
            if after is None:
                interval = min(high, max(low, record.poll_interval_ms * 2))
                unchanged.append((record, now + interval, interval))
            elif after.finished:
                changed.append((record, after))
            else:
                changed.append((record, after.replace(next_poll_at=now + low, poll_interval_ms=low)))
        await self.commit(changed)
        await self.store.unchanged(unchanged)

    async def release_own_leases(self) -> None:
        """At start on SQLite (one worker by definition): leases of a killed process end now."""
        await self.store.clear_leases()
