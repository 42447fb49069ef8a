"""What a music submit becomes: the clips of each Suno scenario, shared by both dialects.

Generate (custom lyrics, inspiration, instrumental), extend and upload_extend (``history`` names
the clip continued and ``continue_at``), cover, infill (replace a section), artist_consistency
(persona), gen_stem (a Vocals and an Instrumental stem of a clip) and concat (the full song:
the extend chain's parts, or an infill stitched into its original, played in a row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omnirelay.testing._fake_suno_clips import Clip, write_lyrics
from omnirelay.testing._fake_suno_engine import SunoEngine
from omnirelay.testing._fake_suno_score import Score, join
from omnirelay.testing._fake_suno_wire import Refusal, complete_clip, text_field

__all__ = ["MUSIC_TASKS", "MusicRequest", "plan_concat", "plan_music"]

MUSIC_TASKS = frozenset({"", "extend", "upload_extend", "cover", "infill", "artist_consistency", "gen_stem"})
_EXTENDS = frozenset({"extend", "upload_extend"})
_STEM_FIELDS = ("stem_type_id", "stem_type_group_name", "stem_task")


def _number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass
class MusicRequest:
    """The SubmitMusic fields the fake acts on (every other key is accepted and ignored)."""

    mv: str
    prompt: str = ""
    gpt_description_prompt: str = ""
    title: str = ""
    tags: str = ""
    negative_tags: str = ""
    make_instrumental: bool = False
    task: str = ""
    continue_clip_id: str = ""
    continue_at: float | None = None
    infill_start_s: float | None = None
    infill_end_s: float | None = None
    cover_clip_id: str = ""
    persona_id: str = ""
    artist_clip_id: str = ""
    stem: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_body(cls, body: dict[str, Any], default_mv: str) -> MusicRequest:
        return cls(
            mv=text_field(body, "mv") or default_mv,
            prompt=text_field(body, "prompt"),
            gpt_description_prompt=text_field(body, "gpt_description_prompt"),
            title=text_field(body, "title"),
            tags=text_field(body, "tags"),
            negative_tags=text_field(body, "negative_tags"),
            make_instrumental=body.get("make_instrumental") is True,
            task=text_field(body, "task"),
            continue_at=_number(body, "continue_at"),
            infill_start_s=_number(body, "infill_start_s"),
            infill_end_s=_number(body, "infill_end_s"),
            continue_clip_id=text_field(body, "continue_clip_id"),
            cover_clip_id=text_field(body, "cover_clip_id"),
            persona_id=text_field(body, "persona_id"),
            artist_clip_id=text_field(body, "artist_clip_id"),
            stem={key: body[key] for key in _STEM_FIELDS if key in body},
        )


def plan_music(engine: SunoEngine, request: MusicRequest, base_url: str) -> list[Clip]:
    """The two clips ``request`` asks for (not stored yet); raises :class:`Refusal` when it cannot be made."""
    task = request.task
    if task not in MUSIC_TASKS:
        raise Refusal(400, f"invalid task {task!r}: use one of {sorted(MUSIC_TASKS)}")
    if task == "gen_stem":
        return _stems(engine, request, base_url)
    extra: dict[str, Any] = {}
    history: list[dict[str, Any]] | None = None
    if task in _EXTENDS or (task == "" and request.continue_clip_id):
        history = _extend_history(engine, request)
    elif task == "cover":
        complete_clip(engine, request.cover_clip_id, "cover_clip_id")
        extra["cover_clip_id"] = request.cover_clip_id
    elif task == "infill":
        history, extra = _infill(engine, request)
    elif task == "artist_consistency":
        if request.persona_id not in engine.personas:
            raise Refusal(400, f"persona_id: no persona {request.persona_id!r}; create one with /suno/persona/create/")
        complete_clip(engine, request.artist_clip_id, "artist_clip_id")
        extra |= {"persona_id": request.persona_id, "artist_clip_id": request.artist_clip_id}
    elif not (request.prompt or request.gpt_description_prompt or request.make_instrumental):
        raise Refusal(400, "prompt_empty")
    return [_clip(engine, request, base_url, history, extra) for _ in range(2)]


def _clip(
    engine: SunoEngine,
    request: MusicRequest,
    base_url: str,
    history: list[dict[str, Any]] | None,
    extra: dict[str, Any],
) -> Clip:
    inspired = bool(request.gpt_description_prompt)
    reveal = None
    if inspired:
        title, lyrics = write_lyrics(request.gpt_description_prompt)
        reveal = (title, "" if request.make_instrumental else lyrics)
    seconds = None
    if request.task == "infill":
        span = (request.infill_end_s or 0.0) - (request.infill_start_s or 0.0)
        seconds = min(max(span, 0.5), engine.knobs.clip_seconds)
    return engine.new_clip(
        base_url,
        seconds=seconds,
        vocals=not request.make_instrumental,
        model=request.mv,
        title="" if inspired else request.title,
        tags=request.tags,
        negative_tags=request.negative_tags,
        prompt="" if inspired else request.prompt,
        gpt_description_prompt=request.gpt_description_prompt,
        make_instrumental=request.make_instrumental,
        task=request.task,
        history=history,
        extra=dict(extra),
        reveal=reveal,
    )


def _extend_history(engine: SunoEngine, request: MusicRequest) -> list[dict[str, Any]]:
    source = complete_clip(engine, request.continue_clip_id, "continue_clip_id")
    at = (
        source.score.seconds
        if request.continue_at is None
        else min(max(0.0, request.continue_at), source.score.seconds)
    )
    step = {"id": source.id, "continue_at": at, "type": source.kind, "source": "web", "infill": False}
    return [*(source.history or []), step]


def _infill(engine: SunoEngine, request: MusicRequest) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    source = complete_clip(engine, request.continue_clip_id, "continue_clip_id")
    start, end = request.infill_start_s, request.infill_end_s
    if start is None or end is None or not 0 <= start < end:
        raise Refusal(400, "infill_start_s and infill_end_s are required numbers, 0 <= infill_start_s < infill_end_s")
    section = {"infill": True, "infill_start_s": start, "infill_end_s": end}
    return [{"id": source.id, "type": source.kind, "source": "web", **section}], section


def _stems(engine: SunoEngine, request: MusicRequest, base_url: str) -> list[Clip]:
    source = complete_clip(engine, request.continue_clip_id, "continue_clip_id")
    voice = next((name for name, _ in source.score.instruments if name in ("Vocals", "Lead")), "Vocals")
    clips = []
    for label, part in (("Vocals", voice), ("Instrumental", "Bass")):
        extra = {"stem_from_id": source.id, **request.stem}
        clip = engine.new_clip(
            base_url,
            score=source.score.only(part),
            model=request.mv,
            title=f"{request.title or source.title} ({label})",
            tags=source.tags,
            prompt=source.prompt if label == "Vocals" else "",
            make_instrumental=label == "Instrumental",
            task="gen_stem",
            extra=extra,
        )
        clips.append(clip)
    return clips


def plan_concat(engine: SunoEngine, clip: Clip, base_url: str, *, is_infill: bool) -> Clip:
    """The full-song clip (not stored yet) that concatenating ``clip`` gives."""
    if is_infill:
        return _concat_infill(engine, clip, base_url)
    parts, concat_history = [], []
    for step in clip.history or []:
        earlier = engine.clips.get(str(step.get("id")))
        if earlier is not None and isinstance(step.get("continue_at"), int | float):
            parts.append(earlier.score.cut(0, float(step["continue_at"])))
            concat_history.append({"id": earlier.id, "continue_at": step["continue_at"], "type": earlier.kind})
    parts.append(clip.score)
    concat_history.append({"id": clip.id, "continue_at": None, "type": clip.kind})
    return _concat_clip(engine, clip, base_url, join(parts), concat_history)


def _concat_infill(engine: SunoEngine, clip: Clip, base_url: str) -> Clip:
    if not clip.extra.get("infill"):
        raise Refusal(400, f"is_infill is true but clip {clip.id!r} was not made with task infill")
    original = engine.clips.get(str((clip.history or [{}])[0].get("id")))
    if original is None:
        raise Refusal(400, f"the original of infill clip {clip.id!r} is gone")
    seconds = original.score.seconds
    start = min(float(clip.extra["infill_start_s"]), seconds)
    end = min(max(float(clip.extra["infill_end_s"]), start), seconds)
    score = join([original.score.cut(0, start), clip.score, original.score.cut(end, seconds)])
    section = {"infill_start_s": clip.extra["infill_start_s"], "infill_end_s": clip.extra["infill_end_s"]}
    concat_history = [{"id": original.id, "type": original.kind}, {"id": clip.id, "infill": True, **section}]
    return _concat_clip(engine, clip, base_url, score, concat_history)


def _concat_clip(
    engine: SunoEngine, clip: Clip, base_url: str, score: Score, concat_history: list[dict[str, Any]]
) -> Clip:
    return engine.new_clip(
        base_url,
        score=score,
        model=clip.model,
        title=clip.title,
        tags=clip.tags,
        negative_tags=clip.negative_tags,
        prompt=clip.prompt,
        kind="concat",
        concat_history=concat_history,
    )
