"""The I/O shell for ``kling`` channels: one request per call, signed with the key's cached JWT.

A call refused with a 401 (the token expired early, or the clock drifted) is sent once more with
a freshly minted token before the refusal counts against the channel. Kling has no batch
query: a poll asks about each task on its kind's path, a few at a time, with the key that made it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson
import structlog

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.families.kling.upstream import KlingAccepted, KlingSubmit
from omnirelay.providers.kling.tokens import TokenCache, keys_of
from omnirelay.providers.kling.transforms import (
    UpstreamRequest,
    accepted_id,
    error_for,
    parse_upstream_id,
    parsed,
    query_request,
    state_from,
    submit_request,
    upstream_id,
    video_submit,
)
from omnirelay.providers.transport import map_transport_errors
from omnirelay.providers.video import VideoJob
from omnirelay.tasks.model import UpstreamState

__all__ = ["KlingProvider"]

log = structlog.get_logger(__name__)

_POLLS_AT_ONCE = 8


class KlingProvider:
    def __init__(
        self, session: aiohttp.ClientSession, *, connect_timeout_s: float, read_timeout_s: float, tokens: TokenCache
    ) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect_timeout_s, total=read_timeout_s)
        self.tokens = tokens

    async def _once(self, channel: Channel, secret: str, request: UpstreamRequest, fresh: bool) -> tuple[int, bytes]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.tokens.token(secret, channel.name, fresh=fresh)}",
        }
        data = None if request.body is None else orjson.dumps(request.body)
        with map_transport_errors(channel.name):
            async with self._session.request(
                request.method, channel.base_url + request.path, data=data, headers=headers, timeout=self._timeout
            ) as response:
                return response.status, await response.read()

    async def _send(self, channel: Channel, secret: str, request: UpstreamRequest) -> Any:
        """The JSON of a successful answer (a 401 retried once with a new token); an error of the tree otherwise."""
        status, raw = await self._once(channel, secret, request, fresh=False)
        if status == 401:
            log.info("kling token refused; minting a new one", channel=channel.name)
            status, raw = await self._once(channel, secret, request, fresh=True)
        if status >= 400:
            raise error_for(status, raw, channel.name)
        return parsed(raw)

    async def submit(self, channel: Channel, submit: KlingSubmit) -> KlingAccepted:
        secret = channel.next_secret() or ""
        access_key, _ = keys_of(secret, channel.name)
        model = submit.body.get("model_name")
        upstream_model = channel.upstream_model(model) if isinstance(model, str) else None
        answer = await self._send(channel, secret, submit_request(submit, upstream_model))
        return KlingAccepted(upstream_id(submit.kind, accepted_id(answer), access_key))

    async def make_video(self, channel: Channel, job: VideoJob) -> str:
        """The common video ingress's job as a Kling create (:func:`video_submit`; the model already mapped)."""
        secret = channel.next_secret() or ""
        access_key, _ = keys_of(secret, channel.name)
        submit = video_submit(job)
        answer = await self._send(channel, secret, submit_request(submit, None))
        return upstream_id(submit.kind, accepted_id(answer), access_key)

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
        kind, task_id, access_key = parts
        secret = _secret_for(channel, access_key)
        try:
            return state_from(await self._send(channel, secret, query_request(kind, task_id)))
        except UpstreamError as exc:  # one task's trouble must not hide the others' news
            log.warning("kling task poll failed", channel=channel.name, task=task_id, error=exc.message)
            return None


def _secret_for(channel: Channel, access_key: str) -> str:
    """The channel secret whose access key made the task (the first one if it was since removed)."""
    for secret in channel.secrets:
        if secret.partition("|")[0].strip() == access_key:
            return secret
    return channel.secrets[0] if channel.secrets else ""
