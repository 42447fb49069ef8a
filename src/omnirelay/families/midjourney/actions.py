"""Actions, their billing model names, and the ``customId`` grammar of Midjourney buttons."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.errors import InvalidRequest

__all__ = ["ButtonAction", "model_for", "parse_custom_id", "parse_simple_change"]

_MODELS = {"SWAP_FACE": "swap_face", "UPLOAD": "mj_upload"}


def model_for(action: str) -> str:
    """The price/model name of an action: ``mj_imagine``, ``mj_upscale``, ... (``swap_face``)."""
    return _MODELS.get(action, "mj_" + action.lower())


@dataclass(frozen=True, slots=True)
class ButtonAction:
    action: str
    """The task action stored and returned (IMAGINE, UPSCALE, VARIATION, ...)."""
    billing: str
    """The action whose model is charged (e.g. LOW_VARIATION, or INPAINT which is charged at /modal)."""
    index: int | None = None
    modal: bool = False
    """Always needs a /modal confirmation (Vary Region, Custom Zoom)."""
    creates_task: bool = True


def _index(parts: list[str], at: int) -> int | None:
    value = parts[at] if len(parts) > at else ""
    return int(value) if value in ("1", "2", "3", "4") else None


def _job_action(op: str, parts: list[str], parent_action: str) -> ButtonAction | None:
    if op == "upsample":
        return ButtonAction("UPSCALE", "UPSCALE", _index(parts, 3))
    if op.startswith("upsample_") or op == "video_virtual_upscale":
        return ButtonAction("UPSCALE", "UPSCALE")
    if op == "variation":
        return ButtonAction("VARIATION", "VARIATION", _index(parts, 3))
    if op in ("low_variation", "high_variation"):
        return ButtonAction("VARIATION", op.upper())
    if op == "reroll":
        return _reroll(parent_action)
    if op.startswith("pan_"):
        return ButtonAction("PAN", "PAN")
    if op.startswith("animate_"):
        return ButtonAction("VIDEO", "VIDEO")
    return None


def _reroll(parent_action: str) -> ButtonAction:
    if parent_action in ("IMAGINE", "VARIATION", "REROLL", "BLEND", "UPSCALE"):
        return ButtonAction("IMAGINE" if parent_action == "UPSCALE" else parent_action, "REROLL")
    raise InvalidRequest(f"A {parent_action} task cannot be re-rolled.", param="customId")


def parse_custom_id(custom_id: str, parent_action: str) -> ButtonAction:
    """What clicking ``custom_id`` on a task of ``parent_action`` does; 400 (code 4) when unknown."""
    parts = custom_id.split("::")
    found: ButtonAction | None = None
    if len(parts) >= 3 and parts[0] == "MJ":
        kind = parts[1]
        if kind == "JOB":
            found = _job_action(parts[2], parts, parent_action)
        elif kind == "Outpaint":
            found = ButtonAction("ZOOM", "ZOOM")
        elif kind == "CustomZoom":
            found = ButtonAction("ZOOM", "CUSTOM_ZOOM", modal=True)
        elif kind == "Inpaint":
            found = ButtonAction("VARIATION", "INPAINT", modal=True)
        elif kind == "Job" and parts[2] in ("PicReader", "PromptAnalyzer"):
            found = ButtonAction("IMAGINE", "IMAGINE")
        elif kind == "Picread" and parts[2] == "Retry":
            found = ButtonAction("DESCRIBE", "DESCRIBE")
        elif kind == "BOOKMARK":
            found = ButtonAction("BOOKMARK", "BOOKMARK", creates_task=False)
    if found is None:
        raise InvalidRequest(f"Unknown customId {custom_id!r}: it is not a Midjourney button.", param="customId")
    return found


_SIMPLE = {"U": "UPSCALE", "V": "VARIATION", "R": "REROLL"}


def parse_simple_change(content: str) -> tuple[str, str, int | None]:
    """``"<taskId> U1"`` -> (task id, action, index)."""
    task_id, sep, op = content.strip().partition(" ")
    op = op.strip().upper()
    if sep and task_id and op[:1] in _SIMPLE:
        action, digits = _SIMPLE[op[0]], op[1:]
        if action == "REROLL" and not digits:
            return task_id, action, None
        if action != "REROLL" and digits in ("1", "2", "3", "4"):
            return task_id, action, int(digits)
    raise InvalidRequest(
        "content must look like '<taskId> U1' (U1-U4, V1-V4 or R), with exactly one space.", param="content"
    )
