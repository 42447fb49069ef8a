"""Each submit endpoint's body, checked and turned into one neutral :class:`Submission`.

Anything wrong is an :class:`~omnirelay.errors.InvalidRequest` (code 4 in the envelope),
raised before any money is held or anything is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from omnirelay.errors import InvalidRequest
from omnirelay.families.midjourney.actions import parse_simple_change
from omnirelay.families.midjourney.images import decode_image, decode_images, image_or_link

__all__ = ["ENDPOINTS", "Submission", "parse_submission"]


@dataclass(slots=True)
class Submission:
    endpoint: str
    action: str
    """The task's action; for ``action`` submissions it is decided by the parent's button."""
    body: dict[str, Any]
    """What the upstream receives (the client's fields, minus ours)."""
    description: str = ""
    prompt: str | None = None
    parent_id: str | None = None
    index: int | None = None
    custom_id: str | None = None
    images: list[tuple[bytes, str]] = field(default_factory=list)
    creates_task: bool = True
    links: list[tuple[str, str]] = field(default_factory=list)
    """(field, http(s) URL) of images given as links, checked for SSRF before anything is sent."""
    billing: str | None = None
    """The action whose price is charged, when it is not ``action`` (EDIT is charged as ``mj_edits``)."""


def _text(body: dict[str, Any], name: str, *, required: bool, limit: int = 8192) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidRequest(f"{name} must not be empty.", param=name)
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string.", param=name)
    if len(value) > limit:
        raise InvalidRequest(f"{name} is longer than {limit} characters.", param=name)
    return value.strip()


def _task_id(body: dict[str, Any], name: str = "taskId") -> str:
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{name} must be the id of one of your tasks.", param=name)
    return value.strip()


def _imagine(body: dict[str, Any], limit: int) -> Submission:
    prompt = _text(body, "prompt", required=True)
    images = decode_images(body.get("base64Array"), "base64Array", limit)
    if body.get("base64"):
        images.append(decode_image(body["base64"], "base64", limit))
    return Submission("imagine", "IMAGINE", body, f"/imagine {prompt}", prompt, images=images)


def _change(body: dict[str, Any], limit: int) -> Submission:
    action = body.get("action")
    if action not in ("UPSCALE", "VARIATION", "REROLL"):
        raise InvalidRequest("action must be UPSCALE, VARIATION or REROLL.", param="action")
    index = body.get("index")
    if action != "REROLL" and (not isinstance(index, int) or not 1 <= index <= 4):
        raise InvalidRequest("index must be 1 to 4 for UPSCALE and VARIATION.", param="index")
    parent = _task_id(body)
    label = "R" if action == "REROLL" else f"{action[0]}{index}"
    return Submission("change", action, body, f"/up {parent} {label}", parent_id=parent, index=index)


def _simple_change(body: dict[str, Any], limit: int) -> Submission:
    content = _text(body, "content", required=True) or ""
    parent, action, index = parse_simple_change(content)
    mapped = {**body, "taskId": parent, "action": action, "index": index}
    mapped.pop("content", None)
    label = "R" if action == "REROLL" else f"{action[0]}{index}"
    return Submission("simple-change", action, mapped, f"/up {parent} {label}", parent_id=parent, index=index)


def _describe(body: dict[str, Any], limit: int) -> Submission:
    image = decode_image(body.get("base64"), "base64", limit)
    return Submission("describe", "DESCRIBE", body, "/describe", images=[image])


def _blend(body: dict[str, Any], limit: int) -> Submission:
    images = decode_images(body.get("base64Array"), "base64Array", limit, least=2, most=5)
    dimensions = body.get("dimensions") or "SQUARE"
    if dimensions not in ("PORTRAIT", "SQUARE", "LANDSCAPE"):
        raise InvalidRequest("dimensions must be PORTRAIT, SQUARE or LANDSCAPE.", param="dimensions")
    return Submission("blend", "BLEND", {**body, "dimensions": dimensions}, f"/blend {len(images)}", images=images)


def _shorten(body: dict[str, Any], limit: int) -> Submission:
    prompt = _text(body, "prompt", required=True)
    return Submission("shorten", "SHORTEN", body, f"/shorten {prompt}", prompt)


def _action(body: dict[str, Any], limit: int) -> Submission:
    custom_id = _text(body, "customId", required=True, limit=512)
    return Submission("action", "ACTION", body, "", parent_id=_task_id(body), custom_id=custom_id)


def _modal(body: dict[str, Any], limit: int) -> Submission:
    prompt = _text(body, "prompt", required=False)
    if body.get("maskBase64"):
        decode_image(body["maskBase64"], "maskBase64", limit)
    return Submission("modal", "MODAL", body, "", prompt, parent_id=_task_id(body))


def _upload(body: dict[str, Any], limit: int) -> Submission:
    images = decode_images(body.get("base64Array"), "base64Array", limit, least=1, most=10)
    return Submission("upload-discord-images", "UPLOAD", body, "", images=images, creates_task=False)


def _swap(body: dict[str, Any], limit: int) -> Submission:
    source = decode_image(body.get("sourceBase64"), "sourceBase64", limit)
    target = decode_image(body.get("targetBase64"), "targetBase64", limit)
    if source[0] == target[0]:
        raise InvalidRequest("sourceBase64 and targetBase64 must be different images.", param="targetBase64")
    return Submission("swap", "SWAP_FACE", body, "/swap_face", images=[source, target])


def _links(
    body: dict[str, Any], limit: int, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """Image fields given as base64 (checked now) or as http(s) links (returned, checked before sending)."""
    links = []
    for name in (*required, *(n for n in optional if body.get(n) is not None)):
        link = image_or_link(body.get(name), name, limit)
        if link is not None:
            links.append((name, link))
    return links


def _edit(endpoint: str, action: str, billing: str) -> Callable[[dict[str, Any], int], Submission]:
    """``edits`` and ``retexture`` (trueai): ``{prompt, image}``, the image as base64 or a link."""

    def parse(body: dict[str, Any], limit: int) -> Submission:
        prompt = _text(body, "prompt", required=True)
        links = _links(body, limit, ("image",))
        description = f"/{action.lower()} {prompt}"
        return Submission(endpoint, action, body, description, prompt, links=links, billing=billing)

    return parse


_MOTIONS = ("low", "high")
_VIDEO_TYPES = ("vid_1.1_i2v_480", "vid_1.1_i2v_720")


def _choice(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    value = body.get(name)
    if value is not None and value not in allowed:
        raise InvalidRequest(f"{name} must be one of {', '.join(allowed)}.", param=name)


def _small_int(body: dict[str, Any], name: str, least: int, most: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise InvalidRequest(f"{name} must be a whole number from {least} to {most}.", param=name)
    return value


def _video(body: dict[str, Any], limit: int) -> Submission:
    """``/submit/video``: from a first frame (``image``), or ``action: "extend"`` of one of a VIDEO task's clips."""
    prompt = _text(body, "prompt", required=True)
    _choice(body, "motion", _MOTIONS)
    _choice(body, "videoType", _VIDEO_TYPES)
    _small_int(body, "batchSize", 1, 4)
    if body.get("loop") is not None and not isinstance(body.get("loop"), bool):
        raise InvalidRequest("loop must be true or false.", param="loop")
    action = body.get("action")
    if action is None and body.get("taskId") is None:
        links = _links(body, limit, ("image",), ("endImage",))
        return Submission("video", "VIDEO", body, f"/video {prompt}", prompt, links=links)
    if action != "extend":
        raise InvalidRequest('action must be "extend" (with taskId and index) or left out.', param="action")
    index = _small_int(body, "index", 0, 3)
    if index is None:
        raise InvalidRequest("index (0 to 3: which clip of the task) is required to extend a video.", param="index")
    links = _links(body, limit, (), ("image", "endImage"))
    description = f"/video {prompt}"
    return Submission("video", "VIDEO", body, description, prompt, parent_id=_task_id(body), index=index, links=links)


ENDPOINTS: dict[str, Callable[[dict[str, Any], int], Submission]] = {
    "imagine": _imagine,
    "change": _change,
    "simple-change": _simple_change,
    "describe": _describe,
    "blend": _blend,
    "shorten": _shorten,
    "action": _action,
    "modal": _modal,
    "upload-discord-images": _upload,
    "swap": _swap,
    "edits": _edit("edits", "EDIT", "EDITS"),
    "edit": _edit("edits", "EDIT", "EDITS"),  # trueai's alias, sent upstream as edits (new-api knows only that)
    "retexture": _edit("retexture", "RETEXTURE", "RETEXTURE"),
    "video": _video,
}


def parse_submission(endpoint: str, body: Any, image_limit: int) -> Submission:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    submission = ENDPOINTS[endpoint](body, image_limit)
    state = body.get("state")
    if state is not None and (not isinstance(state, str) or len(state) > 255):
        raise InvalidRequest("state must be a string of at most 255 characters.", param="state")
    hook = body.get("notifyHook")
    if hook is not None and not isinstance(hook, str):
        raise InvalidRequest("notifyHook must be a URL string.", param="notifyHook")
    return submission
