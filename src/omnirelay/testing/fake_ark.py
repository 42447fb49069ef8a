"""A faithful fake of Volcengine Ark (spec §4.4, §4.5), with knobs for relay tests.

Images (``POST /api/v3/images/generations``) are answered at once, as Ark does: ``data`` with a
``url`` per image (real PNG or JPEG files the fake serves under ``/files/images/``) or ``b64_json``,
and ``usage``. Seedance tasks (``/api/v3/contents/generations/tasks``: create, get, list with
``page_num``/``page_size``/``filter.*``, delete) really walk ``queued -> running -> succeeded |
failed | expired`` on the server's loop, POST the task to ``callback_url`` on every change, and
finish with a real H.264 MP4 (and a last-frame PNG when ``return_last_frame``) served with byte
ranges. Callers authenticate with ``Authorization: Bearer <API key>``::

    fake = FakeArk(FakeArkKnobs(keys=["ark-key"], step_s=0.05))
    with serve_in_thread(fake.app) as url:
        ...  # flip fake.knobs.fail_next / hold / rate_limit_next between calls, read fake.tasks
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omnirelay.testing._fake_ark_engine import ArkEngine
from omnirelay.testing._fake_ark_knobs import FakeArkKnobs
from omnirelay.testing._fake_ark_wire import ArkProblem, caller_key, refuse_or_admit
from omnirelay.testing._fake_replicate_media import MEDIA_TYPES, render
from omnirelay.testing._ranged import ranged_file
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeArk", "FakeArkKnobs", "run_fake_ark"]

TASKS = "/api/v3/contents/generations/tasks"
Handler = Callable[[Request, Any, str], Awaitable[Response]]
_NAMES = itertools.count(1)


@functools.lru_cache(maxsize=64)
def _drawn(seed: str, extension: str) -> bytes:
    return render(seed, extension)


class FakeArk:
    def __init__(self, knobs: FakeArkKnobs | None = None) -> None:
        self.engine = ArkEngine(knobs or FakeArkKnobs())
        self.requests: list[RecordedRequest] = []
        self.images: set[str] = set()
        """Names of the image files answered so far (served under ``/files/images/``)."""
        self.app = Starlette(routes=self._routes(), lifespan=self._lifespan)

    @property
    def knobs(self) -> FakeArkKnobs:
        return self.engine.knobs

    @property
    def tasks(self) -> dict[str, dict[str, Any]]:
        """Every Seedance task as a get shows it (copies)."""
        return {key: task.to_json() for key, task in list(self.engine.tasks.items())}

    def release(self) -> None:
        """Let every task held by ``knobs.hold`` go on."""
        self.engine.release()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.engine.close()

    def _routes(self) -> list[Route]:
        return [
            Route("/api/v3/images/generations", self._endpoint(self._images), methods=["POST"]),
            Route(TASKS, self._endpoint(self._create), methods=["POST"]),
            Route(TASKS, self._endpoint(self._list), methods=["GET"]),
            Route(TASKS + "/{task_id}", self._endpoint(self._get), methods=["GET"]),
            Route(TASKS + "/{task_id}", self._endpoint(self._delete), methods=["DELETE"]),
            Route("/files/{kind}/{name}", self._file, methods=["GET"]),
        ]

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body = await record_json(request, self.requests)
            try:
                owner = caller_key(request.headers.get("authorization"), self.knobs)
                if self.knobs.latency_s > 0:
                    await asyncio.sleep(self.knobs.latency_s)
                return await handler(request, body, owner)
            except ArkProblem as problem:
                return problem.response()

        return endpoint

    async def _images(self, request: Request, body: Any, owner: str) -> Response:
        body = refuse_or_admit(body, self.knobs)
        options = body.get("sequential_image_generation_options") or {}
        count = 1
        if body.get("sequential_image_generation") == "auto":
            count = min(self.knobs.sequence_images, int(options.get("max_images") or 15))
        size = body.get("size") if "x" in str(body.get("size", "")) else "2048x2048"
        data = [self._image(request, body, size) for _ in range(count)]
        usage = {"generated_images": count, "output_tokens": 4096 * count, "total_tokens": 4096 * count}
        return JSONResponse({"model": body["model"], "created": int(time.time()), "data": data, "usage": usage})

    def _image(self, request: Request, body: dict[str, Any], size: str) -> dict[str, Any]:
        name = f"img-{next(_NAMES)}.{self.knobs.image_format}"
        if body.get("response_format") == "b64_json":
            return {"b64_json": base64.b64encode(_drawn(name, self.knobs.image_format)).decode(), "size": size}
        self.images.add(name)
        return {"url": f"{str(request.base_url).rstrip('/')}/files/images/{name}", "size": size}

    async def _create(self, request: Request, body: Any, owner: str) -> Response:
        body = refuse_or_admit(body, self.knobs)
        if not isinstance(body.get("content"), list) or not body["content"]:
            raise ArkProblem(400, "InvalidParameter", "content is required.", "content")
        task = self.engine.start(owner, body, str(request.base_url))
        return JSONResponse({"id": task.id})

    async def _get(self, request: Request, body: Any, owner: str) -> Response:
        task = self.engine.mine(request.path_params["task_id"], owner)
        if task is None:
            raise ArkProblem(404, "ResourceNotFound", "The specified task is not found.")
        return JSONResponse(task.to_json())

    async def _list(self, request: Request, body: Any, owner: str) -> Response:
        query = request.query_params
        status, ids = query.get("filter.status"), set(query.getlist("filter.task_ids"))
        mine = [
            t for t in self.engine.tasks.values()
            if t.owner == owner and (not status or t.status == status) and (not ids or t.id in ids)
        ]  # fmt: skip
        mine.sort(key=lambda t: t.id, reverse=True)
        page, size = int(query.get("page_num") or 1), int(query.get("page_size") or 10)
        items = [t.to_json() for t in mine[(page - 1) * size : page * size]]
        return JSONResponse({"items": items, "total": len(mine)})

    async def _delete(self, request: Request, body: Any, owner: str) -> Response:
        task = self.engine.mine(request.path_params["task_id"], owner)
        if task is None:
            raise ArkProblem(404, "ResourceNotFound", "The specified task is not found.")
        if task.status == "running":
            raise ArkProblem(409, "OperationDenied.TaskRunning", "A running task cannot be cancelled.")
        if task.status == "queued":
            self.engine.move(task, "cancelled")
        else:
            del self.engine.tasks[task.id]
        return JSONResponse({})

    async def _file(self, request: Request) -> Response:
        await record_json(request, self.requests)
        kind, name = request.path_params["kind"], request.path_params["name"]
        stem, _, extension = name.partition(".")
        if kind == "images" and name in self.images:
            content = await asyncio.to_thread(_drawn, name, extension)
            return ranged_file(request, content, MEDIA_TYPES[extension])
        task = self.engine.tasks.get(stem)
        if (
            task is None
            or task.status != "succeeded"
            or (kind, extension) not in (("videos", "mp4"), ("frames", "png"))
        ):
            return Response(status_code=404)
        content = await asyncio.to_thread(_drawn, f"ark/{stem}", extension)
        return ranged_file(request, content, MEDIA_TYPES[extension])


def run_fake_ark(host: str, port: int, knobs: FakeArkKnobs) -> None:
    """Blocking: serve a :class:`FakeArk` on ``host:port`` (``omnirelay fake-upstream ark``)."""
    uvicorn.run(FakeArk(knobs).app, host=host, port=port, log_level="warning", access_log=False)
