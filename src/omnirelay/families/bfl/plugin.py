"""The BFL family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.bfl.api.routes import bfl_routes
from omnirelay.families.bfl.media import BflMedia
from omnirelay.families.bfl.queries import BflQueries
from omnirelay.families.bfl.service import BflService
from omnirelay.families.bfl.services import BflServices
from omnirelay.families.bfl.wire import BflFamily
from omnirelay.files.links import LinkSigner

__all__ = ["PLUGIN", "BflPlugin"]


class BflPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return bfl_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        signer = LinkSigner(ctx.box.derive_key("bfl-links"))
        family = BflFamily(signer, ctx.box)
        services = BflServices(
            submissions=BflService(
                gate=ctx.gate,
                engine=ctx.engine,
                catalog=ctx.catalog,
                settings=ctx.settings.tasks,
                allowed_networks=ctx.allowed_networks,
                box=ctx.box,
            ),
            queries=BflQueries(engine=ctx.engine, family=family),
            media=BflMedia(
                engine=ctx.engine, signer=signer, fetcher=ctx.outbound, max_bytes=ctx.settings.outbound.max_media_bytes
            ),
        )
        return BuiltFamily(
            renderers=[family], service=services, started=ctx.public_url_check("bfl", "BFL result links")
        )


PLUGIN = BflPlugin()
"""Named by :data:`omnirelay.families.bfl.spec.BFL`."""
