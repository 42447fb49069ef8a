"""The Midjourney-Proxy wire: the submit envelope and the task JSON (camelCase, nulls kept).

Media links never leak the upstream's URL: ``imageUrl`` points at this gateway's
``/mj/image/{id}``, ``videoUrl`` and ``videoUrls`` at ``/mj/video/{id}[/{n}]``, each with a
signature (the file links' signer), so only holders of the task JSON can fetch them.
"""

from __future__ import annotations

from typing import Any

from omnirelay.files.links import LinkSigner
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["IMAGE_LINK", "VIDEO_LINK", "MidjourneyFamily", "envelope", "progress_text"]

IMAGE_LINK = "mj-image"
"""Scope of the signatures on ``/mj/image/{id}`` links (:class:`~omnirelay.files.links.LinkSigner`)."""
VIDEO_LINK = "mj-video"
"""Scope of the signatures on ``/mj/video/{id}[/{n}[/thumbnail]]`` links."""


def envelope(
    code: int, description: str, result: Any = None, properties: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"code": code, "description": description, "result": result, "properties": properties or {}}


def progress_text(record: TaskRecord) -> str:
    if record.status in (Status.FAILURE, Status.CANCEL):
        return ""
    if record.status == Status.SUCCESS:
        return "100%"
    return f"{record.progress}%"


_HIDDEN_PROPERTIES = frozenset({"notifyHook", "discordChannelId", "nonce"})


class MidjourneyFamily:
    """Renders task records as Midjourney-Proxy task JSON (what fetch returns and webhooks carry)."""

    name = "mj"

    def __init__(self, signer: LinkSigner) -> None:
        self._signer = signer

    def image_url(self, record: TaskRecord) -> str | None:
        if not record.result.get("imageUrl"):
            return None
        base = str(record.request.get("base_url", "")).rstrip("/")
        url = f"{base}/mj/image/{record.id}?sig={self._signer.sign(IMAGE_LINK, record.id)}"
        return url if record.finished else f"{url}&v={record.version}"

    def video_urls(self, record: TaskRecord) -> tuple[str | None, list[dict[str, str | None]] | None]:
        """``videoUrl`` and ``videoUrls`` as this gateway's signed ``/mj/video/...`` links (None without video)."""
        clips = record.result.get("videoUrls")
        if not record.result.get("videoUrl") or not isinstance(clips, list):
            return None, None
        base = f"{str(record.request.get('base_url', '')).rstrip('/')}/mj/video/{record.id}"
        sig = f"?sig={self._signer.sign(VIDEO_LINK, record.id)}"
        links: list[dict[str, str | None]] = [
            {
                "url": f"{base}/{n}{sig}",
                "thumbnail": f"{base}/{n}/thumbnail{sig}" if isinstance(clip, dict) and clip.get("thumbnail") else None,
            }
            for n, clip in enumerate(clips)
        ]
        return f"{base}{sig}", links

    def render(self, record: TaskRecord) -> dict[str, Any]:
        request, result = record.request, record.result
        properties = {k: v for k, v in dict(result.get("properties") or {}).items() if k not in _HIDDEN_PROPERTIES}
        if record.notify_url:
            properties["notifyHook"] = record.notify_url
        video_url, video_urls = self.video_urls(record)
        return {
            "id": record.id,
            "action": record.action,
            "customId": request.get("customId"),
            "botType": request.get("botType"),
            "prompt": result.get("prompt", request.get("prompt")),
            "promptEn": result.get("promptEn"),
            "description": request.get("description"),
            "state": request.get("state"),
            "submitTime": record.submit_time,
            "startTime": record.start_time,
            "finishTime": record.finish_time,
            "imageUrl": self.image_url(record),
            "videoUrl": video_url,
            "videoUrls": video_urls,
            "status": record.status,
            "progress": progress_text(record),
            "failReason": record.fail_reason,
            "buttons": list(result.get("buttons") or []),
            "maskBase64": None,
            "properties": properties,
        }
