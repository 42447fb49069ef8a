"""An account's tasks of every family, as the console and ``/api/v1/tasks`` show them.

Listed from the engine's store, newest first, with a cursor (``{submit_time}_{id}`` of the last
task of the previous page) that new tasks never shift. Each task carries its family's own view
(what its fetch endpoint answers: links are the gateway's signed ones) and, taken from it, the
media to show (images, audio, video, other files) and Midjourney's buttons. A button is pressed
through the same service as ``POST /mj/submit/action``, with the key that made the task.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from omnirelay.db.engine import now_ms
from omnirelay.db.tables import tasks
from omnirelay.errors import AuthenticationFailed, InvalidRequest, NotFound
from omnirelay.families.midjourney.api.context import services
from omnirelay.families.midjourney.service import SubmitContext
from omnirelay.families.midjourney.wire import MidjourneyFamily
from omnirelay.relay.auth import Caller
from omnirelay.runtime import Runtime
from omnirelay.tasks.model import TERMINAL, TaskRecord

__all__ = ["MAX_PAGE", "account_task", "account_tasks", "media_of", "parse_cursor", "press_button", "task_view"]

MAX_PAGE = 100
_KINDS = (
    ("audio", (".mp3", ".wav", ".m4a", ".ogg")),
    ("video", (".mp4", ".webm", ".mov")),
    ("image", (".png", ".jpg", ".jpeg", ".webp", ".gif")),
)
_SKIPPED_WORDS = ("hook", "callback", "notify")
_SKIPPED_KEYS = frozenset({"urls", "input", "request"})
"""Not the task's files: hooks, Replicate's API links (``urls``), the client's own inputs."""
_PATH_HINTS = (
    ("/video", "video"),
    ("/audio", "audio"),
    ("/image", "image"),
    ("thumbnail", "image"),
    ("last_frame", "image"),
)


def parse_cursor(text: str | None) -> tuple[int, str] | None:
    if not text:
        return None
    at, _, task_id = text.partition("_")
    if not (at.isascii() and at.isdigit() and len(at) <= 18) or not task_id or len(task_id) > 40:
        raise InvalidRequest("before must be the next_before of a previous page.", param="before")
    return int(at), task_id


def _urls(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every ``http(s)`` string in a family's view with the key it sits under (hooks left out)."""
    name = key.lower()
    if name in _SKIPPED_KEYS or any(word in name for word in _SKIPPED_WORDS):
        return
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        yield key.lower(), value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _urls(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _urls(item, key)


def _kind(key: str, url: str) -> str:
    path = url.split("?", 1)[0].lower()
    for kind, endings in _KINDS:
        if kind in key or path.endswith(endings):
            return kind
    return next((kind for hint, kind in _PATH_HINTS if hint in path), "file")


def media_of(view: dict[str, Any]) -> list[dict[str, str]]:
    """The files a family's view links to, each once, with its kind (image, audio, video, file)."""
    seen: dict[str, str] = {}
    for key, url in _urls(view):
        seen.setdefault(url, _kind(key, url))
    return [{"kind": kind, "url": url} for url, kind in seen.items()]


def task_view(runtime: Runtime, record: TaskRecord) -> dict[str, Any]:
    view = dict(runtime.tasks.engine.render(record))
    buttons = view.get("buttons") if record.family == MidjourneyFamily.name else None
    return {
        "id": record.id,
        "family": record.family,
        "action": record.action,
        "model": record.model,
        "status": record.status,
        "progress": record.progress,
        "finished": record.status in TERMINAL,
        "cost": record.cost,
        "fail_reason": record.fail_reason,
        "submit_time": record.submit_time,
        "finish_time": record.finish_time,
        "media": media_of(view),
        "buttons": [b for b in buttons if isinstance(b, dict) and b.get("customId")]
        if isinstance(buttons, list)
        else [],
        "view": view,
    }


async def account_tasks(
    runtime: Runtime, account_id: int, *, before: tuple[int, str] | None, limit: int, family: str | None = None
) -> dict[str, Any]:
    """A page of the account's tasks and the cursor of the next one (None at the end)."""
    stmt = sa.select(tasks).where(tasks.c.account_id == account_id)
    if family:
        stmt = stmt.where(tasks.c.family == family)
    if before is not None:
        at, last = before
        stmt = stmt.where(sa.or_(tasks.c.submit_time < at, sa.and_(tasks.c.submit_time == at, tasks.c.id < last)))
    stmt = stmt.order_by(tasks.c.submit_time.desc(), tasks.c.id.desc()).limit(limit + 1)
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(stmt)).mappings().all()
    records = [TaskRecord.from_row(r) for r in rows[:limit]]
    last_one = records[-1] if len(rows) > limit else None
    return {
        "data": [task_view(runtime, r) for r in records],
        "next_before": f"{last_one.submit_time}_{last_one.id}" if last_one else None,
    }


async def account_task(runtime: Runtime, account_id: int, task_id: str) -> TaskRecord:
    record = await runtime.tasks.engine.read(task_id) if len(task_id) <= 40 else None
    if record is None or record.account_id != account_id:
        raise NotFound(f"No task {task_id} of yours exists.", code="task_not_found")
    return record


def _caller_for(runtime: Runtime, record: TaskRecord) -> Caller:
    """The key that made the task, or else another usable key of the account."""
    snapshot, now = runtime.catalog.snapshot, now_ms()
    usable = [
        k
        for k in snapshot.keys_by_hash.values()
        if k.account_id == record.account_id and k.enabled and (k.expires_at is None or k.expires_at > now)
    ]
    usable.sort(key=lambda k: (k.id != record.key_id, k.id))
    if not usable:
        raise AuthenticationFailed("Your account has no usable API key to submit this with.", code="no_usable_key")
    return Caller(usable[0], snapshot.account_groups.get(record.account_id, "default"))


async def press_button(
    runtime: Runtime, account_id: int, task_id: str, custom_id: str, base_url: str
) -> dict[str, Any]:
    """Midjourney's button ``custom_id`` on the task: the new task's id (``/mj/submit/action``'s service)."""
    record = await account_task(runtime, account_id, task_id)
    if record.family != MidjourneyFamily.name:
        raise InvalidRequest("Only Midjourney tasks have buttons.", param="task_id")
    mj = services(runtime)
    ctx = SubmitContext(_caller_for(runtime, record), None, base_url)
    answer = await mj.submissions.submit("action", {"taskId": task_id, "customId": custom_id}, ctx)
    if answer.get("code") not in (1, 21, 22):
        raise InvalidRequest(str(answer.get("description") or "The action was refused."), param="custom_id")
    return {"task_id": answer.get("result"), "code": answer.get("code"), "description": answer.get("description")}
