"""The Replicate family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

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
        return BuiltFamily(
            renderers=[family],
            service=services,
            started=ctx.public_url_check(
                "replicate", "Replicate output links and upstream webhook URLs", upstreams=True
            ),
        )


PLUGIN = ReplicatePlugin()
"""Named by :data:`omnirelay.families.replicate.spec.REPLICATE`."""
