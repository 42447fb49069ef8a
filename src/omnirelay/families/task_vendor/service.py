"""Submitting vendor tasks: find the vendor by its route, check, hold the price, send upstream, store.

Nothing is held before the body is known to be acceptable (declared fields, the callback's
destination), and nothing is stored unless an upstream accepted the task: a refused or failed
submit is refunded at once, after failing over to the vendor's other channels where that can help.
From then on the engine polls the task, settles (per call, or per unit the result reports) or
refunds it, and delivers ``callback_url`` / ``notify_hook`` as signed webhooks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.errors import NotFound
from omnirelay.families.task_vendor.book import VendorBook
from omnirelay.families.task_vendor.config import VendorConfig
from omnirelay.families.task_vendor.intake import Intake, checked_body
from omnirelay.families.task_vendor.upstream import VendorUpstream
from omnirelay.families.task_vendor.wire import FAMILY, TaskVendorFamily
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.settings import TaskSettings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.submission import NewTask, store_submitted
from omnirelay.webhooks.destinations import Network, check_destination

__all__ = ["SubmitContext", "VendorSubmissions"]


@dataclass(frozen=True, slots=True)
class SubmitContext:
    caller: Caller
    base_url: str
    method: str
    path: str
    """The path after ``/v1/vendors``."""


@dataclass(frozen=True, slots=True)
class _Accepted:
    upstream_id: str
    channel_id: int


def _held_units(vendor: VendorConfig, intake: Intake) -> int:
    if vendor.price.per == "call":
        return 1
    field = vendor.price.hold_units_field
    given = intake.fields.get(field) if field else None
    return given if isinstance(given, int) and given > 0 else vendor.price.hold_units


class VendorSubmissions:
    def __init__(
        self,
        *,
        book: VendorBook,
        gate: Gate,
        engine: TaskEngine,
        family: TaskVendorFamily,
        settings: TaskSettings,
        allowed_networks: tuple[Network, ...],
    ) -> None:
        self._book = book
        self._gate = gate
        self._engine = engine
        self._family = family
        self._settings = settings
        self._allowed = allowed_networks

    async def vendor_at(self, method: str, path: str) -> VendorConfig:
        vendor = (await self._book.current()).by_route.get((method, path.rstrip("/") or "/"))
        if vendor is None:
            raise NotFound(f"No task vendor takes {method} /v1/vendors{path}.")
        return vendor

    async def submit(self, body: object, ctx: SubmitContext) -> dict[str, Any]:
        """The new task object."""
        vendor = await self.vendor_at(ctx.method, ctx.path)
        intake = checked_body(vendor, body)
        if intake.callback_url:
            await check_destination(intake.callback_url, self._allowed, param="callback_url")
        task_id = f"task_{uuid.uuid4().hex}"
        units = _held_units(vendor, intake)
        request = JobRequest(vendor.client_path, vendor.routed_model, 0, 0, price_name=vendor.price_name, calls=units)
        job = await self._gate.open_job(ctx.caller, request, task_id)
        values = {f"body.{name}": value for name, value in intake.fields.items()}
        values["task_id"] = task_id

        async def attempt(provider: VendorUpstream, channel: Channel) -> _Accepted:
            model = {"model": channel.upstream_model(vendor.routed_model)}
            return _Accepted(await provider.submit(channel, vendor, {**values, **model}), channel.id)

        accepted = await self._gate.run(job, VendorUpstream, attempt)
        kept = {"vendor": vendor.name, "base_url": ctx.base_url, "price": vendor.price_name, "units": units,
                   "unit_field": vendor.price.unit_field}  # fmt: skip
        task = NewTask(
            id=task_id, family=FAMILY, action="SUBMIT", model=vendor.routed_model, upstream_id=accepted.upstream_id,
            channel_id=accepted.channel_id, request=kept, notify_url=intake.callback_url,
            timeout_s=vendor.timeout_s, first_poll_s=vendor.poll.interval_s,
        )  # fmt: skip
        return self._family.render(await store_submitted(self._engine, task, job, self._settings))
