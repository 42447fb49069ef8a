"""The Recraft family as the runtime sees it: its routes, and its service on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.recraft.api.routes import recraft_routes
from omnirelay.families.recraft.service import RecraftService
from omnirelay.families.sync_call import SyncCalls

__all__ = ["PLUGIN", "RecraftPlugin"]


class RecraftPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return recraft_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        calls = SyncCalls(gate=ctx.gate, catalog=ctx.catalog, published=ctx.published_images)
        return BuiltFamily(
            renderers=[],
            service=RecraftService(calls),
            started=ctx.public_url_check("recraft", "Recraft image links"),
        )


PLUGIN = RecraftPlugin()
"""Named by :data:`omnirelay.families.recraft.spec.RECRAFT`."""
