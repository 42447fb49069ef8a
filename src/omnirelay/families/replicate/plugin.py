"""The Replicate family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog
from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.replicate.api.routes import replicate_routes
from omnirelay.families.replicate.listing import Listing
from omnirelay.families.replicate.media import OutputFiles
from omnirelay.families.replicate.queries import Predictions
from omnirelay.families.replicate.service import ReplicateService
from omnirelay.families.replicate.services import ReplicateServices
from omnirelay.families.replicate.wire import ReplicateFamily
from omnirelay.files.links import LinkSigner
from omnirelay.tasks.callback_tokens import CallbackTokens

__all__ = ["PLUGIN", "ReplicatePlugin"]

log = structlog.get_logger(__name__)

CALLBACK_PATH = "/replicate/callback"


class ReplicatePlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return replicate_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        signer = LinkSigner(ctx.box.derive_key("replicate-links"))
        callbacks = CallbackTokens(ctx.box.derive_key("replicate-callbacks"), CALLBACK_PATH)
        family = ReplicateFamily(signer)
        services = ReplicateServices(
            family=family,
            creates=ReplicateService(
                gate=ctx.gate,
                engine=ctx.engine,
                family=family,
                callbacks=callbacks,
                settings=ctx.settings.tasks,
                allowed_networks=ctx.allowed_networks,
            ),
            predictions=Predictions(
                engine=ctx.engine, catalog=ctx.catalog, providers=ctx.providers, callbacks=callbacks
            ),
            listing=Listing(store=ctx.engine.store, family=family),
            files=OutputFiles(
                engine=ctx.engine, signer=signer, fetcher=ctx.outbound, max_bytes=ctx.settings.outbound.max_media_bytes
            ),
            max_file_bytes=ctx.settings.tasks.max_image_bytes,
        )
        return BuiltFamily(renderers=[family], service=services, started=_public_url_check(ctx))


def _public_url_check(ctx: FamilyContext) -> Callable[[], None]:
    """Output links and upstream webhook URLs need an address clients and upstreams reach; say so once."""

    def check() -> None:
        channels = ctx.catalog.snapshot.channels.values()
        if not ctx.settings.server.public_url and any(c.type == "replicate" for c in channels):
            log.warning(
                "server.public_url is not set: Replicate output links and upstream webhook URLs use the address "
                "each request arrived on; set it to the URL clients and upstreams reach this gateway at"
            )

    return check


PLUGIN = ReplicatePlugin()
"""Named by :data:`omnirelay.families.replicate.spec.REPLICATE`."""
