"""The videos family as the runtime sees it: its routes, and its services built on one runtime."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from omnirelay.families.base import BuiltFamily, FamilyContext
from omnirelay.families.videos.api.routes import videos_routes
from omnirelay.families.videos.generations import VideoGenerations
from omnirelay.families.videos.service import VideosService
from omnirelay.families.videos.services import VideosServices
from omnirelay.families.videos.wire import VideosFamily
from omnirelay.files.links import LinkSigner
from omnirelay.tasks.video_jobs import VideoStarter
from omnirelay.tasks.video_media import LINK_KEY_PURPOSE, VideoFiles, VideoLinks

__all__ = ["PLUGIN", "VideosPlugin"]


class VideosPlugin:
    def routes(self) -> Sequence[BaseRoute]:
        return videos_routes()

    def build(self, ctx: FamilyContext) -> BuiltFamily:
        family = VideosFamily()
        links = VideoLinks(LinkSigner(ctx.box.derive_key(LINK_KEY_PURPOSE)))
        files = VideoFiles(
            ctx.outbound, ctx.settings.outbound.max_media_bytes, catalog=ctx.catalog, providers=ctx.providers
        )
        starter = VideoStarter(gate=ctx.gate, engine=ctx.engine, catalog=ctx.catalog, settings=ctx.settings.tasks)
        services = VideosServices(
            videos=VideosService(starter=starter, engine=ctx.engine, family=family, files=files),
            generations=VideoGenerations(engine=ctx.engine, links=links),
            links=links,
            files=files,
            poll_after_ms=max(50, min(5000, int(ctx.settings.tasks.poll_min_s * 1000))),
        )
        return BuiltFamily(renderers=[family], service=services)


PLUGIN = VideosPlugin()
"""Named by :data:`omnirelay.families.videos.spec.VIDEOS`."""
