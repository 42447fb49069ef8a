"""The MiniMax family as the runtime sees it: its routes, and its service built on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.minimax.api.routes import minimax_routes
from omnirelay.families.minimax.service import MiniMaxService
from omnirelay.families.minimax.wire import MiniMaxFamily
from omnirelay.files.links import LinkSigner
from omnirelay.tasks.video_jobs import VideoStarter
from omnirelay.tasks.video_media import LINK_KEY_PURPOSE, VideoLinks

__all__ = ["PLUGIN", "MiniMaxPlugin"]


class MiniMaxPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return minimax_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        family = MiniMaxFamily()
        service = MiniMaxService(
            starter=VideoStarter(gate=ctx.gate, engine=ctx.engine, catalog=ctx.catalog, settings=ctx.settings.tasks),
            engine=ctx.engine,
            family=family,
            links=VideoLinks(LinkSigner(ctx.box.derive_key(LINK_KEY_PURPOSE))),
            allowed_networks=ctx.allowed_networks,
        )
        return BuiltFamily(
            renderers=[family],
            service=service,
            started=ctx.public_url_check("minimax", "MiniMax video links"),
        )


PLUGIN = MiniMaxPlugin()
"""Named by :data:`omnirelay.families.minimax.spec.MINIMAX`."""
