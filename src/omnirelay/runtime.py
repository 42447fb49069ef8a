"""The runtime: every long-lived resource of a gateway process, built from settings and wired once."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from typing import TYPE_CHECKING

import aiohttp
import sqlalchemy as sa
import structlog
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.accounts.limits import KeyLimiter, Limiter
from omnirelay.accounts.shared_limits import RedisLimiter
from omnirelay.admin.local_channel import ensure_local_channel
from omnirelay.billing.balances import Balances, MemoryBalances, RedisBalances
from omnirelay.billing.instances import Instance
from omnirelay.billing.ledger import Ledger
from omnirelay.billing.upkeep import BillingUpkeep
from omnirelay.bootstrap import apply_declared, ensure_admin_key, warn_unbillable_prices
from omnirelay.catalog import Catalog
from omnirelay.channels.affinity import build_affinity
from omnirelay.channels.breaker import Breakers
from omnirelay.channels.crypto import SecretBox, load_or_create_secret_key
from omnirelay.channels.health import ChannelHealth
from omnirelay.channels.shared_breaker import SharedBreakers
from omnirelay.db.engine import create_engine
from omnirelay.db.migrate import upgrade
from omnirelay.db.startup_lock import startup_lock
from omnirelay.db.writebehind import WriteBehind
from omnirelay.files import FileStorage, LinkSigner, LocalFileStorage
from omnirelay.files.published import PublishedImages
from omnirelay.invalidation import RedisInvalidation
from omnirelay.observability.call_metrics import CallRecorder
from omnirelay.observability.metrics import Metrics
from omnirelay.outbound.fetch import OutboundClient, outbound_client
from omnirelay.providers.registry import build_providers
from omnirelay.relay.audio import AudioRelay
from omnirelay.relay.chat import ChatRelay
from omnirelay.relay.embeddings import EmbeddingsRelay
from omnirelay.relay.gate import Gate
from omnirelay.relay.ids import RequestIds
from omnirelay.relay.images import ImagesRelay
from omnirelay.relay.job import JobServices
from omnirelay.relay.rerank import RerankRelay
from omnirelay.relay.responses import ResponsesRelay
from omnirelay.relay.responses_store import ResponsesStore
from omnirelay.relay.tokens import TokenCounter
from omnirelay.settings import Settings
from omnirelay.task_runtime import TaskRuntime

if TYPE_CHECKING:
    from omnirelay.observability.otel import Tracing

__all__ = ["Runtime"]

log = structlog.get_logger(__name__)


class Runtime:
    """Build with :meth:`open` (migrates, bootstraps, loads caches, starts background tasks)."""

    settings: Settings
    engine: AsyncEngine
    box: SecretBox
    writer: WriteBehind
    ledger: Ledger
    upkeep: BillingUpkeep
    catalog: Catalog
    http: aiohttp.ClientSession
    health: ChannelHealth
    metrics: Metrics
    breakers: Breakers
    """The circuit breakers as this process sees them (read by ``/metrics``); shared with Redis."""
    limiter: Limiter
    gate: Gate
    chat: ChatRelay
    embeddings: EmbeddingsRelay
    audio: AudioRelay
    rerank: RerankRelay
    responses: ResponsesRelay
    files: FileStorage
    links: LinkSigner
    published_images: PublishedImages
    """Images kept for signed links, shared by every synchronous image family."""
    outbound: OutboundClient
    """Fetches the links upstreams answer with (MJ media, image URLs): the SSRF guard, ``outbound.*``."""
    images: ImagesRelay
    tasks: TaskRuntime
    providers: dict[str, object]
    request_ids: RequestIds
    new_admin_key: str | None
    invalidation: RedisInvalidation | None = None
    tracing: Tracing | None = None
    """With ``tracing.enabled``: spans per upstream attempt, ``traceparent`` on upstream requests;
    shut down (its last spans exported) by :meth:`close`."""

    @classmethod
    async def open(cls, settings: Settings, metrics: Metrics | None = None, tracing: Tracing | None = None) -> Runtime:
        """``metrics``: the app's instruments (``/metrics``); a runtime of its own otherwise.
        ``tracing``: the app's tracer (``observability/tracing.py``), ``None`` when tracing is off."""
        self = cls()
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.tracing = tracing
        self.engine = create_engine(settings.effective_database_url)
        self.box = SecretBox(load_or_create_secret_key(settings.secret_key, settings.home))
        async with startup_lock(self.engine):
            await upgrade(self.engine)
            await apply_declared(self.engine, settings, self.box)
            if settings.local_provider:
                await ensure_local_channel(self.engine, self.box, settings)
            self.new_admin_key = await ensure_admin_key(self.engine, settings)
        await warn_unbillable_prices(self.engine)
        self._wire(settings)
        await self.upkeep.open()
        await self.catalog.reload()
        await self._start(settings)
        return self

    def _wire(self, settings: Settings) -> None:
        self.request_ids = RequestIds()
        self._wire_billing(settings)
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=60),
            auto_decompress=True,
            skip_auto_headers=("User-Agent",),
            trace_configs=None if self.tracing is None else [self.tracing.http_trace_config()],
        )
        self.outbound = outbound_client(settings, settings.outbound.allow_networks)
        providers = build_providers(self.http, settings, self.outbound)
        self.providers = providers
        self.health = ChannelHealth(self.engine, providers, lambda: self.catalog.snapshot.channels)
        self._wire_gate(settings, providers)
        self._wire_relays(settings, providers)
        self.tasks = TaskRuntime(
            settings=settings,
            engine=self.engine,
            box=self.box,
            writer=self.writer,
            ledger=self.ledger,
            catalog=self.catalog,
            gate=self.gate,
            links=self.outbound,
            providers=providers,
            published_images=self.published_images,
        )

    def _wire_billing(self, settings: Settings) -> None:
        """The write-behind, the balances (Redis when configured), the ledger, the catalog and upkeep."""
        self.writer = WriteBehind(
            self.engine,
            flush_interval_s=settings.writer.flush_interval_s,
            batch_size=settings.writer.batch_size,
            spill_path=settings.home / "dead-letters.jsonl",
        )
        balances: Balances = (
            RedisBalances(settings.redis_url, settings.redis_prefix) if settings.redis_url else MemoryBalances()
        )
        tolerance = Fraction(str(settings.billing.overage_tolerance))
        instance = Instance(self.engine, settings.billing.lease_s)
        self.ledger = Ledger(self.writer, balances, overage_tolerance=tolerance, instance=instance.id)
        self.catalog = Catalog(self.engine, self.box, self.ledger, self.writer)
        self.upkeep = BillingUpkeep(
            engine=self.engine,
            writer=self.writer,
            balances=balances,
            instance=instance,
            settings=settings,
            reseed=self.catalog.reload,
        )

    def _wire_gate(self, settings: Settings, providers: dict[str, object]) -> None:
        """The gate every billed call passes: limits, breakers and affinity (shared through Redis when set)."""
        self.breakers = self._breakers(settings)
        self.limiter = self._limiter(settings)
        self.gate = Gate(
            catalog=self.catalog,
            services=JobServices(
                ledger=self.ledger,
                limiter=self.limiter,
                writer=self.writer,
                recorder=self._call_recorder(),
                breakers=self.breakers,
            ),
            breakers=self.breakers,
            providers=providers,
            health=self.health,
            settings=settings.relay,
            affinity=build_affinity(
                settings.redis_url,
                settings.redis_prefix,
                settings.relay.affinity_max_entries,
                settings.relay.affinity_ttl_s,
            ),
            tracing=self.tracing,
        )

    @staticmethod
    def _breakers(settings: Settings) -> Breakers:
        """Shared by every process through Redis when the gateway has one, else this process's own."""
        relay = settings.relay
        if settings.redis_url:
            return SharedBreakers(
                settings.redis_url, settings.redis_prefix, relay.breaker_failures, relay.breaker_cooldown_s
            )
        return Breakers(relay.breaker_failures, relay.breaker_cooldown_s)

    @staticmethod
    def _limiter(settings: Settings) -> Limiter:
        """Key limits counted in Redis when the gateway has one (every process agrees), else in memory."""
        if settings.redis_url:
            refuse = settings.relay.limits_on_redis_outage == "refuse"
            return RedisLimiter(settings.redis_url, settings.redis_prefix, refuse_on_outage=refuse)
        return KeyLimiter()

    def _call_recorder(self) -> CallRecorder:
        def channel_name(channel_id: int) -> str | None:
            channel = self.catalog.snapshot.channels.get(channel_id)
            return None if channel is None else channel.name

        return CallRecorder(self.metrics.calls, channel_name)

    def _wire_relays(self, settings: Settings, providers: dict[str, object]) -> None:
        """One relay per synchronous API family, all behind the same gate."""
        tokens = TokenCounter()
        self.chat = ChatRelay(gate=self.gate, tokens=tokens, settings=settings.relay)
        self.embeddings = EmbeddingsRelay(gate=self.gate, tokens=tokens)
        self.audio = AudioRelay(gate=self.gate)
        self.rerank = RerankRelay(gate=self.gate, tokens=tokens)
        store = ResponsesStore(
            self.engine,
            retention_days=settings.responses.retention_days,
            flush_interval_s=settings.writer.flush_interval_s,
        )
        self.responses = ResponsesRelay(
            gate=self.gate,
            chat=self.chat,
            catalog=self.catalog,
            store=store,
            default_output_tokens=settings.relay.default_output_tokens,
            affinity_header=settings.relay.affinity_header,
        )
        self.files = LocalFileStorage(settings.home / "files")
        self.links = LinkSigner(self.box.derive_key("file-links"))
        self.published_images = PublishedImages(self.files, self.links)
        self.images = ImagesRelay(
            gate=self.gate,
            catalog=self.catalog,
            providers=providers,
            published=self.published_images,
            output_tokens_per_image=settings.relay.default_output_tokens,
        )

    async def _start(self, settings: Settings) -> None:
        self.writer.start()
        self.responses.store.start()
        self.catalog.start(settings.cache_refresh_s)
        self.health.start(settings.relay.probe_interval_s)
        await self.tasks.start()
        self.upkeep.start()
        if isinstance(self.breakers, SharedBreakers):
            await self.breakers.start()
        if settings.redis_url:
            self.invalidation = RedisInvalidation(settings.redis_url, settings.redis_prefix, self.catalog.reload)
            await self.invalidation.start()

    async def changed(self) -> None:
        """The configuration changed here: reload now and tell the other processes."""
        await self.catalog.reload()
        if self.invalidation is not None:
            try:
                await self.invalidation.publish()
            except RedisError as exc:  # the others still see the change within cache_refresh_s
                log.warning("could not tell the other processes at once (Redis)", error=str(exc))

    async def ready(self) -> bool:
        """Can the store answer? (``/readyz``)"""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except (OSError, sa.exc.SQLAlchemyError):  # "not ready" is an answer, not an error
            return False
        return True

    async def close(self) -> None:
        if self.invalidation is not None:
            await self.invalidation.stop()
        await self.tasks.stop()
        await self.health.stop()
        await self.catalog.stop()
        await self.responses.store.stop()
        await self.writer.stop()
        await self.upkeep.stop()
        await self.http.close()
        await self.gate.affinity.close()
        await self.outbound.close()
        await self.ledger.balances.close()
        if isinstance(self.breakers, SharedBreakers):
            await self.breakers.close()
        if isinstance(self.limiter, RedisLimiter):
            await self.limiter.close()
        await self.engine.dispose()
        if self.tracing is not None:
            await asyncio.to_thread(self.tracing.shutdown)
