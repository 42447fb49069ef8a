"""The Kling family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

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


class KlingPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return kling_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        signer = LinkSigner(ctx.box.derive_key("kling-links"))
        family = KlingFamily(signer, ctx.per_call_price)
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
        return BuiltFamily(
            renderers=[family], service=services, started=ctx.public_url_check("kling", "Kling result links")
        )


PLUGIN = KlingPlugin()
"""Named by :data:`omnirelay.families.kling.spec.KLING`."""
