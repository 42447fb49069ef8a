"""The Midjourney family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog
from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.midjourney.api.routes import midjourney_routes
from omnirelay.families.midjourney.cancel import TaskCancels
from omnirelay.families.midjourney.listing import TaskListing
from omnirelay.families.midjourney.media import MediaLinks
from omnirelay.families.midjourney.queries import MidjourneyQueries
from omnirelay.families.midjourney.service import MidjourneyService
from omnirelay.families.midjourney.services import MidjourneyServices
from omnirelay.families.midjourney.wire import MidjourneyFamily
from omnirelay.files.links import LinkSigner
from omnirelay.tasks.callback_tokens import CallbackTokens

__all__ = ["PLUGIN", "MidjourneyPlugin"]

log = structlog.get_logger(__name__)


class MidjourneyPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return midjourney_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        signer = LinkSigner(ctx.box.derive_key("mj-links"))
        callbacks = CallbackTokens(ctx.box.derive_key("mj-callbacks"), "/mj/callback")
        family = MidjourneyFamily(signer)
        services = MidjourneyServices(
            submissions=MidjourneyService(
                gate=ctx.gate,
                engine=ctx.engine,
                catalog=ctx.catalog,
                writer=ctx.writer,
                callbacks=callbacks,
                settings=ctx.settings.tasks,
                allowed_networks=ctx.allowed_networks,
            ),
            queries=MidjourneyQueries(
                engine=ctx.engine, catalog=ctx.catalog, providers=ctx.providers, family=family, callbacks=callbacks
            ),
            listing=TaskListing(store=ctx.engine.store, family=family),
            cancels=TaskCancels(engine=ctx.engine, catalog=ctx.catalog, providers=ctx.providers),
            media=MediaLinks(
                engine=ctx.engine, signer=signer, fetcher=ctx.outbound, max_bytes=ctx.settings.outbound.max_media_bytes
            ),
        )
        return BuiltFamily(renderers=[family], service=services, started=_public_url_check(ctx))


def _public_url_check(ctx: FamilyContext) -> Callable[[], None]:
    """Links and callback URLs need an address clients and upstreams reach; say so once, at start."""

    def check() -> None:
        channels = ctx.catalog.snapshot.channels.values()
        if not ctx.settings.server.public_url and any(c.type == "midjourney" for c in channels):
            log.warning(
                "server.public_url is not set: Midjourney links and upstream callback URLs use the address "
                "each request arrived on; set it to the URL clients and upstreams reach this gateway at"
            )

    return check


PLUGIN = MidjourneyPlugin()
"""Named by :data:`omnirelay.families.midjourney.spec.MIDJOURNEY`."""
