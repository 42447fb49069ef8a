"""Suno clips in the one shape clients see (spec §2A ``Clip``), and the task state they add up to (§0).

Both dialects end here: the aggregator's raw feed clips and gcui's flattened ``AudioInfo`` become
the same :class:`SunoClip`. Fields naming the upstream's own Suno account (``user_id``,
``display_name``, ``handle``...) are left out on purpose: they would tell clients whose account
served them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from omnirelay.tasks.model import Status, UpstreamState

__all__ = ["SunoClip", "clip_from_feed", "clip_from_info", "state_from_clips"]


class ClipMetadata(TypedDict):
    tags: str | None
    negative_tags: str | None
    prompt: str | None
    gpt_description_prompt: str | None
    type: str | None
    duration: float | None
    history: list[Any] | None
    concat_history: list[Any] | None
    error_type: str | None
    error_message: str | None


class SunoClip(TypedDict):
    id: str
    title: str
    status: str
    audio_url: str
    """``""`` until there is one, as Suno answers (the images are null until then)."""
    video_url: str
    image_url: str | None
    image_large_url: str | None
    is_video_pending: bool
    major_model_version: str | None
    model_name: str | None
    created_at: str | None
    metadata: ClipMetadata


_CLIP_STATUS = {
    "submitted": Status.SUBMITTED,
    "queued": Status.SUBMITTED,
    "streaming": Status.IN_PROGRESS,
    "complete": Status.SUCCESS,
    "error": Status.FAILURE,
}
"""§0: a clip ``submitted`` or ``queued`` is waiting upstream; the engine has one state for both."""
_PROGRESS = {"submitted": 0, "queued": 10, "streaming": 50, "complete": 100, "error": 100}
_ORDER = ("submitted", "queued", "streaming", "complete")


def _text(source: Mapping[str, Any], key: str) -> str | None:
    value = source.get(key)
    return value if isinstance(value, str) else None


def _url(source: Mapping[str, Any], key: str) -> str | None:
    return _text(source, key) or None


def _number(source: Mapping[str, Any], key: str) -> float | None:
    value = source.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _list(source: Mapping[str, Any], key: str) -> list[Any] | None:
    value = source.get(key)
    return value if isinstance(value, list) else None


def _metadata(meta: Mapping[str, Any]) -> ClipMetadata:
    return {
        "tags": _text(meta, "tags"),
        "negative_tags": _text(meta, "negative_tags"),
        "prompt": _text(meta, "prompt"),
        "gpt_description_prompt": _text(meta, "gpt_description_prompt"),
        "type": _text(meta, "type"),
        "duration": _number(meta, "duration"),
        "history": _list(meta, "history"),
        "concat_history": _list(meta, "concat_history"),
        "error_type": _text(meta, "error_type"),
        "error_message": _text(meta, "error_message"),
    }


def _status(source: Mapping[str, Any]) -> str:
    status = _text(source, "status") or "submitted"
    return status if status in _CLIP_STATUS else "error"


def clip_from_feed(raw: Mapping[str, Any]) -> SunoClip:
    """A raw Suno feed clip (the aggregator's task ``data``, ``/api/concat``) in the clients' shape."""
    meta = raw.get("metadata")
    status = _status(raw)
    return {
        "id": str(raw.get("id") or ""),
        "title": _text(raw, "title") or "",
        "status": status,
        "audio_url": _text(raw, "audio_url") or "",
        "video_url": _text(raw, "video_url") or "",
        "image_url": _url(raw, "image_url"),
        "image_large_url": _url(raw, "image_large_url"),
        "is_video_pending": pending
        if isinstance(pending := raw.get("is_video_pending"), bool)
        else status != "complete",
        "major_model_version": _text(raw, "major_model_version"),
        "model_name": _text(raw, "model_name"),
        "created_at": _text(raw, "created_at"),
        "metadata": _metadata(meta if isinstance(meta, Mapping) else {}),
    }


def clip_from_info(info: Mapping[str, Any]) -> SunoClip:
    """gcui's flattened ``AudioInfo`` (or a stem item) in the clients' shape; what it lacks stays null."""
    status = _status(info)
    meta: dict[str, Any] = {key: info.get(key) for key in ("tags", "negative_tags", "gpt_description_prompt")}
    meta |= {
        "prompt": info.get("prompt") or info.get("lyric"),
        "type": info.get("type"),
        "duration": info.get("duration"),
    }
    meta["error_message"] = info.get("error_message")
    return {
        "id": str(info.get("id") or ""),
        "title": _text(info, "title") or "",
        "status": status,
        "audio_url": _text(info, "audio_url") or "",
        "video_url": _text(info, "video_url") or "",
        "image_url": _url(info, "image_url"),
        "image_large_url": None,
        "is_video_pending": status != "complete",
        "major_model_version": None,
        "model_name": _text(info, "model_name"),
        "created_at": _text(info, "created_at"),
        "metadata": _metadata(meta),
    }


def _least_advanced(statuses: Sequence[str]) -> str:
    return min(statuses, key=lambda status: _ORDER.index(status) if status in _ORDER else 0)


def state_from_clips(clips: Sequence[SunoClip]) -> UpstreamState | None:
    """A music task's state from its clips: failed if any clip failed, else as far as the slowest one.

    Suno-API takes the clip that is not ``complete`` when two differ; a failed clip ends the
    task at once (its ``error_message`` is the reason) rather than when the other one finishes.
    """
    if not clips:
        return None
    failed = next((clip for clip in clips if clip["status"] == "error"), None)
    status = "error" if failed is not None else _least_advanced([clip["status"] for clip in clips])
    reason = None
    if failed is not None:
        reason = failed["metadata"]["error_message"] or "The upstream reported a failed clip without a reason."
    return UpstreamState(
        status=_CLIP_STATUS[status],
        progress=_PROGRESS[status],
        fail_reason=reason,
        result={"data": list(clips)},
    )
