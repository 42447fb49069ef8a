"""The local provider's Midjourney side: DESCRIBE answered offline; everything else needs an upstream."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from omnirelay.channels.model import Channel
from omnirelay.families.midjourney.images import decode_image
from omnirelay.families.midjourney.upstream import MJAnswer, MJCall
from omnirelay.providers.local.workers import LocalWork
from omnirelay.settings import LocalSettings
from omnirelay.tasks.model import Status, UpstreamState

__all__ = ["LOCAL_MJ_MODELS", "LocalDescribe"]

LOCAL_MJ_MODELS = ("mj_describe",)
_NEEDS_UPSTREAM = (
    "This action needs an image generator: configure an upstream Midjourney-Proxy channel (type `midjourney`). "
    "The built-in local provider only describes images."
)


class LocalDescribe:
    """Mixed into the local provider: ``/mj/submit/describe`` on a classifier shipped in a package."""

    _describer: object | None = None
    _describer_lock: asyncio.Lock | None = None
    _work: LocalWork
    _settings: LocalSettings

    async def _get_describer(self) -> object:
        from omnirelay.providers.local.describe import ImageDescriber

        if self._describer_lock is None:
            self._describer_lock = asyncio.Lock()
        async with self._describer_lock:
            if self._describer is None:
                cache = Path(tempfile.gettempdir()) / "omnirelay-models"
                self._describer = await asyncio.to_thread(ImageDescriber, cache)
        return self._describer

    async def submit(self, channel: Channel, call: MJCall) -> MJAnswer:
        if call.path != "/mj/submit/describe":
            return MJAnswer(code=4, description=_NEEDS_UPSTREAM)
        from omnirelay.providers.local.describe import ImageDescriber, NotAnImage, numbered

        image, _ = decode_image(call.body.get("base64"), "base64", 64 * 1024 * 1024)
        describer = await self._get_describer()
        assert isinstance(describer, ImageDescriber)
        try:
            description = await self._work.run(describer.describe, image, self._settings.max_image_pixels)
        except NotAnImage as exc:
            return MJAnswer(code=4, description=str(exc))
        text = numbered(description.prompts)
        finished = UpstreamState(
            status=Status.SUCCESS,
            progress=100,
            result={"prompt": text, "promptEn": text, "properties": {"finalPrompt": text}, "buttons": []},
        )
        return MJAnswer(code=1, description="Submit success", result=None, finished=finished)
