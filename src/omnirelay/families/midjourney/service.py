"""Submitting Midjourney tasks: check, hold the price, send upstream, store the task, answer the envelope.

Follow-ups (``change``, ``action``, ``modal``) go to the channel that holds the parent task.
A task is charged once: at submit, or at ``/modal`` for buttons that need one (Vary Region,
Custom Zoom), never at both. Nothing is stored unless the upstream accepted the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omnirelay.catalog import Catalog
from omnirelay.channels.availability import channel_disabled
from omnirelay.channels.model import Channel
from omnirelay.db.engine import now_ms
from omnirelay.db.writebehind import WriteBehind
from omnirelay.errors import ChannelsDisabled, InvalidRequest, ModelNotFound, NotFound, OmniRelayError, UpstreamError
from omnirelay.families.midjourney.actions import model_for
from omnirelay.families.midjourney.images import check_image_link
from omnirelay.families.midjourney.plan import Plan, plan_submission
from omnirelay.families.midjourney.queries import owned
from omnirelay.families.midjourney.submissions import Submission, parse_submission
from omnirelay.families.midjourney.upstream import MidjourneyUpstream, MJAnswer, MJCall, RefusedByUpstream
from omnirelay.families.midjourney.wire import MidjourneyFamily, envelope
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.settings import TaskSettings
from omnirelay.tasks.callback_tokens import CallbackTokens
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.ids import TaskIds
from omnirelay.tasks.model import Status, TaskRecord
from omnirelay.webhooks.destinations import Network, check_destination

__all__ = ["MidjourneyService", "SubmitContext"]

_STATUS_BY_CODE = {1: Status.SUBMITTED, 22: Status.NOT_START, 21: Status.MODAL}
_KEPT_PROPERTIES = ("numberOfQueues", "discordInstanceId", "promptEn", "bannedWord", "finalPrompt", "remix")


@dataclass(frozen=True, slots=True)
class SubmitContext:
    caller: Caller
    mode: str | None
    base_url: str


class MidjourneyService:
    def __init__(
        self,
        *,
        gate: Gate,
        engine: TaskEngine,
        catalog: Catalog,
        writer: WriteBehind,
        callbacks: CallbackTokens,
        settings: TaskSettings,
        allowed_networks: tuple[Network, ...],
    ) -> None:
        self._gate = gate
        self._engine = engine
        self._catalog = catalog
        self._writer = writer
        self._callbacks = callbacks
        self._settings = settings
        self._allowed = allowed_networks
        self._ids = TaskIds()

    async def submit(self, endpoint: str, body: Any, ctx: SubmitContext) -> dict[str, Any]:
        submission = parse_submission(endpoint, body, self._settings.max_image_bytes)
        hook = submission.body.get("notifyHook")
        if hook:
            await check_destination(hook, self._allowed)
        for name, link in submission.links:
            await check_image_link(link, name, self._allowed)
        if endpoint == "modal":
            return await self._confirm_modal(submission, ctx)
        parent = await self.own_task(submission.parent_id, ctx.caller) if submission.parent_id else None
        plan = plan_submission(submission, parent)
        if plan.action == "BOOKMARK":
            return envelope(1, "Success", parent.id if parent else None)
        return await self._send(submission, plan, parent, ctx)

    async def own_task(self, task_id: str | None, caller: Caller) -> TaskRecord:
        """A parent task, read from the store (not memory): acting on it needs its latest state."""
        return owned(await self._engine.store.get(task_id) if task_id else None, task_id, caller)

    def _channel_of(self, parent: TaskRecord) -> Channel:
        channel = self._catalog.snapshot.channels.get(parent.channel_id or -1)
        if channel is None:
            raise NotFound(f"The channel that ran task {parent.id} is no longer available.", code="channel_gone")
        if not channel.usable:
            raise channel_disabled(channel, f"that ran task {parent.id}")
        return channel

    async def _open_job(self, ctx: SubmitContext, billing: str, task_id: str, endpoint: str) -> Job | None:
        if not billing:
            return None
        model = model_for(billing)
        try:
            job = await self._gate.open_job(ctx.caller, JobRequest(f"/mj/submit/{endpoint}", model, 0, 0), task_id)
        except ModelNotFound as exc:
            raise NeedsChannel(model) from exc
        job.answered_status = 200  # the envelope carries the outcome; the log shows what the client got
        return job

    async def _send(
        self, submission: Submission, plan: Plan, parent: TaskRecord | None, ctx: SubmitContext
    ) -> dict[str, Any]:
        task_id = self._ids.next()
        pinned = self._channel_of(parent) if parent is not None else None
        job = await self._open_job(ctx, plan.billing, task_id, submission.endpoint)
        try:
            answer, channel_id = await self._call(job, pinned, plan, ctx, task_id)
        except RefusedByUpstream as exc:
            return _answer_envelope(exc.answer, None)
        except ChannelsDisabled:
            raise  # the edge answers it: only the operator can help
        except UpstreamError as exc:
            return envelope(9, f"The task could not be submitted: {exc.message}")
        if not answer.created or not plan.creates_task:
            await _close_untracked(job, answer)
            return _answer_envelope(answer, answer.result)
        record = self._record(task_id, submission, plan, parent, ctx, job, answer, channel_id)
        await self._store(record, job, answer)
        return _answer_envelope(answer, task_id)

    async def _call(
        self, job: Job | None, pinned: Channel | None, plan: Plan, ctx: SubmitContext, task_id: str
    ) -> tuple[MJAnswer, int | None]:
        callback_url = self._callbacks.url(ctx.base_url, task_id)  # this task's only: a callback names its task

        async def attempt(provider: MidjourneyUpstream, channel: Channel) -> tuple[MJAnswer, int | None]:
            call = MJCall(plan.path, plan.body, ctx.mode, callback_url)
            answer = await provider.submit(channel, call)
            if answer.code in (3, 9, 23):
                raise RefusedByUpstream(answer)
            return answer, channel.id

        if job is None:  # a step charged later (a button that opens a modal)
            assert pinned is not None
            return await attempt(self._gate.provider_for(pinned, MidjourneyUpstream), pinned)
        if pinned is not None:
            return await self._gate.run_on(job, pinned, MidjourneyUpstream, attempt)
        return await self._gate.run(job, MidjourneyUpstream, attempt)

    def _record(
        self,
        task_id: str,
        submission: Submission,
        plan: Plan,
        parent: TaskRecord | None,
        ctx: SubmitContext,
        job: Job | None,
        answer: MJAnswer,
        channel_id: int | None,
    ) -> TaskRecord:
        now = now_ms()
        upstream_id = str(answer.result) if answer.finished is None and answer.result is not None else None
        polled = upstream_id is not None and answer.code != 21
        return TaskRecord(
            id=task_id,
            family=MidjourneyFamily.name,
            action=plan.action,
            model=model_for(plan.billing or plan.action),
            status=_STATUS_BY_CODE.get(answer.code, Status.SUBMITTED),
            progress=0,
            account_id=ctx.caller.key.account_id,
            key_id=ctx.caller.key.id,
            channel_id=channel_id,
            upstream_id=upstream_id,
            parent_id=parent.id if parent else None,
            hold=job.reservation.amount if job else 0,
            billing="reserved" if job else "none",
            cost=0,
            request=_request_payload(submission, plan, parent, ctx),
            result={"properties": {k: v for k, v in answer.properties.items() if k in ("finalPrompt", "remix")}},
            fail_reason=None,
            notify_url=submission.body.get("notifyHook") or None,
            submit_time=now,
            start_time=None,
            finish_time=None,
            deadline=now + int(self._settings.timeout_s * 1000),
            next_poll_at=now + int(self._settings.poll_min_s * 1000) if polled else None,
            poll_interval_ms=int(self._settings.poll_min_s * 1000),
            version=1,
            updated_at=now,
        )

    async def _store(self, record: TaskRecord, job: Job | None, answer: MJAnswer) -> None:
        try:
            await self._engine.create(record)
        except Exception as exc:
            if job is not None:
                job.answered_status = None  # the client gets this error, not an envelope
                await job.fail(OmniRelayError(f"the task could not be stored: {exc}"))
            raise
        if job is not None:
            job.hand_over()
        if answer.finished is not None:
            await self._engine.observe(record, answer.finished)

    async def _confirm_modal(self, submission: Submission, ctx: SubmitContext) -> dict[str, Any]:
        task = await self.own_task(submission.parent_id, ctx.caller)
        if task.status != Status.MODAL:
            raise InvalidRequest(
                f"The task {task.id} is {task.status}, not waiting for a modal confirmation.", param="taskId"
            )
        channel = self._channel_of(task)
        job = await self._open_job(ctx, "MODAL", task.id, "modal") if task.billing == "none" else None
        body = {k: v for k, v in submission.body.items() if k not in ("notifyHook", "state")}
        plan = Plan(task.action, "MODAL", "/mj/submit/modal", body | {"taskId": task.upstream_id})
        try:
            answer, _ = await self._call(job, channel, plan, ctx, task.id)
        except RefusedByUpstream as exc:
            return _answer_envelope(exc.answer, None)
        except UpstreamError as exc:
            return envelope(9, f"The confirmation could not be submitted: {exc.message}")
        if not answer.created:
            await _close_untracked(job, answer)
            return _answer_envelope(answer, None)
        await self._confirmed(task, submission, job, answer)
        return _answer_envelope(answer, task.id)

    async def _confirmed(self, task: TaskRecord, submission: Submission, job: Job | None, answer: MJAnswer) -> None:
        now = now_ms()
        if job is not None:
            await self._writer.flush()  # the hold is durable before the task says it holds money
        after = task.replace(
            model=job.model if job else task.model,  # the price billed (mj_modal), which its log row names
            status=_STATUS_BY_CODE.get(answer.code, Status.SUBMITTED),
            upstream_id=str(answer.result or task.upstream_id),
            hold=job.reservation.amount if job else task.hold,
            billing="reserved" if job else task.billing,
            request={**task.request, "prompt": submission.prompt or task.request.get("prompt")},
            next_poll_at=now + int(self._settings.poll_min_s * 1000),
            version=task.version + 1,
            updated_at=now,
        )
        won = await self._engine.commit([(task, after)])
        if job is not None:
            if won:
                job.hand_over()
            else:
                await job.fail(OmniRelayError("the task changed while it was being confirmed"))


class NeedsChannel(ModelNotFound):
    """No channel serves this Midjourney action (the embedded default only describes images)."""

    def __init__(self, model: str) -> None:
        super().__init__(
            f"No channel serves `{model}`. Generating or changing images needs an upstream Midjourney-Proxy "
            "channel (type `midjourney`); the built-in local provider only answers /mj/submit/describe.",
            param="model",
            code="midjourney_channel_required",
        )


def _request_payload(
    submission: Submission, plan: Plan, parent: TaskRecord | None, ctx: SubmitContext
) -> dict[str, Any]:
    """What the task JSON shows of the request (prompts of follow-ups come from the parent)."""
    inherited = parent.request.get("prompt") if parent else None
    return {
        "prompt": submission.prompt if submission.prompt is not None else inherited,
        "description": submission.description or f"/{plan.action.lower()} {parent.id if parent else ''}".strip(),
        "state": submission.body.get("state"),
        "botType": submission.body.get("botType"),
        "customId": plan.custom_id,
        "index": submission.index,
        "mode": ctx.mode,
        "base_url": ctx.base_url,
    }


async def _close_untracked(job: Job | None, answer: MJAnswer) -> None:
    """No task to track: a refusal is refunded; an accepted no-task call (upload) is settled now."""
    if job is None:
        return
    if answer.created:
        await job.succeed_at_hold()
    else:
        await job.fail(OmniRelayError(f"refused by the upstream (code {answer.code}): {answer.description}"))


def _answer_envelope(answer: MJAnswer, result: Any) -> dict[str, Any]:
    properties = {k: v for k, v in answer.properties.items() if k in _KEPT_PROPERTIES}
    return envelope(answer.code, answer.description or "Submit success", result, properties)
