"""The I/O shell of an ``openai`` channel's videos: another gateway's ``/v1/videos`` (see :mod:`.videos_transform`).

A :class:`~omnirelay.providers.video.VideoMaker`, a task poller (one ``GET`` per video, a few at a
time, each with the key that made it) and a :class:`~omnirelay.providers.video.VideoSourcer`: a
finished video's ``/content`` link opens only with the channel's key, so each download is sent
there with it (the outbound guard sends it to that origin only, never across a redirect).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp
import orjson
import structlog

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.providers.openai_compat.errors import error_for_status, map_transport_errors
from omnirelay.providers.openai_compat.videos_transform import (
    content_url,
    create_body,
    fingerprint,
    parse_upstream_id,
    state_from,
    upstream_id,
    video_id,
)
from omnirelay.providers.video import VideoJob, VideoSource
from omnirelay.tasks.model import UpstreamState

__all__ = ["OpenAIVideos"]

log = structlog.get_logger(__name__)

_POLLS_AT_ONCE = 8


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def _secret_for(channel: Channel, key: str) -> str:
    """The channel secret that made the video (the first one if it was since removed)."""
    for secret in channel.secrets:
        if fingerprint(secret) == key:
            return secret
    return channel.secrets[0] if channel.secrets else ""


class OpenAIVideos:
    def __init__(self, session: aiohttp.ClientSession, timeout: Callable[[float | None], aiohttp.ClientTimeout]):
        self._session = session
        self._timeout = timeout

    async def _call(self, channel: Channel, method: str, path: str, secret: str, body: Any = None) -> Any:
        headers = {"Accept": "application/json", **_auth(secret)}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = orjson.dumps(body)
        url = channel.base_url.rstrip("/") + path
        with map_transport_errors(channel.name):
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=self._timeout(channel.timeout_s)
            ) as response:
                status, raw = response.status, await response.read()
        if status >= 400:
            raise error_for_status(status, raw, channel.name)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise error_for_status(502, raw, channel.name) from exc

    async def make_video(self, channel: Channel, job: VideoJob) -> str:
        secret = channel.next_secret() or ""
        answer = await self._call(channel, "POST", "/videos", secret, create_body(job))
        made = video_id(answer)
        if made is None:
            raise UpstreamError(f"upstream {channel.name} answered a create without a video id")
        return upstream_id(made, secret)

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        limit = asyncio.Semaphore(_POLLS_AT_ONCE)

        async def one(value: str) -> tuple[str, UpstreamState | None]:
            async with limit:
                return value, await self._state(channel, value)

        answers = await asyncio.gather(*(one(value) for value in upstream_ids))
        return {value: state for value, state in answers if state is not None}

    async def _state(self, channel: Channel, value: str) -> UpstreamState | None:
        parts = parse_upstream_id(value)
        if parts is None:
            return None
        video, key = parts
        try:
            answer = await self._call(channel, "GET", f"/videos/{video}", _secret_for(channel, key))
        except UpstreamError as exc:  # one video's trouble must not hide the others' news
            log.warning("video poll failed", channel=channel.name, video=video, error=exc.message)
            return None
        return state_from(answer, channel.base_url, video)

    async def video_source(
        self, channel: Channel, upstream: str, result: Mapping[str, Any], variant: str
    ) -> VideoSource | None:
        """The video's ``/content`` on the channel, with the key that made it."""
        parts = parse_upstream_id(upstream)
        if variant != "video" or parts is None:
            return None
        video, key = parts
        return VideoSource(content_url(channel.base_url, video), _auth(_secret_for(channel, key)))
