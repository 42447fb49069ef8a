"""The Suno family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog
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

log = structlog.get_logger(__name__)


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
        return BuiltFamily(renderers=[family], service=services, started=_public_url_check(ctx))


def _public_url_check(ctx: FamilyContext) -> Callable[[], None]:
    """Media links need an address clients reach; say so once, at start."""

    def check() -> None:
        channels = ctx.catalog.snapshot.channels.values()
        if not ctx.settings.server.public_url and any(c.type == "suno" for c in channels):
            log.warning(
                "server.public_url is not set: Suno media links use the address each request arrived on; "
                "set it to the URL clients reach this gateway at"
            )

    return check


PLUGIN = SunoPlugin()
"""Named by :data:`omnirelay.families.suno.spec.SUNO`."""
