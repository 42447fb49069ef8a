"""The Midjourney-Proxy wire: the submit envelope and the task JSON (camelCase, nulls kept).

Image links never leak the upstream's URL: ``imageUrl`` points at this gateway's
``/mj/image/{id}`` with a signature, so only holders of the task JSON can fetch it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["MidjourneyFamily", "ImageSigner", "envelope", "progress_text"]


def envelope(
    code: int, description: str, result: Any = None, properties: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"code": code, "description": description, "result": result, "properties": properties or {}}


def progress_text(record: TaskRecord) -> str:
    if record.status == Status.FAILURE:
        return ""
    if record.status == Status.SUCCESS:
        return "100%"
    return f"{record.progress}%"


class ImageSigner:
    """Signs gateway links (``/mj/image/{id}``, upstream callback URLs) with a key of this deployment."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, value: str, purpose: str = "mj-image") -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    def verify(self, value: str, signature: str, purpose: str = "mj-image") -> bool:
        return hmac.compare_digest(self.sign(value, purpose), signature)


_HIDDEN_PROPERTIES = frozenset({"notifyHook", "discordChannelId", "nonce"})


class MidjourneyFamily:
    """Renders task records as Midjourney-Proxy task JSON (what fetch returns and webhooks carry)."""

    name = "mj"

    def __init__(self, signer: ImageSigner) -> None:
        self._signer = signer

    def image_url(self, record: TaskRecord) -> str | None:
        if not record.result.get("imageUrl"):
            return None
        base = str(record.request.get("base_url", "")).rstrip("/")
        url = f"{base}/mj/image/{record.id}?sig={self._signer.sign(record.id)}"
        return url if record.finished else f"{url}&v={record.version}"

    def render(self, record: TaskRecord) -> dict[str, Any]:
        request, result = record.request, record.result
        properties = {k: v for k, v in dict(result.get("properties") or {}).items() if k not in _HIDDEN_PROPERTIES}
        if record.notify_url:
            properties["notifyHook"] = record.notify_url
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
            "status": record.status,
            "progress": progress_text(record),
            "failReason": record.fail_reason,
            "buttons": list(result.get("buttons") or []),
            "maskBase64": None,
            "properties": properties,
        }
