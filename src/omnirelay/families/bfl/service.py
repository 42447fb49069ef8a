"""Submitting BFL tasks: check, hold the price, send upstream, store the task, answer it.

Nothing is held before the request is known to be acceptable (fields, images, the webhook's
destination), and nothing is stored unless an upstream accepted the task: a refused or failed
submit is refunded at once, after failing over to the model's other channels where that can help.
From then on the engine polls the task, settles the hold when it is ``Ready`` and refunds it when it
fails, is moderated or times out, and delivers ``webhook_url`` as a signed webhook when it ends.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from omnirelay.catalog import Catalog
from omnirelay.channels.crypto import SecretBox
from omnirelay.channels.model import Channel
from omnirelay.families.bfl.invalid import field_error
from omnirelay.families.bfl.requests import BflCreate, parse_create
from omnirelay.families.bfl.upstream import BflAccepted, BflSubmit, BflUpstream
from omnirelay.families.bfl.wire import FAMILY
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.settings import TaskSettings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.submission import NewTask, store_submitted
from omnirelay.webhooks.destinations import DestinationRefused, Network, check_destination

__all__ = ["BflService", "SubmitContext"]


@dataclass(frozen=True, slots=True)
class SubmitContext:
    caller: Caller
    base_url: str
    """Where result links point (``server.public_url`` or the address the request came to)."""
    prefix: str
    """``/bfl`` when the client called the aggregator paths, else ``""``: its ``polling_url`` keeps it."""
    endpoint: str


class BflService:
    def __init__(
        self,
        *,
        gate: Gate,
        engine: TaskEngine,
        catalog: Catalog,
        settings: TaskSettings,
        allowed_networks: tuple[Network, ...],
        box: SecretBox,
    ) -> None:
        self._gate = gate
        self._engine = engine
        self._catalog = catalog
        self._settings = settings
        self._allowed = allowed_networks
        self._box = box

    def _price_name(self, create: BflCreate) -> str:
        prices = self._catalog.snapshot.prices
        return next((name for name in create.price_names if name in prices), create.model)

    async def _check_webhook(self, url: str | None) -> None:
        if url is None:
            return
        try:
            await check_destination(url, self._allowed)
        except DestinationRefused as exc:
            raise field_error(["body", "webhook_url"], exc.message, "value_error") from exc

    async def submit(self, model: str, body: object, ctx: SubmitContext) -> dict[str, Any]:
        """The answer to the submit: ``{id, polling_url}``, or ``{id, status, webhook_url}`` with a webhook."""
        create = parse_create(model, body)
        await self._check_webhook(create.webhook_url)
        task_id = str(uuid.uuid4())
        price = self._price_name(create)
        job = await self._gate.open_job(
            ctx.caller, JobRequest(ctx.endpoint, create.model, 0, 0, price_name=price), task_id
        )
        call = BflSubmit(create.model, create.body)

        async def attempt(provider: BflUpstream, channel: Channel) -> tuple[BflAccepted, int]:
            return await provider.submit(channel, call), channel.id

        accepted, channel_id = await self._gate.run(job, BflUpstream, attempt)
        task = NewTask(
            id=task_id, family=FAMILY, action="GENERATE", model=create.model, upstream_id=accepted.upstream_id,
            channel_id=channel_id, request=_kept_request(create, ctx, price, self._box), notify_url=create.webhook_url,
        )  # fmt: skip
        await store_submitted(self._engine, task, job, self._settings)
        if create.webhook_url:
            return {"id": task_id, "status": "Pending", "webhook_url": create.webhook_url}
        return {"id": task_id, "polling_url": f"{ctx.base_url.rstrip('/')}{ctx.prefix}/v1/get_result?id={task_id}"}


def _kept_request(create: BflCreate, ctx: SubmitContext, price: str, box: SecretBox) -> dict[str, Any]:
    """What the task keeps of its request: where its links point, its price, what its result repeats, and
    the client's ``webhook_secret`` (sealed: the webhook is signed with it, ``X-BFL-Signature``)."""
    prompt = create.body.get("prompt")
    sealed = {"webhook_secret": box.seal([create.webhook_secret])} if create.webhook_secret else {}
    return {
        **sealed,
        "base_url": ctx.base_url,
        "price": price,
        "prompt": prompt if isinstance(prompt, str) else None,
        "seed": create.body.get("seed"),
        "output_format": create.body.get("output_format") or "jpeg",
    }
