"""The I/O shell for ``ark`` channels: one JSON request per call, ``Authorization: Bearer <API key>``.

Images come back whole: the upstream's links are downloaded here, through the outbound guard
(they are pre-signed, fetched without the key). Seedance tasks are polled one GET per task, a few
at a time, each with the key that made it (found by the fingerprint in the upstream id).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import orjson
import structlog

from omnirelay.channels.model import Channel
from omnirelay.errors import OmniRelayError, UpstreamError, UpstreamRejected
from omnirelay.families.ark.upstream import ArkImages, SeedanceSubmit
from omnirelay.outbound.fetch import FetchPolicy, OutboundClient
from omnirelay.providers.ark.errors import error_for, parsed
from omnirelay.providers.ark.image_transforms import ImageEntry, image_request, images_answer
from omnirelay.providers.ark.request import UpstreamRequest
from omnirelay.providers.ark.video_jobs import video_job_body
from omnirelay.providers.ark.video_transforms import (
    accepted_id,
    cancel_request,
    fingerprint,
    parse_upstream_id,
    query_request,
    state_from,
    submit_request,
    upstream_id,
)
from omnirelay.providers.base import GeneratedImage
from omnirelay.providers.openai_compat.images_transform import sniff_image_type
from omnirelay.providers.transport import map_transport_errors
from omnirelay.providers.video import VideoJob
from omnirelay.tasks.model import UpstreamState

__all__ = ["ArkProvider"]

log = structlog.get_logger(__name__)

_POLLS_AT_ONCE = 8
_LINKED = FetchPolicy(("image/", "application/octet-stream"), 30 * 1024 * 1024)


class ArkProvider:
    def __init__(
        self, session: aiohttp.ClientSession, links: OutboundClient, *, connect_timeout_s: float, read_timeout_s: float
    ) -> None:
        self._session = session
        self._links = links
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect_timeout_s, total=read_timeout_s)

    async def _send(self, channel: Channel, secret: str, request: UpstreamRequest) -> Any:
        """The JSON of a successful answer; an error of the tree otherwise."""
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {secret}",
        }
        with map_transport_errors(channel.name):
            async with self._session.request(
                request.method,
                channel.base_url + request.path,
                data=None if request.body is None else orjson.dumps(request.body),
                headers=headers,
                timeout=self._timeout,
            ) as response:
                status, raw = response.status, await response.read()
        if status >= 400:
            raise error_for(status, raw, channel.name)
        return parsed(raw)

    # -- images -------------------------------------------------------------------------------

    async def generate_images(self, channel: Channel, body: Mapping[str, Any]) -> ArkImages:
        model = str(body.get("model", ""))
        request = image_request(body, channel.upstream_model(model))
        answer = images_answer(await self._send(channel, channel.next_secret() or "", request))
        images = await asyncio.gather(*(self._image(entry, channel) for entry in answer.entries))
        sizes = tuple(entry.size for entry in answer.entries)
        return ArkImages(answer.model or model, answer.created or int(time.time()), tuple(images), sizes, answer.usage)

    async def _image(self, entry: ImageEntry, channel: Channel) -> GeneratedImage:
        data = entry.data
        if data is None:
            assert entry.url is not None
            try:
                data = await (await self._links.open(entry.url, _LINKED)).read()
            except OmniRelayError as exc:
                raise UpstreamError(f"upstream {channel.name}: its image link failed: {exc.message}") from exc
        return GeneratedImage(data, sniff_image_type(data))

    # -- Seedance -----------------------------------------------------------------------------

    async def submit_video(self, channel: Channel, submit: SeedanceSubmit) -> str:
        secret = channel.next_secret() or ""
        model = str(submit.body.get("model", ""))
        answer = await self._send(channel, secret, submit_request(submit.body, channel.upstream_model(model)))
        return upstream_id(accepted_id(answer), secret)

    async def make_video(self, channel: Channel, job: VideoJob) -> str:
        """The common video ingress's job as a Seedance task (``job.model`` is already the channel's name)."""
        secret = channel.next_secret() or ""
        answer = await self._send(channel, secret, submit_request(video_job_body(job), job.model))
        return upstream_id(accepted_id(answer), secret)

    async def cancel_video(self, channel: Channel, upstream_id: str) -> bool:
        """True once the upstream dropped the task; False when it refused (running); raises when it failed."""
        task_id, print_ = parse_upstream_id(upstream_id)
        try:
            await self._send(channel, _secret_for(channel, print_), cancel_request(task_id))
        except UpstreamRejected as exc:  # running already (409), or unknown upstream (404: it will never run)
            log.info("ark task not cancelled upstream", channel=channel.name, task=task_id, error=exc.message)
            return exc.status_code == 404
        return True

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        limit = asyncio.Semaphore(_POLLS_AT_ONCE)

        async def one(value: str) -> tuple[str, UpstreamState | None]:
            async with limit:
                return value, await self._state(channel, value)

        answers = await asyncio.gather(*(one(value) for value in upstream_ids))
        return {value: state for value, state in answers if state is not None}

    async def _state(self, channel: Channel, value: str) -> UpstreamState | None:
        task_id, print_ = parse_upstream_id(value)
        try:
            return state_from(await self._send(channel, _secret_for(channel, print_), query_request(task_id)))
        except UpstreamError as exc:  # one task's trouble must not hide the others' news
            log.warning("ark task poll failed", channel=channel.name, task=task_id, error=exc.message)
            return None


def _secret_for(channel: Channel, print_: str) -> str:
    """The channel key whose fingerprint is ``print_`` (the first one if it was since removed)."""
    for secret in channel.secrets:
        if fingerprint(secret) == print_:
            return secret
    return channel.secrets[0] if channel.secrets else ""
