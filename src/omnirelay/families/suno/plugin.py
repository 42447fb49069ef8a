"""The Suno family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.suno.account_calls import AccountCalls
from omnirelay.families.suno.act import ActCalls
from omnirelay.families.suno.api.routes import suno_routes
from omnirelay.families.suno.media import SunoMedia
from omnirelay.families.suno.owners import TaskOwners
from omnirelay.families.suno.queries import SunoQueries
from omnirelay.families.suno.service import SunoService
from omnirelay.families.suno.services import SunoServices
from omnirelay.families.suno.wire import SunoFamily
from omnirelay.files.links import LinkSigner

__all__ = ["PLUGIN", "SunoPlugin"]


class SunoPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return suno_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        signer = LinkSigner(ctx.box.derive_key("suno-links"))
        family = SunoFamily(signer)
        owners = TaskOwners(ctx.engine)
        act = ActCalls(gate=ctx.gate, catalog=ctx.catalog, owners=owners, signer=signer)
        services = SunoServices(
            submissions=SunoService(
                gate=ctx.gate,
                engine=ctx.engine,
                catalog=ctx.catalog,
                owners=owners,
                settings=ctx.settings.tasks,
                allowed_networks=ctx.allowed_networks,
            ),
            queries=SunoQueries(engine=ctx.engine, owners=owners, family=family),
            media=SunoMedia(
                engine=ctx.engine,
                signer=signer,
                act=act,
                fetcher=ctx.outbound,
                max_bytes=ctx.settings.outbound.max_media_bytes,
            ),
            accounts=AccountCalls(
                gate=ctx.gate, catalog=ctx.catalog, writer=ctx.writer, owners=owners, allowed=ctx.allowed_networks
            ),
            act=act,
        )
        return BuiltFamily(
            renderers=[family], service=services, started=ctx.public_url_check("suno", "Suno media links")
        )


PLUGIN = SunoPlugin()
"""Named by :data:`omnirelay.families.suno.spec.SUNO`."""
