"""The fake Midjourney task record, its wire JSON (camelCase, every base key present) and the submit envelope."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "INSTANCE_ID",
    "TERMINAL",
    "Draft",
    "FakeTask",
    "Refusal",
    "envelope",
    "mint_id",
    "now_ms",
    "task_json",
]

INSTANCE_ID = "1118138338562560102"
TERMINAL = frozenset({"SUCCESS", "FAILURE", "CANCEL"})


class Refusal(Exception):
    """A submit the proxy answers with a non-success envelope (HTTP 200 unless ``status`` says otherwise)."""

    def __init__(
        self, code: int, description: str, *, status: int = 200, properties: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status
        self.properties = properties if properties is not None else {}

    def envelope(self) -> dict[str, Any]:
        return envelope(self.code, self.description, None, self.properties)


def envelope(code: int, description: str, result: Any, properties: dict[str, Any]) -> dict[str, Any]:
    """The ``SubmitResultVO`` every submit endpoint answers with."""
    return {"code": code, "description": description, "result": result, "properties": properties}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def mint_id(taken: Container[str]) -> str:
    """A 16-digit task id: epoch milliseconds followed by three random digits."""
    while True:
        candidate = f"{now_ms()}{secrets.randbelow(1000):03d}"
        if candidate not in taken:
            return candidate


@dataclass
class Draft:
    """What a submit asks for, before it becomes a task."""

    id: str
    action: str
    prompt: str | None
    description: str
    state: str | None = None
    notify_hook: str | None = None
    bot_type: str = "MID_JOURNEY"
    prompt_en: str | None = None
    parent_id: str | None = None
    custom_id: str | None = None
    index: int | None = None
    final_prompt: str | None = None
    source_image: str | None = None
    result_text: str | None = None
    mode: str | None = None
    video_clips: int = 0


@dataclass
class FakeTask:
    """One task: its wire JSON (replaced, never mutated, on each change) plus what the fake needs to run it."""

    data: dict[str, Any]
    job_hash: str
    base_url: str
    mode: str | None = None
    notify_hook: str | None = None
    source_image: str | None = None
    result_text: str | None = None
    queued: int = 0
    video_clips: int = 0
    """How many clips a VIDEO task renders (its ``batchSize``)."""
    fail_reason: str | None = None
    runner: asyncio.Task[None] | None = field(default=None, repr=False)
    last_notify: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    @property
    def action(self) -> str:
        return str(self.data["action"])

    @property
    def properties(self) -> dict[str, Any]:
        props: dict[str, Any] = self.data["properties"]
        return props


def task_json(draft: Draft, dialect: str) -> dict[str, Any]:
    """The task as ``/task/{id}/fetch`` shows it right after the submit (status NOT_START)."""
    properties: dict[str, Any] = {"discordInstanceId": INSTANCE_ID}
    if draft.notify_hook:
        properties["notifyHook"] = draft.notify_hook
    if draft.final_prompt is not None:
        properties["finalPrompt"] = draft.final_prompt
    if dialect == "trueai":
        properties |= {"botType": draft.bot_type, "discordChannelId": INSTANCE_ID}
        if draft.custom_id is not None:
            properties["custom_id"] = draft.custom_id
    data: dict[str, Any] = {
        "id": draft.id,
        "action": draft.action,
        "customId": draft.custom_id,
        "botType": draft.bot_type,
        "prompt": draft.prompt,
        "promptEn": draft.prompt_en if draft.prompt_en is not None else draft.prompt,
        "description": draft.description,
        "state": draft.state,
        "submitTime": now_ms(),
        "startTime": None,
        "finishTime": None,
        "imageUrl": None,
        "progress": None,
        "status": "NOT_START",
        "failReason": None,
        "properties": properties,
        "buttons": [],
        "maskBase64": None,
    }
    if dialect == "trueai":
        data |= {"parentId": draft.parent_id, "mode": draft.mode, "videoUrl": None, "videoUrls": None}
    return data
