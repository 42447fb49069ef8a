"""The async-task side of a gateway process: engine, webhook outbox and worker, and the families on them.

Families are built generically from ``families/registry.py``; nothing here names one.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterable
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.billing.ledger import Ledger
from omnirelay.catalog import Catalog
from omnirelay.channels.crypto import SecretBox
from omnirelay.db.writebehind import WriteBehind
from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.plugins import load_plugin
from omnirelay.families.registry import FAMILIES
from omnirelay.files.published import PublishedImages
from omnirelay.outbound.addresses import parse_networks
from omnirelay.outbound.fetch import OutboundClient, outbound_client
from omnirelay.relay.gate import Gate
from omnirelay.settings import Settings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.family import OnceEvents
from omnirelay.tasks.store import TaskStore
from omnirelay.webhooks.deliverer import Deliverer
from omnirelay.webhooks.hooks import AccountHooks
from omnirelay.webhooks.outbox import DeliveryLog

__all__ = ["TaskRuntime"]

log = structlog.get_logger(__name__)
S = TypeVar("S")


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def _retry_policy(families: Iterable[BuiltFamily]) -> Callable[[str], bool]:
    """Every event is retried but those a family sends once (:class:`~omnirelay.tasks.family.OnceEvents`)."""
    once = [r for family in families for r in family.renderers if isinstance(r, OnceEvents)]

    def retried(event: str) -> bool:
        return all(renderer.retried(event) for renderer in once)

    return retried


class TaskRuntime:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: AsyncEngine,
        box: SecretBox,
        writer: WriteBehind,
        ledger: Ledger,
        catalog: Catalog,
        gate: Gate,
        links: OutboundClient,
        providers: dict[str, object],
        published_images: PublishedImages,
    ) -> None:
        owner = worker_name()
        self._sqlite = engine.dialect.name == "sqlite"
        self.webhook_sender = outbound_client(settings, settings.webhooks.allow_networks)
        self.hooks = AccountHooks(engine, box)
        self.deliveries = DeliveryLog(engine)
        self.deliverer = Deliverer(engine, self.webhook_sender.session, self.hooks, settings.webhooks, owner)
        self.engine = TaskEngine(
            store=TaskStore(engine),
            writer=writer,
            ledger=ledger,
            catalog=catalog,
            providers=providers,
            hooks=self.hooks,
            deliverer=self.deliverer,
            settings=settings.tasks,
            owner=owner,
        )
        ctx = FamilyContext(
            settings=settings,
            engine=self.engine,
            gate=gate,
            catalog=catalog,
            writer=writer,
            box=box,
            outbound=links,
            providers=providers,
            allowed_networks=parse_networks(settings.webhooks.allow_networks),
            published_images=published_images,
            database=engine,
        )
        self.families = {spec.name: self._build(load_plugin(spec).build(ctx)) for spec in FAMILIES}
        self.deliverer.retried = _retry_policy(self.families.values())
        self._webhook_worker = settings.webhooks.worker

    def _build(self, family: BuiltFamily) -> BuiltFamily:
        for renderer in family.renderers:
            self.engine.register(renderer)
        return family

    def service(self, family: str, kind: type[S]) -> S:
        """The service ``family`` built on this runtime, checked to be a ``kind`` (what its routes call)."""
        service = self.families[family].service
        if not isinstance(service, kind):
            raise TypeError(f"family {family!r} serves {type(service).__name__}, not {kind.__name__}")
        return service

    async def start(self) -> None:
        if self._sqlite and self.engine.settings.worker:
            await self.engine.release_own_leases()
            await self.deliverer.release_leases()
        self.engine.start()
        if self._webhook_worker:
            self.deliverer.start()
        for family in self.families.values():
            if family.started is not None:
                family.started()

    async def stop(self) -> None:
        await self.engine.stop()
        await self.deliverer.stop()
        await self.webhook_sender.close()
