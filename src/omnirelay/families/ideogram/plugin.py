"""The Ideogram family as the runtime sees it: its routes, and its service on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.ideogram.api.routes import ideogram_routes
from omnirelay.families.ideogram.service import IdeogramService
from omnirelay.families.sync_call import SyncCalls

__all__ = ["PLUGIN", "IdeogramPlugin"]


class IdeogramPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return ideogram_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        calls = SyncCalls(gate=ctx.gate, catalog=ctx.catalog, published=ctx.published_images)
        return BuiltFamily(
            renderers=[],
            service=IdeogramService(calls),
            started=ctx.public_url_check("ideogram", "Ideogram image links"),
        )


PLUGIN = IdeogramPlugin()
"""Named by :data:`omnirelay.families.ideogram.spec.IDEOGRAM`."""
