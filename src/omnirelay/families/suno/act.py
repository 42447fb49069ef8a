"""``/suno/act/*``: what the upstream knows of a finished clip (timing, WAV, MP4, MIDI), and tag upsampling.

A clip lives in one upstream account, so each read goes to the channel, and with the secret,
that made it (:mod:`.placement`), and only for the caller who owns it (``task_not_exist``
otherwise). These reads are free unless the operator prices them (``ACT_PRICES``, listed as a
channel model): then they are charged per call, like an upload.

The WAV and MP4 answers carry the upstream's file URL: the client gets a signed link to this
gateway instead (``/suno/media/act/{task}/{clip}/{kind}``), and opening it asks the upstream again
for the current URL (:meth:`ActCalls.upstream_file`) and streams the file through, never
revealing where it lives. Tag upsampling names no clip: it runs on the first Suno channel of the
caller's group that can do it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal

from omnirelay.catalog import Catalog
from omnirelay.channels.routing import in_route
from omnirelay.errors import InvalidRequest, PermissionDenied, UpstreamError, UpstreamUnavailable
from omnirelay.families.suno.account_calls import scrubbed
from omnirelay.families.suno.owners import TaskOwners
from omnirelay.families.suno.placement import channel_of
from omnirelay.families.suno.pricing import ACT_PRICES
from omnirelay.families.suno.submissions import ClipRef
from omnirelay.families.suno.upstream import SunoAccountCall, SunoOperation, SunoUpstream
from omnirelay.files.links import LinkSigner
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.tasks.model import TaskRecord

__all__ = ["ACT_LINK", "FILE_FIELDS", "ActCalls", "ClipRead", "FileKind", "file_url"]

ClipRead = Literal["clip_timing", "clip_midi"]
FileKind = Literal["wav", "mp4"]

ACT_LINK = "suno-act"
"""Scope of the signatures on ``/suno/media/act/...`` links."""
FILE_FIELDS: dict[str, str] = {"wav": "wav_file_url", "mp4": "mp4_file_url"}
_FILE_READS: dict[FileKind, SunoOperation] = {"wav": "clip_wav", "mp4": "clip_mp4"}
_TAGS_CHANNELS = "suno_music"
"""Unpriced tag upsampling runs on the channels that make songs, for keys that may make them."""


def file_url(answer: Any, field: str) -> str | None:
    """The file URL of an ``act/wav|mp4`` answer: ``data`` is ``{field: url}`` or, with some providers, the bare URL."""
    data = answer.get("data") if isinstance(answer, Mapping) and "code" in answer else answer
    if isinstance(data, Mapping):
        data = data.get(field) or next((v for k, v in data.items() if str(k).endswith("url") and v), None)
    return data if isinstance(data, str) and data.startswith(("http://", "https://")) else None


class ActCalls:
    def __init__(self, *, gate: Gate, catalog: Catalog, owners: TaskOwners, signer: LinkSigner) -> None:
        self._gate = gate
        self._catalog = catalog
        self._owners = owners
        self._signer = signer

    async def read(self, operation: ClipRead, clip_id: str, caller: Caller) -> Any:
        """``act/timing`` or ``act/midi`` of the caller's clip, raw as 2A answers it."""
        record = await self._owners.producer(ClipRef("clip_id", clip_id, None), caller)
        return scrubbed(await self._call(caller, record, SunoAccountCall(operation, clip_id=clip_id)))

    async def file(self, kind: FileKind, clip_id: str, caller: Caller, base_url: str) -> dict[str, str | None]:
        """``data`` of ``act/wav|mp4``: the gateway's signed link to the file (None while the upstream has none)."""
        record = await self._owners.producer(ClipRef("clip_id", clip_id, None), caller)
        answer = await self._call(caller, record, SunoAccountCall(_FILE_READS[kind], clip_id=clip_id))
        field = FILE_FIELDS[kind]
        if file_url(answer, field) is None:
            return {field: None}
        signature = self._signer.sign(ACT_LINK, f"{record.id}/{clip_id}/{kind}")
        return {field: f"{base_url.rstrip('/')}/suno/media/act/{record.id}/{clip_id}/{kind}?sig={signature}"}

    def verify(self, task_id: str, clip_id: str, kind: str, signature: str) -> bool:
        return self._signer.verify(ACT_LINK, f"{task_id}/{clip_id}/{kind}", signature)

    async def upstream_file(self, record: TaskRecord, clip_id: str, kind: FileKind) -> str | None:
        """The upstream's current URL of the clip's WAV or MP4 (asked again at each open, free)."""
        channel = channel_of(self._catalog, record)
        call = SunoAccountCall(_FILE_READS[kind], clip_id=clip_id)
        return file_url(await self._gate.provider_for(channel, SunoUpstream).relay(channel, call), FILE_FIELDS[kind])

    async def tags(self, body: object, caller: Caller) -> Any:
        """``act/tags``: the style tags expanded by the upstream, raw."""
        if not isinstance(body, dict):
            raise InvalidRequest("The request body must be a JSON object.")
        tags = body.get("original_tags")
        if not isinstance(tags, str) or not tags.strip():
            raise InvalidRequest("original_tags (the style tags to expand) is required.", param="original_tags")
        return scrubbed(await self._call(caller, None, SunoAccountCall("upsample_tags", body)))

    async def _call(self, caller: Caller, record: TaskRecord | None, call: SunoAccountCall) -> Any:
        """Charged when priced; else free, on the clip's channel or (no clip) the first that can."""
        price = ACT_PRICES[call.operation]
        snapshot = self._catalog.snapshot
        if price in snapshot.prices and price in snapshot.by_model:
            return await self._charged(caller, price, record, call)
        if record is not None:
            channel = channel_of(self._catalog, record)
            return await self._gate.provider_for(channel, SunoUpstream).relay(channel, call)
        return await self._anywhere(caller, call)

    async def _charged(self, caller: Caller, price: str, record: TaskRecord | None, call: SunoAccountCall) -> Any:
        job = await self._gate.open_job(
            caller, JobRequest(f"/suno/act/{call.operation}", price, 0, 0), str(uuid.uuid4())
        )

        async def attempt(provider: SunoUpstream, channel: Any) -> Any:
            return await provider.relay(channel, call)

        if record is not None:
            answer = await self._gate.run_on(job, channel_of(self._catalog, record), SunoUpstream, attempt)
        else:
            answer = await self._gate.run(job, SunoUpstream, attempt)
        await job.succeed_at_hold()
        return answer

    async def _anywhere(self, caller: Caller, call: SunoAccountCall) -> Any:
        if not caller.key.allows_model(_TAGS_CHANNELS):
            raise PermissionDenied("This API key may not use Suno.", code="model_not_allowed")
        channels = [c for c in in_route(self._catalog.snapshot.by_model.get(_TAGS_CHANNELS, []), caller.group)]
        last: UpstreamError | None = None
        for channel in (c for c in channels if c.usable):
            try:
                return await self._gate.provider_for(channel, SunoUpstream).relay(channel, call)
            except UpstreamError as exc:
                if not exc.retryable:
                    raise
                last = exc  # e.g. a gcui channel: no tags route
        raise last or UpstreamUnavailable("No Suno channel can upsample tags right now.")
