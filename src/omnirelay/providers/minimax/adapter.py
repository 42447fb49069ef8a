"""The I/O shell for ``minimax`` channels: Bearer-keyed JSON calls, the three-step flow of spec §5.2.

A poll asks about each task (MiniMax has no batch query), a few at a time, with the key that made
it; a task that succeeded is resolved at once to its file's ``download_url``, so the engine
records a finished task together with its video; that link expires, so each download asks
for a fresh one (:meth:`MiniMaxProvider.video_source`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import orjson
import structlog

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.providers.minimax.transforms import (
    UpstreamRequest,
    accepted_task_id,
    checked,
    create_request,
    download_url,
    file_request,
    fingerprint,
    parse_upstream_id,
    parsed,
    query_request,
    state_from,
    upstream_id,
    with_video,
)
from omnirelay.providers.transport import map_transport_errors
from omnirelay.providers.video import VideoJob, VideoSource
from omnirelay.tasks.model import UpstreamState

__all__ = ["MiniMaxProvider"]

log = structlog.get_logger(__name__)

_POLLS_AT_ONCE = 8


class MiniMaxProvider:
    """A :class:`~omnirelay.providers.video.VideoMaker` (and ``VideoSourcer``), a MiniMax family upstream and
    a task poller."""

    def __init__(self, session: aiohttp.ClientSession, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect_timeout_s, total=read_timeout_s)

    async def _send(self, channel: Channel, secret: str, request: UpstreamRequest, *, check: bool = True) -> Any:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}
        data = None if request.body is None else orjson.dumps(request.body)
        with map_transport_errors(channel.name):
            async with self._session.request(
                request.method, channel.base_url + request.path, data=data, headers=headers, timeout=self._timeout
            ) as response:
                status, raw = response.status, await response.read()
        return _answer(status, raw, channel.name, check=check)

    async def make_video(self, channel: Channel, job: VideoJob) -> str:
        secret = channel.next_secret() or ""
        answer = await self._send(channel, secret, create_request(job))
        return upstream_id(accepted_task_id(answer), secret)

    async def make_minimax_video(self, channel: Channel, job: VideoJob) -> str:
        return await self.make_video(channel, job)

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
        task_id, key = parts
        secret = _secret_for(channel, key)
        try:
            state, file_id = state_from(await self._send(channel, secret, query_request(task_id), check=False))
            if state is None or file_id is None:
                return state
            url = download_url(await self._send(channel, secret, file_request(file_id)))
            return with_video(state, url, file_id)
        except UpstreamError as exc:  # one task's trouble must not hide the others' news
            log.warning("minimax task poll failed", channel=channel.name, task=task_id, error=exc.message)
            return None

    async def video_source(
        self, channel: Channel, upstream_id: str, result: Mapping[str, Any], variant: str
    ) -> VideoSource | None:
        """A fresh ``download_url`` for the video (the one stored at success expires); MiniMax makes no cover."""
        parts = parse_upstream_id(upstream_id)
        file_id = result.get("upstream_file_id")
        if variant != "video" or parts is None or not isinstance(file_id, str | int):
            return None
        secret = _secret_for(channel, parts[1])
        return VideoSource(download_url(await self._send(channel, secret, file_request(str(file_id)))))


def _answer(status: int, raw: bytes, channel: str, *, check: bool) -> Any:
    """The JSON of a success; MiniMax errors come as HTTP 200 with a ``base_resp`` code, others as statuses.
    ``check=False``: a ``base_resp`` error is left to the caller (a failed task's query carries its reason there)."""
    if status in (401, 403):
        raise UpstreamAuthFailed(f"upstream {channel} refused the channel's key ({status})")
    if status >= 500 or status == 429:
        raise UpstreamError(f"upstream {channel} answered {status}", code=f"upstream_{status}")
    answer = checked(raw, channel) if check or status >= 400 else parsed(raw)
    if status >= 400:
        message = f"upstream {channel} answered {status}"
        raise UpstreamRejected(message, status_code=status, type="invalid_request_error", code=None, param=None)
    return answer


def _secret_for(channel: Channel, key: str) -> str:
    """The channel secret that made the task (the first one if it was since removed)."""
    for secret in channel.secrets:
        if fingerprint(secret) == key:
            return secret
    return channel.secrets[0] if channel.secrets else ""
