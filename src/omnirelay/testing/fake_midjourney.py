"""A faithful fake of the Midjourney-Proxy task API (novicezk and trueai dialects), with knobs for relay tests.

Tasks really run: NOT_START -> SUBMITTED -> IN_PROGRESS (previews) -> SUCCESS with buttons, on the server's
loop, every ``knobs.step_s``; images are PNGs and videos a tiny real MP4, served by the fake itself under
``/attachments/``::

    fake = FakeMidjourney(FakeMidjourneyKnobs(step_s=0.01, api_secret="s3cret"))
    with serve_in_thread(fake.app) as url:
        ...  # POST url + "/mj/submit/imagine", poll url + "/mj/task/{id}/fetch";
        ...  # flip fake.knobs.hold / queue_full / fail_next between calls, read fake.tasks and fake.requests
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime
import http
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing._fake_mj_content import render_png, seed_of
from omnirelay.testing._fake_mj_engine import TaskEngine
from omnirelay.testing._fake_mj_knobs import FakeMidjourneyKnobs
from omnirelay.testing._fake_mj_submit import Call, Submitter, task_id_of
from omnirelay.testing._fake_mj_task import TERMINAL, FakeTask, Refusal
from omnirelay.testing._fake_mj_video import TINY_MP4

__all__ = ["FakeMidjourney", "FakeMidjourneyKnobs", "RecordedCall", "run_fake_midjourney"]

_MODES: dict[str, str | None] = {"": None, "/mj-fast": "FAST", "/mj-relax": "RELAX", "/mj-turbo": "TURBO"}

Handler = Callable[[Call], Awaitable[Response]]
SubmitHandler = Callable[[Call], dict[str, Any]]


@dataclass
class RecordedCall:
    """One request the fake received; times are ``time.monotonic()`` (``answered_at`` is None while in flight)."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    received_at: float
    answered_at: float | None = None


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _spring_error(status: int, path: str) -> dict[str, Any]:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
    return {"timestamp": stamp, "status": status, "error": phrase, "path": path}


