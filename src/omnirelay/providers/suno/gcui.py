"""Pure transforms for the gcui-art/suno-api dialect (spec §2B), from and to the clients' 2A terms.

gcui has no tasks: a generate answers its clips at once (``status: "submitted"``), so the
upstream id of a task is its clip ids joined by commas, polled with ``GET /api/get?ids=a,b``;
lyrics come back finished within the submit. A 2A music submit picks the route by its
``task``: generate (inspiration), custom_generate (lyrics or instrumental), extend_audio,
generate_stems. Of the account calls only a clip's timing has a route (``get_aligned_lyrics``,
answering the words alone). Cover, infill, persona songs, infill concat, the upload flow and the
other ``act`` reads have no gcui route: they raise a retryable
:func:`~omnirelay.providers.suno.wire.unsupported`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnirelay.errors import UpstreamError
from omnirelay.families.suno.upstream import SunoAccepted, SunoAccountCall, SunoSubmit
from omnirelay.providers.suno.clips import SunoClip, clip_from_feed, clip_from_info, state_from_clips
from omnirelay.providers.suno.wire import UpstreamRequest, unsupported
from omnirelay.tasks.model import Status, UpstreamState

__all__ = ["account_answer", "account_request", "accepted_from", "fetch_request", "state_from", "submit_request"]

_CUSTOM = ("prompt", "tags", "title", "negative_tags", "make_instrumental")
_EXTEND = ("prompt", "continue_at", "title", "tags", "negative_tags")


def _pick(body: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    picked = {key: body[key] for key in keys if body.get(key) is not None}
    if isinstance(body.get("mv"), str) and body["mv"]:
        picked["model"] = body["mv"]
    return picked


def _music(body: Mapping[str, Any]) -> UpstreamRequest:
    task = body.get("task") or ""
    clip_id = body.get("continue_clip_id")
    if task == "gen_stem":
        return UpstreamRequest("POST", "/api/generate_stems", {"audio_id": clip_id})
    if task == "extend" or (task == "" and clip_id):
        return UpstreamRequest("POST", "/api/extend_audio", {"audio_id": clip_id, **_pick(body, _EXTEND)})
    if task != "":
        raise unsupported("gcui", f"run music task {task!r}")
    if body.get("gpt_description_prompt"):
        inspiration = {"prompt": body["gpt_description_prompt"], **_pick(body, ("make_instrumental",))}
        return UpstreamRequest("POST", "/api/generate", inspiration)
    return UpstreamRequest("POST", "/api/custom_generate", _pick(body, _CUSTOM))


def submit_request(submit: SunoSubmit) -> UpstreamRequest:
    """The gcui route and body for a 2A submit (never ``wait_audio``: the engine polls)."""
    body = submit.body
    if submit.action == "lyrics":
        return UpstreamRequest("POST", "/api/generate_lyrics", {"prompt": body.get("prompt")})
    if submit.action == "concat":
        if body.get("is_infill") is True:
            raise unsupported("gcui", "concatenate an infill")
        return UpstreamRequest("POST", "/api/concat", {"clip_id": body.get("clip_id")})
    return _music(body)


def fetch_request(upstream_id: str) -> UpstreamRequest:
    return UpstreamRequest("GET", "/api/get", query={"ids": upstream_id})


def _accepted(clips: list[SunoClip]) -> SunoAccepted:
    if not clips or not all(clip["id"] for clip in clips):
        raise UpstreamError("the gcui upstream accepted a submit without answering its clips")
    return SunoAccepted(",".join(clip["id"] for clip in clips), state_from_clips(clips))


def _lyrics(answer: Mapping[str, Any]) -> SunoAccepted:
    data = {"id": None, "status": "complete", "title": answer.get("title"), "text": answer.get("text")}
    return SunoAccepted(None, UpstreamState(status=Status.SUCCESS, progress=100, result={"data": data}))


def accepted_from(submit: SunoSubmit, answer: Any) -> SunoAccepted:
    """What a gcui submit answered: clips (music, stems), one raw clip (concat) or finished lyrics."""
    if submit.action == "lyrics" and isinstance(answer, Mapping):
        return _lyrics(answer)
    if submit.action == "concat" and isinstance(answer, Mapping):
        return _accepted([clip_from_feed(answer)])
    if isinstance(answer, list):
        return _accepted([clip_from_info(item) for item in answer if isinstance(item, Mapping)])
    raise UpstreamError("the gcui upstream answered a submit with something that is not its clips")


def state_from(answer: Any) -> UpstreamState | None:
    """A task's state from ``/api/get`` (its clips); None when none of them is known any more."""
    items = answer if isinstance(answer, list) else []
    return state_from_clips([clip_from_info(item) for item in items if isinstance(item, Mapping)])


def account_request(call: SunoAccountCall) -> UpstreamRequest:
    """The gcui route of an account call: only a clip's timing has one."""
    if call.operation == "clip_timing" and call.clip_id:
        return UpstreamRequest("GET", "/api/get_aligned_lyrics", query={"song_id": call.clip_id})
    raise unsupported("gcui", f"relay {call.operation}")


def account_answer(call: SunoAccountCall, answer: Any) -> Any:
    """gcui's answer in the 2A shape: its aligned words become 2A's timing object (no waveform known)."""
    if call.operation != "clip_timing":
        return answer
    if not isinstance(answer, list):
        raise UpstreamError("the gcui upstream answered a clip's timing with something that is not its words")
    words = [word for word in answer if isinstance(word, Mapping)]
    return {"aligned_words": words, "waveform_data": None, "hoot_cer": None, "is_streamed": False}
