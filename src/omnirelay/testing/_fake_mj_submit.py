"""The fake Midjourney ``/submit/*`` and ``/insight-face/swap`` endpoints: validation, envelopes, task creation.

Each handler returns the envelope of an accepted submit or raises :class:`Refusal` (codes 3, 4, 9, 23, 24).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from omnirelay.testing._fake_mj_buttons import ActionPlan, plan_action
from omnirelay.testing._fake_mj_content import (
    decode_image,
    describe_text,
    final_prompt,
    numbered_prompts,
    shorten_text,
    upload_name,
)
from omnirelay.testing._fake_mj_engine import TaskEngine
from omnirelay.testing._fake_mj_knobs import FakeMidjourneyKnobs
from omnirelay.testing._fake_mj_task import INSTANCE_ID, Draft, FakeTask, Refusal, envelope

__all__ = ["Call", "Submitter"]

_CHANGEABLE = frozenset({"IMAGINE", "VARIATION", "REROLL", "BLEND"})
_CHANGES = {"u": "UPSCALE", "v": "VARIATION", "r": "REROLL"}
_CONTENT = re.compile(r"(\d+) (?:([uv])([1-4])|(r))", re.IGNORECASE)
_RATIOS = {"PORTRAIT": "2:3", "SQUARE": "1:1", "LANDSCAPE": "3:2"}
_MODE_FLAGS = {"--fast": "FAST", "--relax": "RELAX", "--turbo": "TURBO"}
_NOT_FOUND = "关联任务不存在或已失效"


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it: JSON body (``{}`` when not an object), base URL, speed-mode prefix."""

    body: dict[str, Any]
    base_url: str
    mode: str | None
    path: str
    params: dict[str, str]


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


