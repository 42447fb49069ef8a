"""A vendor-neutral :class:`~omnirelay.providers.video.VideoJob` (the common ``/v1/videos`` ingress)
as a Seedance create: the prompt as a text item, the first frame as an ``image_url`` item
(role ``first_frame``), ``seconds`` as ``duration``, and ``size`` (``WxH``) as Seedance's
``resolution`` (by the short side: 480p, 720p, 1080p) and ``ratio`` (the nearest it knows).
"""

from __future__ import annotations

from typing import Any

from omnirelay.providers.video import VideoJob

__all__ = ["RATIOS", "video_job_body"]

RATIOS: dict[str, float] = {"21:9": 21 / 9, "16:9": 16 / 9, "4:3": 4 / 3, "1:1": 1.0, "3:4": 3 / 4, "9:16": 9 / 16}
_RESOLUTIONS = ((480, "480p"), (720, "720p"), (1080, "1080p"))


def _size(size: str) -> tuple[str, str] | None:
    """(resolution, ratio) nearest to ``WxH``; None when it is not one."""
    width, _, height = size.lower().partition("x")
    if not width.isdigit() or not height.isdigit() or not int(width) or not int(height):
        return None
    w, h = int(width), int(height)
    short = min(w, h)
    resolution = min(_RESOLUTIONS, key=lambda pair: abs(pair[0] - short))[1]
    ratio = min(RATIOS, key=lambda name: abs(RATIOS[name] - w / h))
    return resolution, ratio


def video_job_body(job: VideoJob) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": job.prompt}]
    if job.image:
        content.append({"type": "image_url", "image_url": {"url": job.image}, "role": "first_frame"})
    body: dict[str, Any] = {**job.extra, "model": job.model, "content": content}
    if job.seconds is not None:
        body["duration"] = job.seconds
    found = _size(job.size) if job.size else None
    if found is not None:
        body.setdefault("resolution", found[0])
        body.setdefault("ratio", found[1])
    return body
