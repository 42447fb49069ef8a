"""What the fake Suno knows about a finished clip beyond its files: aligned lyrics, MIDI, tags, personas.

Shared by both dialects: newapi's ``/suno/act/*`` and ``/suno/persona/create/``, gcui's
``/api/get_aligned_lyrics`` and ``/api/persona``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from omnirelay.testing._fake_suno_clips import Clip, clip_json, lyric_words
from omnirelay.testing._fake_suno_engine import SunoEngine
from omnirelay.testing._fake_suno_media import waveform
from omnirelay.testing._fake_suno_wire import Refusal, complete_clip, text_field

__all__ = [
    "PERSONA_PAGE",
    "aligned_words",
    "create_persona",
    "midi_json",
    "persona_json",
    "timing_json",
    "upsample_tags",
]

PERSONA_PAGE = 20
_HOOT_CER = 0.08


def aligned_words(clip: Clip) -> list[dict[str, Any]]:
    """The clip's sung words spread evenly over its length (``[]`` for an instrumental)."""
    words = lyric_words(clip.prompt)
    if not words:
        return []
    span = clip.score.seconds / len(words)
    return [
        {
            "word": word,
            "start_s": round(index * span, 3),
            "end_s": round((index + 1) * span, 3),
            "success": True,
            "p_align": round(0.9 + (len(word) % 10) / 100, 2),
        }
        for index, word in enumerate(words)
    ]


def timing_json(clip: Clip) -> dict[str, Any]:
    """``/suno/act/timing/{clip_id}``."""
    return {
        "aligned_words": aligned_words(clip),
        "waveform_data": waveform(clip.score),
        "hoot_cer": _HOOT_CER,
        "is_streamed": False,
    }


def midi_json(engine: SunoEngine, clip: Clip) -> dict[str, Any]:
    """``{"state": "running"}`` for one step after the first ask, then the notes the audio plays."""
    asked = engine.midi_asked.setdefault(clip.id, time.monotonic())
    if time.monotonic() - asked < engine.knobs.step_s:
        return {"state": "running"}
    return {"state": "complete", "instruments": clip.score.to_json()}


def upsample_tags(body: dict[str, Any]) -> dict[str, Any]:
    """``/suno/act/tags``: the tags with a few production words added."""
    original = text_field(body, "original_tags").strip()
    if not original:
        raise Refusal(400, 'original_tags is required: the style tags to expand, e.g. "synthwave, female vocals"')
    return {"upsampled_tags": f"{original}, catchy melody, polished mix, wide stereo", "request_id": str(uuid.uuid4())}


def create_persona(engine: SunoEngine, body: dict[str, Any]) -> dict[str, Any]:
    """``/suno/persona/create/``: a persona from a finished root clip; answers the persona object."""
    root = complete_clip(engine, body.get("root_clip_id"), "root_clip_id")
    name = text_field(body, "name").strip()
    if not name:
        raise Refusal(400, "name is required: the persona's display name")
    wanted = body.get("clips")
    clip_ids = [root.id] if not isinstance(wanted, list) or not wanted else wanted
    for clip_id in clip_ids:
        complete_clip(engine, clip_id, "clips[]")
    persona_id = str(uuid.uuid4())
    record = {
        "id": persona_id,
        "name": name,
        "description": text_field(body, "description"),
        "root_clip_id": root.id,
        "clip_ids": [str(clip_id) for clip_id in clip_ids],
        "is_public": body.get("is_public") is True,
    }
    engine.personas[persona_id] = record
    return persona_json(engine, record, 1)


def persona_json(engine: SunoEngine, record: dict[str, Any], page: int) -> dict[str, Any]:
    """The persona object, with page ``page`` (from 1) of its clips."""
    root = engine.clips[record["root_clip_id"]]
    clips = [engine.clips[clip_id] for clip_id in record["clip_ids"] if clip_id in engine.clips]
    shown = clips[(page - 1) * PERSONA_PAGE : page * PERSONA_PAGE]
    return {
        "id": record["id"],
        "name": record["name"],
        "description": record["description"],
        "image_s3_id": root.media(f"image_large_{root.id}.png"),
        "root_clip_id": root.id,
        "clip": clip_json(root),
        "user_display_name": "fake-suno",
        "user_handle": "fakesuno",
        "user_image_url": None,
        "persona_clips": [{"clip": clip_json(clip)} for clip in shown],
        "is_suno_persona": False,
        "is_trashed": False,
        "is_owned": True,
        "is_public": record["is_public"],
        "is_public_approved": False,
        "is_loved": False,
        "upvote_count": 0,
        "clip_count": len(clips),
    }