def task_id_of(value: object) -> str | None:
    """A task id sent as a string or (by sloppy clients) as a JSON number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value else None


def _mode(call: Call, prompt: str | None) -> str | None:
    if call.mode is not None:
        return call.mode
    account_filter = call.body.get("accountFilter")
    modes = account_filter.get("modes") if isinstance(account_filter, dict) else None
    if isinstance(modes, list) and modes and isinstance(modes[0], str):
        return modes[0].upper()
    words = (prompt or "").split()
    return next((mode for flag, mode in _MODE_FLAGS.items() if flag in words), None)


def _bot_type(body: dict[str, Any]) -> str:
    return "NIJI_JOURNEY" if str(body.get("botType") or "").upper() in ("NIJI_JOURNEY", "NIJI") else "MID_JOURNEY"


def _action_description(parent_id: str, custom_id: str, plan: ActionPlan) -> str:
    if plan.index is not None and plan.action in ("UPSCALE", "VARIATION"):
        return f"/up {parent_id} {plan.action[0]}{plan.index}"
    if custom_id.startswith("MJ::JOB::reroll::"):
        return f"/up {parent_id} R"
    return f"/action {parent_id} {custom_id}"


class Submitter:
    def __init__(self, engine: TaskEngine) -> None:
        self.engine = engine

    @property
    def knobs(self) -> FakeMidjourneyKnobs:
        return self.engine.knobs

    def imagine(self, call: Call) -> dict[str, Any]:
        prompt = (_text(call.body, "prompt") or "").strip()
        if not prompt:
            raise Refusal(4, "prompt不能为空")
        images = call.body.get("base64Array")
        values = [
            *(images if isinstance(images, list) else []),
            *([call.body["base64"]] if "base64" in call.body else []),
        ]
        urls = [self._host(data, call.base_url) for data in self._decode_all(values)]
        self._check_banned(prompt)
        full = " ".join([*urls, prompt])
        return self._accept(self._draft(call, "IMAGINE", full, "/imagine " + full), call.base_url)

    def change(self, call: Call) -> dict[str, Any]:
        task_id = task_id_of(call.body.get("taskId"))
        action = call.body.get("action")
        index = call.body.get("index")
        if task_id is None:
            raise Refusal(4, "taskId不能为空")
        if action not in ("UPSCALE", "VARIATION", "REROLL"):
            raise Refusal(4, "action参数错误")
        if action != "REROLL" and (not isinstance(index, int) or isinstance(index, bool) or not 1 <= index <= 4):
            raise Refusal(4, "index参数错误")
        return self._change(call, task_id, action, index if action != "REROLL" else None)

    def simple_change(self, call: Call) -> dict[str, Any]:
        match = _CONTENT.fullmatch(_text(call.body, "content") or "")
        if match is None:
            raise Refusal(4, "content参数错误")
        task_id, letter, number, reroll = match.groups()
        action = _CHANGES[(letter or reroll).lower()]
        return self._change(call, task_id, action, int(number) if number else None)

    def describe(self, call: Call) -> dict[str, Any]:
        data = decode_image(call.body.get("base64"))
        link = _text(call.body, "link") or ""
        if data is None and not (self.knobs.dialect == "trueai" and link.startswith(("http://", "https://"))):
            raise Refusal(4, "base64格式错误")
        draft = self._draft(call, "DESCRIBE", None, "/describe")
        if self.knobs.dialect == "novicezk":
            draft.description = f"/describe {draft.id}.png"
        draft.source_image = link if data is None else self._host(data, call.base_url)
        draft.result_text = describe_text(link.encode() if data is None else data)
        return self._accept(draft, call.base_url)

    def blend(self, call: Call) -> dict[str, Any]:
        images = call.body.get("base64Array")
        if not isinstance(images, list) or not 2 <= len(images) <= 5:
            raise Refusal(4, "base64List参数错误" if self.knobs.dialect == "novicezk" else "图片参数错误，2~5张图片")
        dimensions = call.body.get("dimensions", "SQUARE")
        ratio = _RATIOS.get(dimensions) if isinstance(dimensions, str) else None
        if ratio is None:
            raise Refusal(4, "dimensions参数错误")
        urls = [self._host(data, call.base_url) for data in self._decode_all(images)]
        draft = self._draft(call, "BLEND", " ".join(urls) + f" --ar {ratio}", "/blend")
        draft.description = f"/blend {draft.id} {len(urls)}"
        return self._accept(draft, call.base_url)

    def shorten(self, call: Call) -> dict[str, Any]:
        prompt = (_text(call.body, "prompt") or "").strip()
        if not prompt:
            raise Refusal(4, "prompt不能为空")
        self._check_banned(prompt)
        draft = self._draft(call, "SHORTEN", prompt, f"/shorten {prompt}")
        draft.result_text = shorten_text(prompt)
        return self._accept(draft, call.base_url)

    def action(self, call: Call) -> dict[str, Any]:
        task_id = task_id_of(call.body.get("taskId"))
        custom_id = _text(call.body, "customId")
        if task_id is None or not custom_id:
            raise Refusal(4, "参数错误")
        parent = self._parent(task_id, not_found_status=404)
        plan = plan_action(custom_id, parent.action, self.knobs.remix)
        if plan.bookmark:
            return envelope(1, "提交成功", parent.id, {"discordInstanceId": INSTANCE_ID})
        draft = self._child(call, parent, plan.action, _action_description(parent.id, custom_id, plan))
        draft.custom_id, draft.index = custom_id, plan.index
        if plan.action == "VIDEO":
            draft.video_clips = self.knobs.video_clips
        self._adopt(draft, parent, plan)
        return self._accept(draft, call.base_url, modal=plan.modal)

    def modal(self, call: Call) -> dict[str, Any]:
        task_id = task_id_of(call.body.get("taskId"))
        if task_id is None:
            raise Refusal(4, "参数错误")
        task = self.engine.records.get(task_id)
        if task is None:
            raise Refusal(3, _NOT_FOUND, status=404)
        if task.status != "MODAL":
            raise Refusal(4, "关联任务状态错误")
        prompt = self._modal_prompt(call, task)
        mask = call.body.get("maskBase64")
        if mask is not None and decode_image(mask) is None:
            raise Refusal(4, "base64格式错误")
        if mask is None and str(task.data["customId"]).startswith("MJ::Inpaint::"):
            raise Refusal(4, "maskBase64不能为空")
        self._gate()
        hook = _text(call.body, "notifyHook")
        if hook:
            task.notify_hook = hook
        changes = {"status": "NOT_START", "prompt": prompt, "promptEn": prompt, "maskBase64": mask}
        self.engine.update(task, changes, {"finalPrompt": final_prompt(prompt, task.data["botType"])})
        return self._run(task)

    def upload(self, call: Call) -> dict[str, Any]:
        images = call.body.get("base64Array")
        if not isinstance(images, list) or not images:
            raise Refusal(4, "base64Array不能为空")
        urls = [self._host(data, call.base_url) for data in self._decode_all(images)]
        if self.knobs.no_account:
            raise Refusal(3, "无可用的账号实例")
        return envelope(1, "提交成功", urls, {})

    def swap(self, call: Call) -> dict[str, Any]:
        source, target = self._decode_all([call.body.get("sourceBase64"), call.body.get("targetBase64")])
        if source == target:
            raise Refusal(4, "源图片与目标图片不能相同")
        draft = self._draft(call, "SWAP_FACE", None, "/insight-face swap")
        draft.bot_type = "INSIGHT_FACE"
        draft.source_image = self._host(target, call.base_url)
        return self._accept(draft, call.base_url)

    def edits(self, call: Call) -> dict[str, Any]:
        """``/submit/edit`` and ``/submit/edits`` (trueai): redraw ``image`` following ``prompt``."""
        return self._edit(call, "EDIT")

    def retexture(self, call: Call) -> dict[str, Any]:
        return self._edit(call, "RETEXTURE")

    def video(self, call: Call) -> dict[str, Any]:
        """``/submit/video``: clips from a first frame, or ``action: "extend"`` of a finished VIDEO task."""
        prompt = (_text(call.body, "prompt") or "").strip()
        if not prompt:
            raise Refusal(4, "Prompt 不能为空")
        clips = call.body.get("batchSize", self.knobs.video_clips)
        if not isinstance(clips, int) or isinstance(clips, bool) or not 1 <= clips <= 4:
            raise Refusal(4, "batchSize参数错误")
        task_id = task_id_of(call.body.get("taskId"))
        if task_id is None:
            source = self._image_source(call.body.get("image"), call.base_url)
            draft = self._draft(call, "VIDEO", prompt, f"/video {prompt}")
            draft.source_image = source
        else:
            draft = self._extend(call, task_id, prompt)
        draft.video_clips = clips
        return self._accept(draft, call.base_url)

    def _extend(self, call: Call, task_id: str, prompt: str) -> Draft:
        index = call.body.get("index")
        if call.body.get("action") != "extend":
            raise Refusal(4, "任务类型错误")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= 3:
            raise Refusal(4, "index参数错误")
        parent = self._parent(task_id, not_found_status=404)
        draft = self._child(call, parent, "VIDEO", f"/video {prompt}")
        draft.prompt = draft.prompt_en = prompt
        draft.index = index
        return draft

    def _edit(self, call: Call, action: str) -> dict[str, Any]:
        prompt = (_text(call.body, "prompt") or "").strip()
        if not prompt or not (_text(call.body, "image") or "").strip():
            raise Refusal(4, "image或prompt不能为空")
        source = self._image_source(call.body.get("image"), call.base_url)
        self._check_banned(prompt)
        draft = self._draft(call, action, prompt, f"/{action.lower()} {prompt}")
        draft.source_image = source
        return self._accept(draft, call.base_url)

    def _image_source(self, value: object, base_url: str) -> str:
        """An image given as a link (kept) or as base64 (re-hosted); 4 ``base64格式错误`` otherwise."""
        if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
            return value.strip()
        data = decode_image(value)
        if data is None:
            raise Refusal(4, "base64格式错误")
        return self._host(data, base_url)

    def _draft(self, call: Call, action: str, prompt: str | None, description: str) -> Draft:
        return Draft(
            id=self.engine.new_id(),
            action=action,
            prompt=prompt,
            description=description,
            state=_text(call.body, "state"),
            notify_hook=_text(call.body, "notifyHook"),
            bot_type=_bot_type(call.body),
            mode=_mode(call, prompt),
        )

    def _child(self, call: Call, parent: FakeTask, action: str, description: str) -> Draft:
        draft = self._draft(call, action, parent.data["prompt"], description)
        draft.prompt_en = parent.data["promptEn"]
        draft.final_prompt = parent.properties.get("finalPrompt")
        draft.parent_id = parent.id
        draft.bot_type = parent.data["botType"]
        draft.mode = call.mode or parent.mode
        return draft

    def _adopt(self, draft: Draft, parent: FakeTask, plan: ActionPlan) -> None:
        """Fit a button's child to its parent: describe again, or imagine one of the parent's prompts."""
        if plan.action == "DESCRIBE":
            draft.prompt = draft.prompt_en = draft.final_prompt = None
            draft.source_image = parent.source_image
            draft.result_text = describe_text(draft.id.encode())
            return
        choices = numbered_prompts(parent.result_text)
        if plan.pick is not None and choices:
            picked = choices[min(plan.pick, len(choices)) - 1]
            draft.prompt = draft.prompt_en = draft.final_prompt = picked

    def _modal_prompt(self, call: Call, task: FakeTask) -> str:
        prompt = (_text(call.body, "prompt") or "").strip()
        if not prompt and self.knobs.dialect == "trueai":
            prompt = task.properties.get("finalPrompt") or task.data["prompt"] or ""
        if not prompt:
            raise Refusal(4, "prompt不能为空")
        self._check_banned(prompt)
        return prompt

    def _change(self, call: Call, task_id: str, action: str, index: int | None) -> dict[str, Any]:
        parent = self._parent(task_id, not_found_status=200)
        if parent.action not in _CHANGEABLE:
            raise Refusal(4, "关联任务不允许执行变化")
        label = "R" if index is None else f"{action[0]}{index}"
        draft = self._child(call, parent, action, f"/up {task_id} {label}")
        draft.index = index
        return self._accept(draft, call.base_url)

    def _parent(self, task_id: str, *, not_found_status: int) -> FakeTask:
        parent = self.engine.records.get(task_id)
        if parent is None:
            raise Refusal(3, _NOT_FOUND, status=not_found_status)
        if parent.status != "SUCCESS":
            raise Refusal(4, "关联任务状态错误")
        return parent

    def _accept(self, draft: Draft, base_url: str, *, modal: bool = False) -> dict[str, Any]:
        self._gate()
        task = self.engine.create(draft, base_url)
        if not modal:
            return self._run(task)
        final = task.properties.get("finalPrompt") or task.data["prompt"]
        self.engine.update(task, {"status": "MODAL"}, {"finalPrompt": final, "remix": True})
        return envelope(21, "Waiting for window confirm", task.id, {"finalPrompt": final, "remix": True})

    def _run(self, task: FakeTask) -> dict[str, Any]:
        depth = max(0, self.knobs.queue_depth)
        self.engine.start(task, depth)
        properties: dict[str, Any] = {"discordInstanceId": INSTANCE_ID}
        if self.knobs.dialect == "trueai":
            properties["discordChannelId"] = INSTANCE_ID
        if depth:
            properties["numberOfQueues"] = depth
            return envelope(22, f"排队中，前面还有{depth}个任务", task.id, properties)
        return envelope(1, "提交成功", task.id, properties)

    def _gate(self) -> None:
        if self.knobs.no_account:
            raise Refusal(3, "无可用的账号实例")
        if not self.knobs.queue_full:
            return
        properties = {"discordInstanceId": INSTANCE_ID}
        if self.knobs.dialect == "trueai":
            raise Refusal(9, "提交失败，队列已满，请稍后重试", properties=properties)
        raise Refusal(23, "队列已满，请稍后尝试", properties=properties)

    def _check_banned(self, prompt: str) -> None:
        lowered = prompt.lower()
        for word in self.knobs.banned_words:
            if word and word.lower() in lowered:
                raise Refusal(24, "可能包含敏感词", properties={"promptEn": prompt, "bannedWord": word})

    def _decode_all(self, values: list[Any]) -> list[bytes]:
        decoded = [decode_image(value) for value in values]
        images = [data for data in decoded if data is not None]
        if len(images) != len(decoded):
            raise Refusal(4, "base64格式错误")
        return images

    def _host(self, data: bytes, base_url: str) -> str:
        return f"{base_url}attachments/{upload_name(data)}"
