"""The fake Kling's result files: a PNG per image and an H.264 MP4 per video (drawn per task, so the
same URL always serves the same bytes), optionally padded with an MP4 ``free`` box to make it large.
"""

from __future__ import annotations

import functools
import struct

from omnirelay.testing._fake_kling_engine import FakeKlingTask
from omnirelay.testing._fake_kling_knobs import FakeKlingKnobs
from omnirelay.testing._fake_replicate_media import render

__all__ = ["kling_file"]


@functools.lru_cache(maxsize=64)
def _drawn(seed: str, extension: str) -> bytes:
    return render(seed, extension)


def _padding(size: int) -> bytes:
    """A top-level ``free`` box of ``size`` bytes (at least its 8-byte header): players skip it."""
    size = max(size, 8)
    return struct.pack(">I", size) + b"free" + bytes(size - 8)


def kling_file(task: FakeKlingTask, name: str, knobs: FakeKlingKnobs) -> tuple[bytes, str] | None:
    """(bytes, media type) of the file ``name`` of a finished task, or None when it has no such file."""
    stem, _, extension = name.partition(".")
    if not stem.isdigit():
        return None
    if task.kind == "images" and extension == "png" and int(stem) < int(task.body.get("n") or 1):
        return _drawn(f"kling/{task.id}/{stem}", "png"), "image/png"
    if task.kind != "images" and extension == "mp4" and stem == "0":
        video = _drawn(f"kling/{task.id}", "mp4")
        if knobs.video_padding_bytes > 0:
            video += _padding(knobs.video_padding_bytes)
        return video, "video/mp4"
    return None
