"""Submitting Suno tasks: check, hold the price, send upstream, store the task, answer its id.

A continuation (extend, cover, infill, persona, stems, concat) goes to the channel that made
its clip, with the upstream's id of that clip's task. Nothing is stored and nothing is charged
unless the upstream accepted the task; from then on the engine polls it, settles the hold when
it succeeds and refunds it when it fails or times out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.db.engine import now_ms
from omnirelay.errors import OmniRelayError
from omnirelay.families.suno.owners import FAMILY, TaskOwners
from omnirelay.families.suno.placement import channel_of, secret_of
from omnirelay.families.suno.submissions import Submission, parse_submission
from omnirelay.families.suno.upstream import SunoAccepted, SunoSubmit, SunoUpstream
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.settings import TaskSettings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord
from omnirelay.webhooks.destinations import Network, check_destination

__all__ = ["SubmitContext", "SunoService"]


@dataclass(frozen=True, slots=True)
class SubmitContext:
    caller: Caller
    base_url: str


class SunoService:
    def __init__(
        self,
        *,
        gate: Gate,
        engine: TaskEngine,
        catalog: Catalog,
        owners: TaskOwners,
        settings: TaskSettings,
        allowed_networks: tuple[Network, ...],
    ) -> None:
        self._gate = gate
        self._engine = engine
        self._catalog = catalog
        self._owners = owners
        self._settings = settings
        self._allowed = allowed_networks

    async def submit(self, action: str, body: object, ctx: SubmitContext) -> str:
        """The new task's id (``data`` of the submit's answer)."""
        submission = parse_submission(action, body)
        if submission.notify_hook:
            await check_destination(submission.notify_hook, self._allowed)
        parent = await self._owners.producer(submission.clip, ctx.caller) if submission.clip else None
        pinned = channel_of(self._catalog, parent) if parent is not None else None
        task_id = str(uuid.uuid4())
        job = await self._gate.open_job(
            ctx.caller, JobRequest(f"/suno/submit/{action}", submission.price, 0, 0), task_id
        )
        call = SunoSubmit(submission.action, submission.body, parent.upstream_id if parent else None)

        async def attempt(provider: SunoUpstream, channel: Channel) -> tuple[SunoAccepted, int]:
            return await provider.submit(channel, call), channel.id

        if pinned is not None:
            accepted, channel_id = await self._gate.run_on(job, pinned, SunoUpstream, attempt)
        else:
            accepted, channel_id = await self._gate.run(job, SunoUpstream, attempt)
        record = self._record(task_id, submission, parent, ctx, job, accepted, channel_id)
        await self._store(record, job, accepted)
        return task_id

    def _record(
        self,
        task_id: str,
        submission: Submission,
        parent: TaskRecord | None,
        ctx: SubmitContext,
        job: Job,
        accepted: SunoAccepted,
        channel_id: int,
    ) -> TaskRecord:
        now = now_ms()
        secret = job.secret_index if job.secret_index is not None else (secret_of(parent) if parent else None)
        poll_ms = int(self._settings.poll_min_s * 1000)
        return TaskRecord(
            id=task_id,
            family=FAMILY,
            action=submission.task_action,
            model=submission.price,
            status=Status.SUBMITTED,
            progress=0,
            account_id=ctx.caller.key.account_id,
            key_id=ctx.caller.key.id,
            channel_id=channel_id,
            upstream_id=accepted.upstream_id,
            parent_id=parent.id if parent else None,
            hold=job.reservation.amount,
            billing="reserved",
            cost=0,
            request={"task": submission.scenario, "base_url": ctx.base_url, "secret": secret},
            result={},
            fail_reason=None,
            notify_url=submission.notify_hook,
            submit_time=now,
            start_time=None,
            finish_time=None,
            deadline=now + int(self._settings.timeout_s * 1000),
            next_poll_at=now + poll_ms if accepted.upstream_id is not None else None,
            poll_interval_ms=poll_ms,
            version=1,
            updated_at=now,
        )

    async def _store(self, record: TaskRecord, job: Job, accepted: SunoAccepted) -> None:
        try:
            stored = await self._engine.create(record, accepted.state)
        except Exception as exc:
            await job.fail(OmniRelayError(f"the task could not be stored: {exc}"))
            raise
        job.hand_over()
        if accepted.state is not None:  # a finished answer (gcui); one already stored changes nothing
            await self._engine.observe(stored, accepted.state)
