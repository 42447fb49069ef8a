"""The I/O shell for Midjourney-Proxy channels: submit, poll in batches, cancel, image seeds.

The images and videos a proxy links to are fetched by :mod:`omnirelay.families.midjourney.media` through the
outbound guard, not with the channel's session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.families.midjourney.upstream import MJAnswer, MJCall
from omnirelay.providers.midjourney_proxy.transform import answer_from, proxy_path, state_from, submit_body, tasks_from
from omnirelay.providers.openai_compat.errors import error_for_status, map_transport_errors
from omnirelay.tasks.model import UpstreamState

__all__ = ["MidjourneyProxyProvider"]


def _headers(channel: Channel) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    secret = channel.next_secret()
    if secret:
        headers["mj-api-secret"] = secret
    return headers


class MidjourneyProxyProvider:
    def __init__(self, session: aiohttp.ClientSession, *, connect_timeout_s: float, read_timeout_s: float) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect_timeout_s, total=min(read_timeout_s, 60.0))

    async def _post(self, channel: Channel, path: str, body: Any) -> tuple[int, bytes]:
        url = channel.base_url + path
        with map_transport_errors(channel.name):
            async with self._session.post(
                url, data=orjson.dumps(body), headers=_headers(channel), timeout=self._timeout
            ) as response:
                return response.status, await response.read()

    async def submit(self, channel: Channel, call: MJCall) -> MJAnswer:
        status, raw = await self._post(channel, proxy_path(call), submit_body(call))
        answer = answer_from(raw)
        if answer is not None and (status == 200 or answer.code in (3, 4)):
            return answer
        if status >= 400:
            raise error_for_status(status, raw, channel.name)
        raise UpstreamError(f"upstream {channel.name} answered something that is not a Midjourney envelope")

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        status, raw = await self._post(channel, "/mj/task/list-by-condition", {"ids": list(upstream_ids)})
        if status != 200:
            raise error_for_status(status, raw, channel.name)
        return tasks_from(raw)

    def parse_callback(self, body: bytes) -> tuple[str, UpstreamState] | None:
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        return state_from(parsed) if isinstance(parsed, dict) else None

    async def cancel(self, channel: Channel, upstream_id: str) -> bool:
        url = f"{channel.base_url}/mj/task/{upstream_id}/cancel"
        with map_transport_errors(channel.name):
            async with self._session.post(url, headers=_headers(channel), timeout=self._timeout) as response:
                await response.read()
        if response.status in (404, 405):
            return False
        if response.status >= 400:
            raise UpstreamError(f"upstream {channel.name} refused to cancel the task (HTTP {response.status})")
        return True

    async def image_seed(self, channel: Channel, upstream_id: str) -> MJAnswer:
        url = f"{channel.base_url}/mj/task/{upstream_id}/image-seed"
        with map_transport_errors(channel.name):
            async with self._session.get(url, headers=_headers(channel), timeout=self._timeout) as response:
                raw = await response.read()
        answer = answer_from(raw)
        if answer is None:
            raise error_for_status(response.status if response.status >= 400 else 502, raw, channel.name)
        return answer