class FakeMidjourney:
    def __init__(self, knobs: FakeMidjourneyKnobs | None = None) -> None:
        self.engine = TaskEngine(knobs or FakeMidjourneyKnobs())
        self.requests: list[RecordedCall] = []
        self._submitter = Submitter(self.engine)
        self.app = Starlette(routes=self._routes(), lifespan=self._lifespan)

    @property
    def knobs(self) -> FakeMidjourneyKnobs:
        return self.engine.knobs

    @knobs.setter
    def knobs(self, knobs: FakeMidjourneyKnobs) -> None:
        self.engine.knobs = knobs

    @property
    def tasks(self) -> dict[str, dict[str, Any]]:
        """Every task as ``/task/{id}/fetch`` would show it (copies)."""
        return {task_id: copy.deepcopy(task.data) for task_id, task in list(self.engine.records.items())}

    @property
    def records(self) -> dict[str, FakeTask]:
        """The task records, with what the wire JSON does not show (``mode``, ``job_hash``, ``notify_hook``)."""
        return dict(self.engine.records)

    def release(self) -> None:
        """Let every task held by ``knobs.hold`` so far finish (new tasks are still held while the knob is on)."""
        self.engine.release()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.engine.close()

    def _routes(self) -> list[Route]:
        s = self._submitter
        submits: dict[str, SubmitHandler] = {
            "submit/imagine": s.imagine,
            "submit/change": s.change,
            "submit/simple-change": s.simple_change,
            "submit/describe": s.describe,
            "submit/blend": s.blend,
            "submit/shorten": s.shorten,
            "submit/action": s.action,
            "submit/modal": s.modal,
            "submit/upload-discord-images": s.upload,
            "insight-face/swap": s.swap,
            "submit/edit": s.edits,
            "submit/edits": s.edits,
            "submit/retexture": s.retexture,
            "submit/video": s.video,
        }
        queries: list[tuple[str, Handler, str]] = [
            ("task/{task_id}/fetch", self._fetch, "GET"),
            ("task/list-by-condition", self._list_by_ids, "POST"),
            ("task/list-by-ids", self._list_by_ids, "POST"),
            ("task/list", self._list, "GET"),
            ("task/{task_id}/image-seed", self._image_seed, "GET"),
            ("task/{task_id}/cancel", self._cancel, "POST"),
        ]
        routes = [Route("/attachments/{name}", self._endpoint(self._attachment, None, secured=False), methods=["GET"])]
        for prefix, mode in _MODES.items():
            for path, submit in submits.items():
                routes.append(
                    Route(f"{prefix}/mj/{path}", self._endpoint(self._submit(submit), mode), methods=["POST"])
                )
            for path, handler, method in queries:
                routes.append(Route(f"{prefix}/mj/{path}", self._endpoint(handler, mode), methods=[method]))
        return routes

    def _endpoint(
        self, handler: Handler, mode: str | None, *, secured: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            seen = await self._record(request)
            try:
                if self.knobs.latency_s > 0:
                    await asyncio.sleep(self.knobs.latency_s)
                if secured and not self._authorized(request):
                    return Response(status_code=401)
                body = seen.json if isinstance(seen.json, dict) else {}
                return await handler(Call(body, str(request.base_url), mode, request.url.path, request.path_params))
            finally:
                seen.answered_at = time.monotonic()

        return endpoint

    async def _record(self, request: Request) -> RecordedCall:
        received = time.monotonic()
        raw = await request.body()
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = None
        seen = RecordedCall(request.method, request.url.path, dict(request.headers), parsed, received)
        self.requests.append(seen)
        return seen

    def _authorized(self, request: Request) -> bool:
        secret = self.knobs.api_secret
        if secret is None or request.headers.get("mj-api-secret") == secret:
            return True
        authorization = request.headers.get("authorization")
        return self.knobs.dialect == "trueai" and authorization in (secret, f"Bearer {secret}")

    def _submit(self, handler: SubmitHandler) -> Handler:
        async def submit(call: Call) -> Response:
            forced = self._forced_status()
            if forced is not None:
                return _json(_spring_error(forced, call.path), forced)
            try:
                return _json(handler(call))
            except Refusal as refusal:
                return _json(refusal.envelope(), refusal.status)

        return submit

    def _forced_status(self) -> int | None:
        knobs = self.knobs
        if knobs.submit_status is None:
            return None
        if knobs.submit_fail_times is not None:
            if knobs.submit_fail_times <= 0:
                return None
            knobs.submit_fail_times -= 1
        return knobs.submit_status

    async def _fetch(self, call: Call) -> Response:
        task = self.engine.records.get(call.params["task_id"])
        if task is None:
            return Response(status_code=204 if self.knobs.dialect == "trueai" else 200)
        return _json(task.data)

    async def _list_by_ids(self, call: Call) -> Response:
        ids = call.body.get("ids")
        wanted = dict.fromkeys(task_id_of(value) for value in ids) if isinstance(ids, list) else {}
        records = self.engine.records
        return _json([records[task_id].data for task_id in wanted if task_id is not None and task_id in records])

    async def _list(self, call: Call) -> Response:
        newest = sorted((task.data for task in self.engine.records.values()), key=lambda d: -int(d["submitTime"]))
        return _json(newest[:100] if self.knobs.dialect == "trueai" else newest)

    async def _image_seed(self, call: Call) -> Response:
        task = self.engine.records.get(call.params["task_id"])
        if task is None:
            return _json({"code": 3, "description": "任务不存在", "result": None}, 404)
        if task.status != "SUCCESS":
            return _json({"code": 4, "description": "关联任务状态错误", "result": None}, 400)
        return _json({"code": 1, "description": "成功", "result": seed_of(task.job_hash)})

    async def _cancel(self, call: Call) -> Response:
        task = self.engine.records.get(call.params["task_id"])
        if task is None or not self.knobs.cancel_supported:
            return Response(status_code=404)
        if task.status not in TERMINAL:
            self.engine.fail(task, "取消任务")
        return Response(status_code=200)

    async def _attachment(self, call: Call) -> Response:
        name = call.params["name"]
        if name.endswith(".mp4"):
            return Response(TINY_MP4, media_type="video/mp4")
        if not name.endswith(".png"):
            return Response(status_code=404)
        return Response(render_png(name), media_type="image/png")


def run_fake_midjourney(host: str, port: int, knobs: FakeMidjourneyKnobs) -> None:
    """Blocking: serve a :class:`FakeMidjourney` on ``host:port`` (``omnirelay fake-upstream midjourney``)."""
    uvicorn.run(FakeMidjourney(knobs).app, host=host, port=port, log_level="warning", access_log=False)
