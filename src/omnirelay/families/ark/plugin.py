"""The Ark family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from omnirelay.families.ark.api.routes import ark_routes
from omnirelay.families.ark.image_service import ArkImageService
from omnirelay.families.ark.media import SeedanceMedia
from omnirelay.families.ark.queries import SeedanceQueries
from omnirelay.families.ark.removal import SeedanceRemoval
from omnirelay.families.ark.services import ArkServices
from omnirelay.families.ark.video_service import SeedanceService
from omnirelay.families.ark.wire import SeedanceFamily
from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.sync_call import SyncCalls
from omnirelay.files.links import LinkSigner

__all__ = ["PLUGIN", "ArkPlugin"]


class ArkPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return ark_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        signer = LinkSigner(ctx.box.derive_key("ark-links"))
        family = SeedanceFamily(signer, ctx.per_call_price)
        services = ArkServices(
            images=ArkImageService(SyncCalls(gate=ctx.gate, catalog=ctx.catalog, published=ctx.published_images)),
            videos=SeedanceService(
                gate=ctx.gate,
                engine=ctx.engine,
                catalog=ctx.catalog,
                settings=ctx.settings.tasks,
                allowed_networks=ctx.allowed_networks,
            ),
            queries=SeedanceQueries(engine=ctx.engine, family=family),
            removal=SeedanceRemoval(engine=ctx.engine, catalog=ctx.catalog, providers=ctx.providers),
            media=SeedanceMedia(
                engine=ctx.engine, signer=signer, fetcher=ctx.outbound, max_bytes=ctx.settings.outbound.max_media_bytes
            ),
        )
        return BuiltFamily(
            renderers=[family], service=services, started=ctx.public_url_check("ark", "Ark image and video links")
        )


PLUGIN = ArkPlugin()
"""Named by :data:`omnirelay.families.ark.spec.ARK`."""
