"""The task-vendor family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog
from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.task_vendor.api.routes import vendor_routes
from omnirelay.families.task_vendor.book import VendorBook
from omnirelay.families.task_vendor.media import VendorFiles
from omnirelay.families.task_vendor.queries import VendorQueries
from omnirelay.families.task_vendor.service import VendorSubmissions
from omnirelay.families.task_vendor.services import VendorServices
from omnirelay.families.task_vendor.store import VendorStore
from omnirelay.families.task_vendor.upstream import CHANNEL_TYPE
from omnirelay.families.task_vendor.wire import TaskVendorFamily
from omnirelay.files.links import LinkSigner
from omnirelay.providers.task_vendor.adapter import TaskVendorProvider

__all__ = ["PLUGIN", "TaskVendorPlugin"]

log = structlog.get_logger(__name__)


class TaskVendorPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return vendor_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        if ctx.database is None:
            raise TypeError("the task-vendor family needs FamilyContext.database")
        book = VendorBook(list(ctx.settings.task_vendors), VendorStore(ctx.database), ctx.catalog)
        provider = ctx.providers.get(CHANNEL_TYPE)
        if isinstance(provider, TaskVendorProvider):
            provider.use(book)
        signer = LinkSigner(ctx.box.derive_key("task-vendor-links"))
        family = TaskVendorFamily(signer)
        services = VendorServices(
            book=book,
            submissions=VendorSubmissions(
                book=book,
                gate=ctx.gate,
                engine=ctx.engine,
                family=family,
                settings=ctx.settings.tasks,
                allowed_networks=ctx.allowed_networks,
            ),
            queries=VendorQueries(engine=ctx.engine, family=family, book=book, gate=ctx.gate, catalog=ctx.catalog),
            files=VendorFiles(
                engine=ctx.engine,
                book=book,
                signer=signer,
                fetcher=ctx.outbound,
                max_bytes=ctx.settings.outbound.max_media_bytes,
            ),
        )
        return BuiltFamily(renderers=[family], service=services, started=_channel_check(ctx, book))


def _channel_check(ctx: FamilyContext, book: VendorBook) -> Callable[[], None]:
    """A vendor channel that names no declared vendor serves nothing: say so once, at start."""

    def check() -> None:
        declared = book.declared
        for channel in ctx.catalog.snapshot.channels.values():
            if channel.type == CHANNEL_TYPE and channel.options.get("vendor") not in declared:
                log.info(
                    "task_vendor channel names a vendor not in the settings file (it may be one made through "
                    "the admin API)",
                    channel=channel.name,
                    vendor=channel.options.get("vendor"),
                )

    return check


PLUGIN = TaskVendorPlugin()
"""Named by :data:`omnirelay.families.task_vendor.spec.TASK_VENDOR`."""
