"""Each submit body (music in every scenario, lyrics, concat), checked and turned into a :class:`Submission`.

Anything wrong is an :class:`~omnirelay.errors.InvalidRequest` (``invalid_request`` in the
envelope), raised before any money is held or anything is stored. Keys the gateway does not
know are kept: aggregators forward them, so new Suno fields work without a gateway release.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omnirelay.errors import InvalidRequest
from omnirelay.families.suno.pricing import price_of
from omnirelay.families.suno.upstream import SubmitAction

__all__ = ["MODEL_VERSIONS", "ClipRef", "Submission", "parse_submission"]

MODEL_VERSIONS: frozenset[str] = frozenset(
    f"{base}{suffix}"
    for base in (
        "chirp-v3-0",
        "chirp-v3-5",
        "chirp-v4",
        "chirp-auk",
        "chirp-auk-turbo",
        "chirp-bluejay",
        "chirp-crow",
        "chirp-fenix",
    )
    for suffix in ("", "-tau", "-upload")
)
"""``mv`` values of spec §2A: the models, their ``-tau`` (cover, persona, infill) and legacy ``-upload`` forms."""

_PROMPT_LIMIT = 20_000
_ID_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ClipRef:
    """A clip the submit works on: it must be the caller's, and the task goes where the clip was made."""

    field: str
    clip_id: str
    task_id: str | None
    """The task the client says made it (``task_id``); looked up by clip when absent."""


@dataclass(frozen=True, slots=True)
class Submission:
    action: SubmitAction
    scenario: str
    """``task`` of a music submit (``""``: generate), or the action itself."""
    body: dict[str, Any]
    price: str
    clip: ClipRef | None = None
    notify_hook: str | None = None

    @property
    def task_action(self) -> str:
        """The 2A ``action`` of the task: a concat's data is clips, so it is a MUSIC task too."""
        return "LYRICS" if self.action == "lyrics" else "MUSIC"


def _text(body: dict[str, Any], name: str, *, required: bool = False, message: str | None = None) -> str:
    value = body.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string.", param=name)
    if len(value) > _PROMPT_LIMIT:
        raise InvalidRequest(f"{name} is longer than {_PROMPT_LIMIT} characters.", param=name)
    if required and not value.strip():
        raise InvalidRequest(message or f"{name} must not be empty.", param=name)
    return value


def _number(body: dict[str, Any], name: str, *, required: bool = False) -> float | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidRequest(f"{name} must be a number of seconds (0 or more).", param=name)
    return float(value)


def _flag(body: dict[str, Any], name: str) -> None:
    if body.get(name) is not None and not isinstance(body.get(name), bool):
        raise InvalidRequest(f"{name} must be true or false.", param=name)


def _clip(body: dict[str, Any], name: str, *, needs_task: bool = False) -> ClipRef:
    clip_id = _text(body, name, required=True, message=f"{name} (the id of one of your clips) is required.")
    if len(clip_id.strip()) > _ID_LIMIT:
        raise InvalidRequest(f"{name} is not a clip id (longer than {_ID_LIMIT} characters).", param=name)
    task_id = _text(body, "task_id").strip() or None
    if needs_task and task_id is None:
        raise InvalidRequest(f"task_id (the task that made {name}) is required with {name}.", param="task_id")
    return ClipRef(name, clip_id.strip(), task_id)


def _generate(body: dict[str, Any]) -> ClipRef | None:
    """Inspiration (``gpt_description_prompt``), custom lyrics (``prompt``), either instrumental: no clip."""
    if not _text(body, "gpt_description_prompt").strip() and body.get("make_instrumental") is not True:
        message = (
            "prompt_empty: custom mode needs the lyrics in prompt (or gpt_description_prompt for "
            "inspiration mode, or make_instrumental)."
        )
        _text(body, "prompt", required=True, message=message)
    return None


def _infill(body: dict[str, Any]) -> ClipRef:
    start, end = _number(body, "infill_start_s", required=True), _number(body, "infill_end_s", required=True)
    if start is not None and end is not None and start >= end:
        raise InvalidRequest("infill_start_s must be before infill_end_s.", param="infill_end_s")
    return _clip(body, "continue_clip_id")


def _persona(body: dict[str, Any]) -> ClipRef:
    _text(body, "persona_id", required=True, message="persona_id (from /suno/persona/create/) is required.")
    return _clip(body, "artist_clip_id")


_SCENARIOS: dict[str, Callable[[dict[str, Any]], ClipRef | None]] = {
    "": _generate,
    "extend": lambda body: _clip(body, "continue_clip_id", needs_task=True),
    "upload_extend": lambda body: _clip(body, "continue_clip_id"),
    "cover": lambda body: _clip(body, "cover_clip_id"),
    "infill": _infill,
    "artist_consistency": _persona,
    "gen_stem": lambda body: _clip(body, "continue_clip_id"),
}


def _music(body: dict[str, Any]) -> Submission:
    scenario = _text(body, "task").strip()
    check = _SCENARIOS.get(scenario)
    if check is None:
        known = ", ".join(repr(s) for s in _SCENARIOS if s)
        raise InvalidRequest(f"task {scenario!r} is unknown: leave it out to generate, or use {known}.", param="task")
    mv = body.get("mv")
    if mv is not None and mv not in MODEL_VERSIONS:
        raise InvalidRequest(f"mv {mv!r} is unknown; use one of {', '.join(sorted(MODEL_VERSIONS))}.", param="mv")
    for name in ("title", "tags", "negative_tags"):
        _text(body, name)
    _flag(body, "make_instrumental")
    if scenario in ("extend", "upload_extend"):
        _number(body, "continue_at")
    clip = check(body)
    return Submission("music", scenario, body, price_of("music", scenario), clip)


def _lyrics(body: dict[str, Any]) -> Submission:
    _text(body, "prompt", required=True, message="prompt_empty: describe the lyrics to write in prompt.")
    return Submission("lyrics", "lyrics", body, price_of("lyrics"))


def _concat(body: dict[str, Any]) -> Submission:
    _flag(body, "is_infill")
    return Submission("concat", "concat", body, price_of("concat"), _clip(body, "clip_id"))


_ACTIONS: dict[str, Callable[[dict[str, Any]], Submission]] = {"music": _music, "lyrics": _lyrics, "concat": _concat}


def parse_submission(action: str, body: Any) -> Submission:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    hook = body.get("notify_hook")
    if hook is not None and (not isinstance(hook, str) or len(hook) > 2048):
        raise InvalidRequest("notify_hook must be a URL string.", param="notify_hook")
    submission = _ACTIONS[action](body)
    forwarded = {k: v for k, v in body.items() if k != "notify_hook"}
    return Submission(
        submission.action, submission.scenario, forwarded, submission.price, submission.clip, hook or None
    )
