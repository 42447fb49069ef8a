"""The Kling family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog
from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.kling.api.routes import kling_routes
from omnirelay.families.kling.media import KlingMedia
from omnirelay.families.kling.queries import KlingQueries
from omnirelay.families.kling.service import KlingService
from omnirelay.families.kling.services import KlingServices
from omnirelay.families.kling.wire import KlingFamily
from omnirelay.files.links import LinkSigner

__all__ = ["PLUGIN", "KlingPlugin"]

log = structlog.get_logger(__name__)


class KlingPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return kling_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        signer = LinkSigner(ctx.box.derive_key("kling-links"))
        family = KlingFamily(signer, _per_call(ctx))
        services = KlingServices(
            submissions=KlingService(
                gate=ctx.gate,
                engine=ctx.engine,
                catalog=ctx.catalog,
                family=family,
                settings=ctx.settings.tasks,
                allowed_networks=ctx.allowed_networks,
            ),
            queries=KlingQueries(engine=ctx.engine, family=family),
            media=KlingMedia(
                engine=ctx.engine, signer=signer, fetcher=ctx.outbound, max_bytes=ctx.settings.outbound.max_media_bytes
            ),
        )
        return BuiltFamily(renderers=[family], service=services, started=_public_url_check(ctx))


def _per_call(ctx: FamilyContext) -> Callable[[str], int | None]:
    """Per-call amounts from the live price list (a finished task is costed at today's prices)."""

    def per_call(name: str) -> int | None:
        price = ctx.catalog.snapshot.prices.get(name)
        return price.per_call if price is not None else None

    return per_call


def _public_url_check(ctx: FamilyContext) -> Callable[[], None]:
    """Result links need an address clients reach; say so once, at start."""

    def check() -> None:
        channels = ctx.catalog.snapshot.channels.values()
        if not ctx.settings.server.public_url and any(c.type == "kling" for c in channels):
            log.warning(
                "server.public_url is not set: Kling result links use the address each request arrived on; "
                "set it to the URL clients reach this gateway at"
            )

    return check


PLUGIN = KlingPlugin()
"""Named by :data:`omnirelay.families.kling.spec.KLING`."""
