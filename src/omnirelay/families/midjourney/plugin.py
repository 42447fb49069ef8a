"""The Midjourney family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

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
        return BuiltFamily(
            renderers=[family],
            service=services,
            started=ctx.public_url_check("midjourney", "Midjourney links and upstream callback URLs", upstreams=True),
        )


PLUGIN = MidjourneyPlugin()
"""Named by :data:`omnirelay.families.midjourney.spec.MIDJOURNEY`."""
