"""Buttons a finished fake Midjourney task offers, and what ``/submit/action`` makes of a button's customId."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from omnirelay.testing._fake_mj_task import Refusal

__all__ = ["ActionPlan", "plan_action", "success_buttons"]

GRID_ACTIONS = frozenset({"IMAGINE", "VARIATION", "REROLL", "BLEND", "ZOOM", "PAN", "EDIT", "RETEXTURE"})
SINGLE_ACTIONS = frozenset({"UPSCALE", "UPSCALE_HD"})
_REROLLABLE = {
    "IMAGINE": "IMAGINE",
    "VARIATION": "VARIATION",
    "BLEND": "BLEND",
    "ZOOM": "ZOOM",
    "PAN": "PAN",
    "UPSCALE": "IMAGINE",
    "UPSCALE_HD": "IMAGINE",
}
_PANS = (("left", "⬅️"), ("right", "➡️"), ("up", "⬆️"), ("down", "⬇️"))

Modal = Literal["never", "remix", "always"]
# customId prefix -> (action, when the click opens a modal instead of running)
_PREFIXES: tuple[tuple[str, str, Modal], ...] = (
    ("MJ::JOB::upsample::", "UPSCALE", "never"),
    ("MJ::JOB::upsample_", "UPSCALE_HD", "never"),
    ("MJ::JOB::variation::", "VARIATION", "remix"),
    ("MJ::JOB::low_variation::", "VARIATION", "remix"),
    ("MJ::JOB::high_variation::", "VARIATION", "remix"),
    ("MJ::JOB::pan_", "PAN", "remix"),
    ("MJ::Outpaint::", "ZOOM", "never"),
    ("MJ::CustomZoom::", "ZOOM", "always"),
    ("MJ::Inpaint::", "VARIATION", "always"),
    ("MJ::JOB::animate_", "VIDEO", "remix"),
    ("MJ::JOB::video_virtual_upscale::", "UPSCALE", "never"),
    ("MJ::Job::PicReader::", "IMAGINE", "always"),
    ("MJ::Job::PromptAnalyzer::", "IMAGINE", "always"),
    ("MJ::Picread::Retry", "DESCRIBE", "never"),
)


def _button(custom_id: str, label: str = "", emoji: str = "") -> dict[str, Any]:
    return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": 2}


def _grid(job_hash: str) -> list[dict[str, Any]]:
    ups = [_button(f"MJ::JOB::upsample::{n}::{job_hash}", f"U{n}") for n in range(1, 5)]
    reroll = _button(f"MJ::JOB::reroll::0::{job_hash}::SOLO", emoji="🔄")
    variations = [_button(f"MJ::JOB::variation::{n}::{job_hash}", f"V{n}") for n in range(1, 5)]
    return [*ups, reroll, *variations]


def _single(h: str) -> list[dict[str, Any]]:
    return [
        _button(f"MJ::JOB::upsample_v7_2x_subtle::1::{h}::SOLO", "Upscale (Subtle)", "upscale_1"),
        _button(f"MJ::JOB::upsample_v7_2x_creative::1::{h}::SOLO", "Upscale (Creative)", "upscale_1"),
        _button(f"MJ::JOB::low_variation::1::{h}::SOLO", "Vary (Subtle)", "🪄"),
        _button(f"MJ::JOB::high_variation::1::{h}::SOLO", "Vary (Strong)", "🪄"),
        _button(f"MJ::Inpaint::1::{h}::SOLO", "Vary (Region)", "🖌️"),
        _button(f"MJ::Outpaint::50::1::{h}::SOLO", "Zoom Out 2x", "🔍"),
        _button(f"MJ::Outpaint::75::1::{h}::SOLO", "Zoom Out 1.5x", "🔍"),
        _button(f"MJ::CustomZoom::{h}", "Custom Zoom", "🔍"),
        *[_button(f"MJ::JOB::pan_{side}::1::{h}::SOLO", emoji=arrow) for side, arrow in _PANS],
        _button(f"MJ::JOB::animate_high::1::{h}::SOLO", "Animate (High motion)", "🎞️"),
        _button(f"MJ::JOB::animate_low::1::{h}::SOLO", "Animate (Low motion)", "🎞️"),
        _button(f"MJ::BOOKMARK::{h}", emoji="❤️"),
    ]


def _video(h: str) -> list[dict[str, Any]]:
    """A finished video: upscale one clip, or extend it (trueai's video buttons)."""
    return [
        *[_button(f"MJ::JOB::video_virtual_upscale::{n}::{h}", f"U{n}") for n in range(1, 5)],
        _button(f"MJ::JOB::animate_high_extend::1::{h}", "Extend (High motion)", "🎞️"),
        _button(f"MJ::JOB::animate_low_extend::1::{h}", "Extend (Low motion)", "🎞️"),
    ]


def success_buttons(action: str, job_hash: str) -> list[dict[str, Any]]:
    """The buttons under a finished task's message."""
    if action in GRID_ACTIONS:
        return _grid(job_hash)
    if action in SINGLE_ACTIONS:
        return _single(job_hash)
    if action == "VIDEO":
        return _video(job_hash)
    if action == "DESCRIBE":
        return [
            *[_button(f"MJ::Job::PicReader::{n}", str(n)) for n in range(1, 5)],
            _button("MJ::Picread::Retry", emoji="🔄"),
        ]
    if action == "SHORTEN":
        return [_button(f"MJ::Job::PromptAnalyzer::{n}::{job_hash}", str(n)) for n in range(1, 6)]
    return []


@dataclass(frozen=True)
class ActionPlan:
    """The task a button click creates (none when ``bookmark``)."""

    action: str
    index: int | None = None
    modal: bool = False
    bookmark: bool = False
    pick: int | None = None


def _number(parts: list[str], at: int) -> int | None:
    return int(parts[at]) if len(parts) > at and parts[at].isdigit() else None


def plan_action(custom_id: str, parent_action: str, remix: bool) -> ActionPlan:
    """Map a clicked customId to the new task's action, per the trueai ``SubmitController.Action`` table."""
    parts = custom_id.split("::")
    if custom_id.startswith("MJ::BOOKMARK::"):
        return ActionPlan(parent_action, bookmark=True)
    if custom_id.startswith("MJ::JOB::reroll::0::"):
        if parent_action not in _REROLLABLE:
            raise Refusal(4, "该任务不支持重新生成")
        return ActionPlan(_REROLLABLE[parent_action], modal=remix)
    for prefix, action, modal in _PREFIXES:
        if custom_id.startswith(prefix):
            indexed = prefix in ("MJ::JOB::upsample::", "MJ::JOB::variation::")
            picks = prefix in ("MJ::Job::PicReader::", "MJ::Job::PromptAnalyzer::")
            return ActionPlan(
                action,
                index=_number(parts, 3) if indexed else None,
                modal=modal == "always" or (modal == "remix" and remix),
                pick=(_number(parts, 3) or 1) if picks else None,
            )
    raise Refusal(4, "未知的 Action 类型")
