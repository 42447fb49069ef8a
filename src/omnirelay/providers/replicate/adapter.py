"""The I/O shell for ``replicate`` channels: one HTTP call per method, everything else in :mod:`.transforms`.

``poll`` asks for each prediction with its own ``GET /v1/predictions/{id}`` (Replicate has no
batch lookup), a few at a time; a 404 leaves that task alone (§0: unknown). A create that asks
the upstream to hold (``Prefer: wait=N``) gets N seconds more than the relay's read timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import orjson

from omnirelay.channels.model import Channel
from omnirelay.errors import OmniRelayError, UpstreamRejected
from omnirelay.providers.openai_compat.errors import map_transport_errors
from omnirelay.providers.replicate import transforms
from omnirelay.providers.replicate.errors import error_for, parsed
from omnirelay.providers.replicate.transforms import UpstreamRequest
from omnirelay.providers.replicate.upstream import ReplicateCreate, ReplicatePrediction
from omnirelay.providers.replicate.webhooks import verified_webhook
from omnirelay.tasks.model import UpstreamState

__all__ = ["ReplicateProvider"]

_POLL_CONCURRENCY = 8
_WAIT_MARGIN_S = 10.0


class ReplicateProvider:
    def __init__(self, session: aiohttp.ClientSession, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self._session = session
        self._connect_s = connect_timeout_s
        self._read_s = read_timeout_s

    def _headers(self, channel: Channel, extra: Mapping[str, str]) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json", **extra}
        secret = channel.next_secret()
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        return headers

    async def _send(self, channel: Channel, request: UpstreamRequest, hold_s: float = 0.0) -> Any:
        """The JSON of a successful answer; an upstream error from the tree otherwise."""
        data = None if request.body is None else orjson.dumps(request.body)
        timeout = aiohttp.ClientTimeout(sock_connect=self._connect_s, total=self._read_s + hold_s)
        with map_transport_errors(channel.name):
            async with self._session.request(
                request.method,
                channel.base_url + request.path,
                data=data,
                headers=self._headers(channel, request.headers),
                timeout=timeout,
            ) as response:
                status, raw = response.status, await response.read()
        if status >= 400:
            raise error_for(status, raw, channel.name)
        return parsed(raw)

    async def create(self, channel: Channel, create: ReplicateCreate) -> ReplicatePrediction:
        """Start a prediction; raises an UpstreamError (ReplicateRejected for the upstream's 4xx) when it does not."""
        target = transforms.mapped_target(create, channel.model_map)
        hold = create.wait_s + _WAIT_MARGIN_S if create.wait_s is not None else 0.0
        answer = await self._send(channel, transforms.create_request(create, target), hold)
        return transforms.prediction_from(answer)

    async def get(self, channel: Channel, upstream_id: str) -> ReplicatePrediction | None:
        """The prediction as the upstream has it now; None when the upstream does not know it (404)."""
        try:
            answer = await self._send(channel, transforms.get_request(upstream_id))
        except UpstreamRejected as exc:
            if exc.status_code == 404:
                return None
            raise
        return transforms.prediction_from(answer)

    async def cancel(self, channel: Channel, upstream_id: str) -> ReplicatePrediction:
        """Ask the upstream to cancel; its answer (``canceled``, or already terminal) as it stands."""
        return transforms.prediction_from(await self._send(channel, transforms.cancel_request(upstream_id)))

    async def webhook_secret(self, channel: Channel) -> str:
        """The upstream account's webhook signing secret (for ``options.webhook_secret``)."""
        answer = await self._send(channel, UpstreamRequest("GET", "/v1/webhooks/default/secret"))
        key = answer.get("key") if isinstance(answer, Mapping) else None
        if not isinstance(key, str) or not key:
            raise error_for(502, b'{"detail": "no signing secret in the answer"}', channel.name)
        return key

    def verify_webhook(self, channel: Channel, headers: Mapping[str, str], body: bytes) -> ReplicatePrediction:
        """See :func:`~omnirelay.providers.replicate.webhooks.verified_webhook`."""
        return verified_webhook(channel, headers, body)

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        """States of the predictions the upstream knows; raises only when every lookup failed."""
        gate = asyncio.Semaphore(_POLL_CONCURRENCY)

        async def one(upstream_id: str) -> ReplicatePrediction | None:
            async with gate:
                return await self.get(channel, upstream_id)

        wanted = [upstream_id for upstream_id in upstream_ids if upstream_id]
        answers = await asyncio.gather(*(one(i) for i in wanted), return_exceptions=True)
        found = {p.upstream_id: p.state for p in answers if isinstance(p, ReplicatePrediction)}
        errors = [a for a in answers if isinstance(a, BaseException)]
        for error in errors:
            if not isinstance(error, OmniRelayError):
                raise error
        if errors and not found and len(errors) == len(wanted):
            raise errors[0]
        return found
