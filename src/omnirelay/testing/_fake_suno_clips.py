"""A fake Suno clip and its wire forms: the raw feed object (newapi's task ``data``, gcui's ``/api/clip``)
and gcui's flattened ``AudioInfo``; plus the lyrics the fake "writes".

URLs follow the clip's status as Suno's do: nothing while ``submitted``/``queued``; a stream link
and the cover art while ``streaming`` (``duration`` still null); the final audio, video and
``duration`` once ``complete``. All of them point at the fake's own ``/media/`` routes.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from omnirelay.testing._fake_suno_score import Score

__all__ = [
    "Clip",
    "audio_info",
    "clip_json",
    "lyric_words",
    "now_iso",
    "stem_info",
    "submitted_audio_info",
    "write_lyrics",
]

USER_ID = "8f1b6c3e-5a4d-4c8e-9b2f-0d7e6a1c2b3a"
_VERSIONS = {
    "chirp-v3-0": "v3",
    "chirp-v3-5": "v3.5",
    "chirp-v4": "v4",
    "chirp-auk": "v4.5",
    "chirp-auk-turbo": "v4.5",
    "chirp-bluejay": "v4.5+",
    "chirp-crow": "v5",
    "chirp-fenix": "v5.5",
}
_SUFFIXES = re.compile(r"-(tau|upload)$")


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Clip:
    """One clip; ``status`` walks submitted -> queued -> streaming -> complete (or error)."""

    id: str
    base_url: str
    score: Score
    model: str
    title: str = ""
    tags: str = ""
    negative_tags: str = ""
    prompt: str = ""
    gpt_description_prompt: str = ""
    make_instrumental: bool = False
    kind: str = "gen"
    task: str = ""
    history: list[dict[str, Any]] | None = None
    concat_history: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    status: str = "submitted"
    error_message: str | None = None
    created_at: str = field(default_factory=now_iso)
    upload: tuple[bytes, str] | None = None
    """The uploaded file (bytes, media type) an uploaded clip plays instead of its synthesised score."""
    reveal: tuple[str, str] | None = None
    """Inspiration mode: the (title, lyrics) that appear once the clip starts streaming."""

    @property
    def duration(self) -> float | None:
        return self.score.seconds if self.status == "complete" else None

    def media(self, name: str) -> str:
        return f"{self.base_url}media/{name}"


def _urls(clip: Clip) -> dict[str, Any]:
    urls: dict[str, Any] = {"audio_url": "", "video_url": "", "image_url": None, "image_large_url": None}
    if clip.status in ("streaming", "complete"):
        urls["image_url"] = clip.media(f"image_{clip.id}.png")
        urls["image_large_url"] = clip.media(f"image_large_{clip.id}.png")
        urls["audio_url"] = clip.media(f"stream/{clip.id}.mp3")
    if clip.status == "complete":
        urls["audio_url"] = clip.media(f"{clip.id}.mp3")
        urls["video_url"] = clip.media(f"{clip.id}.mp4")
    return urls


def _metadata(clip: Clip) -> dict[str, Any]:
    failed = clip.status == "error"
    return {
        "tags": clip.tags,
        "negative_tags": clip.negative_tags,
        "prompt": clip.prompt,
        "gpt_description_prompt": clip.gpt_description_prompt or None,
        "audio_prompt_id": None,
        "history": clip.history,
        "concat_history": clip.concat_history,
        "type": clip.kind,
        "task": clip.task or None,
        "make_instrumental": clip.make_instrumental,
        "duration": clip.duration,
        "refund_credits": failed,
        "stream": True,
        "error_type": "generation_failed" if failed else None,
        "error_message": clip.error_message,
        **clip.extra,
    }


def clip_json(clip: Clip) -> dict[str, Any]:
    """The raw Suno clip, as ``/api/feed/v2`` and ``/api/clip/{id}`` answer it."""
    model = _SUFFIXES.sub("", clip.model)
    return {
        "id": clip.id,
        **_urls(clip),
        "is_video_pending": clip.status != "complete",
        "major_model_version": _VERSIONS.get(model, "v3.5"),
        "model_name": clip.model,
        "metadata": _metadata(clip),
        "is_liked": False,
        "user_id": USER_ID,
        "display_name": "fake-suno",
        "handle": "fakesuno",
        "is_handle_updated": False,
        "avatar_image_url": None,
        "is_trashed": False,
        "reaction": None,
        "created_at": clip.created_at,
        "status": clip.status,
        "title": clip.title,
        "play_count": 0,
        "upvote_count": 0,
        "is_public": False,
    }


def submitted_audio_info(clip: Clip) -> dict[str, Any]:
    """gcui's ``AudioInfo`` right after a generate (no ``wait_audio``): no ``error_message``, has ``negative_tags``."""
    raw = clip_json(clip)
    meta = raw["metadata"]
    return {
        **_common_info(raw),
        "lyric": meta["prompt"],
        "negative_tags": meta["negative_tags"],
    }


def audio_info(clip: Clip) -> dict[str, Any]:
    """gcui's ``AudioInfo`` from ``/api/get``: lyrics without blank lines, with ``error_message``."""
    raw = clip_json(clip)
    meta = raw["metadata"]
    lyric = "\n".join(line for line in meta["prompt"].split("\n") if line.strip()) if meta["prompt"] else ""
    return {**_common_info(raw), "lyric": lyric, "error_message": meta["error_message"]}


def _common_info(raw: dict[str, Any]) -> dict[str, Any]:
    meta = raw["metadata"]
    return {
        "id": raw["id"],
        "title": raw["title"],
        "image_url": raw["image_url"],
        "audio_url": raw["audio_url"],
        "video_url": raw["video_url"],
        "created_at": raw["created_at"],
        "model_name": raw["model_name"],
        "status": raw["status"],
        "gpt_description_prompt": meta["gpt_description_prompt"],
        "prompt": meta["prompt"],
        "type": meta["type"],
        "tags": meta["tags"],
        "duration": meta["duration"],
    }


def stem_info(clip: Clip) -> dict[str, Any]:
    """gcui's ``/api/generate_stems`` item."""
    return {
        "id": clip.id,
        "status": clip.status,
        "created_at": clip.created_at,
        "title": clip.title,
        "stem_from_id": clip.extra.get("stem_from_id"),
        "duration": clip.duration,
    }


def write_lyrics(topic: str) -> tuple[str, str]:
    """Lyrics about ``topic`` (deterministic): ``(title, text)`` with ``[Verse]`` and ``[Chorus]`` sections."""
    words = re.findall(r"[\w']+", topic) or ["the", "night"]
    title = " ".join(words[:4]).title()
    subject = " ".join(words[:6]).lower()
    text = (
        f"[Verse]\n{subject.capitalize()} on my mind tonight\nEvery step I take becomes a song\n\n"
        f"[Chorus]\nSing it loud, {subject}\nWe were made to carry on\n"
    )
    return title, text


def lyric_words(lyrics: str) -> list[str]:
    """The sung words of ``lyrics``: section tags like ``[Verse]`` left out."""
    sung = (line for line in lyrics.split("\n") if line.strip() and not line.strip().startswith("["))
    return [word for line in sung for word in line.split()]
