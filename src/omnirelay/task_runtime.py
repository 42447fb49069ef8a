"""The async-task side of a gateway process: engine, webhook outbox and worker, and the families on them."""

from __future__ import annotations

import os
import secrets
import socket

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.billing.ledger import Ledger
from omnirelay.catalog import Catalog
from omnirelay.channels.crypto import SecretBox
from omnirelay.db.writebehind import WriteBehind
from omnirelay.files.links import LinkSigner
from omnirelay.midjourney.cancel import TaskCancels
from omnirelay.midjourney.listing import TaskListing
from omnirelay.midjourney.media import MediaLinks
from omnirelay.midjourney.queries import MidjourneyQueries
from omnirelay.midjourney.service import MidjourneyService
from omnirelay.midjourney.wire import MidjourneyFamily
from omnirelay.outbound.addresses import parse_networks
from omnirelay.outbound.fetch import OutboundClient, outbound_client
from omnirelay.relay.gate import Gate
from omnirelay.settings import Settings
from omnirelay.tasks.callback_tokens import CallbackTokens
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.store import TaskStore
from omnirelay.webhooks.deliverer import Deliverer
from omnirelay.webhooks.hooks import AccountHooks
from omnirelay.webhooks.outbox import DeliveryLog

__all__ = ["TaskRuntime"]

log = structlog.get_logger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


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
    ) -> None:
        owner = worker_name()
        self._sqlite = engine.dialect.name == "sqlite"
        self._public_url = settings.server.public_url
        self._catalog = catalog
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
        signer = LinkSigner(box.derive_key("mj-links"))
        callbacks = CallbackTokens(box.derive_key("mj-callbacks"), "/mj/callback")
        family = MidjourneyFamily(signer)
        self.engine.register(family)
        self.midjourney = MidjourneyService(
            gate=gate,
            engine=self.engine,
            catalog=catalog,
            writer=writer,
            callbacks=callbacks,
            settings=settings.tasks,
            allowed_networks=parse_networks(settings.webhooks.allow_networks),
        )
        self.midjourney_queries = MidjourneyQueries(
            engine=self.engine, catalog=catalog, providers=providers, family=family, callbacks=callbacks
        )
        self.midjourney_listing = TaskListing(store=self.engine.store, family=family)
        self.midjourney_cancels = TaskCancels(engine=self.engine, catalog=catalog, providers=providers)
        self.midjourney_media = MediaLinks(
            engine=self.engine,
            signer=signer,
            fetcher=links,
            max_bytes=settings.outbound.max_media_bytes,
        )
        self._webhook_worker = settings.webhooks.worker

    async def start(self) -> None:
        if self._sqlite and self.engine.settings.worker:
            await self.engine.release_own_leases()
        self.engine.start()
        if self._webhook_worker:
            self.deliverer.start()
        if not self._public_url and any(c.type == "midjourney" for c in self._catalog.snapshot.channels.values()):
            log.warning(
                "server.public_url is not set: Midjourney links and upstream callback URLs use the address "
                "each request arrived on; set it to the URL clients and upstreams reach this gateway at"
            )

    async def stop(self) -> None:
        await self.engine.stop()
        await self.deliverer.stop()
        await self.webhook_sender.close()
