"""The upload flow and personas: calls on the upstream's Suno account that make no task to poll.

2A answers them raw (no envelope; ``audio-url`` excepted). The gateway keeps one finished row
per call in the tasks table (``action`` ``UPLOAD`` or ``PERSONA``, never shown by fetch): it
names the owner and the channel, so every later step of an upload and every continuation of
the clip it made goes to that channel, and only for the caller who made it.

An upload's id is minted here (the upstream's stays in the row). ``suno_upload`` is charged
when an upload is opened (or an ``audio-url`` import made), ``suno_persona`` when a persona is
created, at once: the upstream has done the work when it answers. Links inside these raw answers
(an upload's cover, a persona's clips) are dropped: they would be the upstream's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import tasks
from omnirelay.db.writebehind import WriteBehind
from omnirelay.errors import InvalidRequest, OmniRelayError, UpstreamError
from omnirelay.families.suno.owners import FAMILY, TaskNotExist, TaskOwners
from omnirelay.families.suno.placement import channel_of, secret_of
from omnirelay.families.suno.submissions import ClipRef
from omnirelay.families.suno.upstream import SunoAccountCall, SunoOperation, SunoUpstream
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.tasks.model import Status, TaskRecord
from omnirelay.webhooks.destinations import DestinationRefused, Network, check_destination

__all__ = ["AccountCalls", "scrubbed"]

UPLOAD = "UPLOAD"
PERSONA = "PERSONA"


def scrubbed(value: Any) -> Any:
    """``value`` with every ``*_url`` string set to None, at any depth."""
    if isinstance(value, Mapping):
        return {k: None if str(k).endswith("_url") and isinstance(v, str) else scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrubbed(v) for v in value]
    return value


def _secret(parent: TaskRecord | None) -> int | None:
    return secret_of(parent) if parent is not None else None


def _object(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


class AccountCalls:
    def __init__(
        self, *, gate: Gate, catalog: Catalog, writer: WriteBehind, owners: TaskOwners, allowed: tuple[Network, ...]
    ) -> None:
        self._gate = gate
        self._catalog = catalog
        self._writer = writer
        self._owners = owners
        self._allowed = allowed

    # -- uploads ------------------------------------------------------------------------------

    async def open_upload(self, body: object, caller: Caller) -> dict[str, Any]:
        """``POST /suno/uploads/audio``: the upload's id (ours), the target ``url`` and its form ``fields``."""
        call = SunoAccountCall("upload_audio", _object(body))
        record_id = str(uuid.uuid4())
        answer, channel, job = await self._charged(caller, "suno_upload", record_id, None, call)
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
            await job.fail(UpstreamError("the Suno upstream opened an upload without answering its id"))
            raise UpstreamError("the Suno upstream opened an upload without answering its id")
        await self._keep(job, self._row(record_id, UPLOAD, caller, channel, job, answer["id"], {}))
        return {**answer, "id": record_id}

    async def upload_step(self, operation: SunoOperation, upload_id: str, body: object, caller: Caller) -> Any:
        """``upload-finish`` or the upload's status: relayed to the channel holding the upload. Free."""
        upload = await self._upload(upload_id, caller)
        answer = await self._free(upload, SunoAccountCall(operation, _object(body), upload.upstream_id))
        if isinstance(answer, dict) and "id" in answer:
            answer = {**answer, "id": upload_id}
        return scrubbed(answer)

    async def initialize_clip(self, upload_id: str, body: object, caller: Caller) -> Any:
        """The clip the upload became, remembered as the caller's (``upload_extend``, ``cover``... of it)."""
        upload = await self._upload(upload_id, caller)
        answer = await self._free(upload, SunoAccountCall("initialize_clip", _object(body), upload.upstream_id))
        clip_id = answer.get("clip_id") if isinstance(answer, dict) else None
        if not isinstance(clip_id, str) or not clip_id:
            raise UpstreamError("the Suno upstream initialised a clip without answering its id")
        result = {"data": [{"id": clip_id, "status": "complete"}]}
        row = self._row(
            str(uuid.uuid4()), UPLOAD, caller, channel_of(self._catalog, upload), None, None, result, upload
        )
        await self._writer.commit_now([(tasks, row.values())], [])
        return answer

    async def import_url(self, body: object, caller: Caller) -> str:
        """``POST /suno/uploads/audio-url``: the clip made from a public audio URL (checked for SSRF first)."""
        payload = _object(body)
        url = payload.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidRequest("url must be an http(s) link to an audio file.", param="url")
        try:
            await check_destination(url, self._allowed)
        except DestinationRefused as exc:
            raise InvalidRequest(f"url must be a link to a public host: {exc.message}", param="url") from exc
        record_id = str(uuid.uuid4())
        call = SunoAccountCall("upload_audio_url", payload)
        answer, channel, job = await self._charged(caller, "suno_upload", record_id, None, call)
        data = answer.get("data") if isinstance(answer, dict) and "code" in answer else answer
        if not isinstance(data, str) or not data:
            await job.fail(UpstreamError("the Suno upstream imported the audio without answering a clip id"))
            raise UpstreamError("the Suno upstream imported the audio without answering a clip id")
        result = {"data": [{"id": data, "status": "complete"}]}
        await self._keep(job, self._row(record_id, UPLOAD, caller, channel, job, None, result))
        return data

    # -- personas -------------------------------------------------------------------------------

    async def create_persona(self, body: object, caller: Caller) -> Any:
        """``POST /suno/persona/create/`` from the caller's own clips, on the channel that made the root clip."""
        payload = _object(body)
        root_id = payload.get("root_clip_id")
        if not isinstance(root_id, str) or not root_id.strip():
            raise InvalidRequest("root_clip_id (the id of one of your clips) is required.", param="root_clip_id")
        root = await self._owners.producer(ClipRef("root_clip_id", root_id.strip(), None), caller)
        clips = payload.get("clips") or []
        if not isinstance(clips, list) or not all(isinstance(c, str) for c in clips):
            raise InvalidRequest("clips must be an array of clip ids.", param="clips")
        for clip_id in clips:
            await self._owners.producer(ClipRef("clips", clip_id, None), caller)
        record_id = str(uuid.uuid4())
        call = SunoAccountCall("create_persona", payload)
        answer, channel, job = await self._charged(
            caller, "suno_persona", record_id, channel_of(self._catalog, root), call
        )
        persona_id = answer.get("id") if isinstance(answer, dict) else None
        result: dict[str, Any] = {"persona_id": persona_id, "data": []}
        await self._keep(job, self._row(record_id, PERSONA, caller, channel, job, None, result, root))
        return scrubbed(answer)

    # -- shared steps ---------------------------------------------------------------------------

    async def _upload(self, upload_id: str, caller: Caller) -> TaskRecord:
        record = await self._owners.task(upload_id, caller)
        if record.action != UPLOAD or record.upstream_id is None:
            raise TaskNotExist(f"No upload {upload_id} of yours exists.")
        return record

    async def _free(self, record: TaskRecord, call: SunoAccountCall) -> Any:
        channel = channel_of(self._catalog, record)
        return await self._gate.provider_for(channel, SunoUpstream).relay(channel, call)

    async def _charged(
        self, caller: Caller, price: str, record_id: str, pinned: Channel | None, call: SunoAccountCall
    ) -> tuple[Any, Channel, Job]:
        job = await self._gate.open_job(caller, JobRequest(f"/suno/{call.operation}", price, 0, 0), record_id)

        async def attempt(provider: SunoUpstream, channel: Channel) -> tuple[Any, Channel]:
            return await provider.relay(channel, call), channel

        if pinned is not None:
            answer, channel = await self._gate.run_on(job, pinned, SunoUpstream, attempt)
        else:
            answer, channel = await self._gate.run(job, SunoUpstream, attempt)
        return answer, channel, job

    async def _keep(self, job: Job, record: TaskRecord) -> None:
        """Store the call's row, then settle: a call that cannot be remembered is refunded."""
        try:
            await self._writer.commit_now([(tasks, record.values())], [])
        except Exception as exc:
            await job.fail(OmniRelayError(f"the call could not be stored: {exc}"))
            raise
        await job.succeed_at_hold()

    def _row(
        self,
        record_id: str,
        action: str,
        caller: Caller,
        channel: Channel,
        job: Job | None,
        upstream_id: str | None,
        result: dict[str, Any],
        parent: TaskRecord | None = None,
    ) -> TaskRecord:
        """A finished row for the call; it keeps the secret it ran with (or its parent's), for the next steps."""
        now = now_ms()
        held = job.reservation.amount if job is not None else 0
        return TaskRecord(
            id=record_id,
            family=FAMILY,
            action=action,
            model=job.model if job is not None else "suno_upload",
            status=Status.SUCCESS,
            progress=100,
            account_id=caller.key.account_id,
            key_id=caller.key.id,
            channel_id=channel.id,
            upstream_id=upstream_id,
            parent_id=parent.id if parent is not None else None,
            hold=held,
            billing="settled" if job is not None else "none",
            cost=held,
            request={"secret": job.secret_index if job and job.secret_index is not None else _secret(parent)},
            result=result,
            fail_reason=None,
            notify_url=None,
            submit_time=now,
            start_time=now,
            finish_time=now,
            deadline=now,
            next_poll_at=None,
            poll_interval_ms=0,
            version=1,
            updated_at=now,
        )
