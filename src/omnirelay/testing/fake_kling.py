"""A faithful fake of Kling's official API (spec §3), with knobs for relay tests.

Text-to-video, image-to-video and image generation: create, query one (by task id or
``external_task_id``) and list (``pageNum``/``pageSize``), each answering the
``{code, message, request_id, data}`` envelope with millisecond timestamps. Callers authenticate
with ``Authorization: Bearer <JWT>`` (HS256 signed with the secret key, ``iss`` = the access key,
``exp``/``nbf`` checked; an expired token is 401/1004). Tasks really walk
``submitted -> processing -> succeed | failed`` on the server's loop and POST the task to
``callback_url`` on every change. Results are real files the fake serves under ``/files/``
(PNG images, H.264 MP4 videos)::

    fake = FakeKling(FakeKlingKnobs(keys={"ak": "sk"}, step_s=0.05))
    with serve_in_thread(fake.app) as url:
        ...  # flip fake.knobs.fail_next / token_lifetime_s between calls, read fake.tasks
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing._fake_kling_engine import FakeKlingTask, KlingEngine
from omnirelay.testing._fake_kling_knobs import FakeKlingKnobs
from omnirelay.testing._fake_kling_media import kling_file
from omnirelay.testing._fake_kling_wire import KlingProblem, checked_create, envelope, token_owner
from omnirelay.testing._ranged import ranged_file
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeKling", "FakeKlingKnobs", "run_fake_kling"]

KINDS = {
    "text2video": "/v1/videos/text2video",
    "image2video": "/v1/videos/image2video",
    "images": "/v1/images/generations",
}
"""Task kind -> its path (create with POST, list with GET, query one with GET ``{path}/{id}``)."""
Handler = Callable[[Request, Any, str, str], Awaitable[Response]]


class FakeKling:
    def __init__(self, knobs: FakeKlingKnobs | None = None) -> None:
        self.engine = KlingEngine(knobs or FakeKlingKnobs())
        self.requests: list[RecordedRequest] = []
        self.app = Starlette(routes=self._routes(), lifespan=self._lifespan)

    @property
    def knobs(self) -> FakeKlingKnobs:
        return self.engine.knobs

    @property
    def tasks(self) -> dict[str, dict[str, Any]]:
        """Every task as a query shows it (copies)."""
        return {key: task.to_json() for key, task in list(self.engine.tasks.items())}

    def release(self) -> None:
        """Let every task held by ``knobs.hold`` end."""
        self.engine.release()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.engine.close()

    def _routes(self) -> list[Route]:
        routes = []
        for kind, path in KINDS.items():
            routes += [
                Route(path, self._endpoint(self._create, kind), methods=["POST"]),
                Route(path, self._endpoint(self._list, kind), methods=["GET"]),
                Route(path + "/{task_id}", self._endpoint(self._query, kind), methods=["GET"]),
            ]
        routes.append(Route("/files/{task_id}/{name}", self._file, methods=["GET"]))
        return routes

    def _endpoint(self, handler: Handler, kind: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body = await record_json(request, self.requests)
            try:
                owner = token_owner(request.headers.get("authorization"), self.knobs)
                if self.knobs.latency_s > 0:
                    await asyncio.sleep(self.knobs.latency_s)
                return await handler(request, body, kind, owner)
            except KlingProblem as problem:
                return problem.response()

        return endpoint

    def _admit(self) -> None:
        if self.knobs.out_of_resources:
            raise KlingProblem(429, 1102, "The account's resource pack is used up or expired")
        if self.knobs.error_next > 0:
            self.knobs.error_next -= 1
            raise KlingProblem(500, 5000, "Internal error (the fake was told to fail this create: error_next)")

    async def _create(self, request: Request, body: Any, kind: str, owner: str) -> Response:
        self._admit()
        checked = checked_create(kind, body, self.knobs)
        task = self.engine.start(kind, owner, checked, str(request.base_url))
        answer = task.to_json()
        del answer["task_status_msg"]
        return envelope(answer)

    async def _query(self, request: Request, body: Any, kind: str, owner: str) -> Response:
        task = self.engine.find(request.path_params["task_id"], kind, owner)
        if task is None:
            raise KlingProblem(404, 1203, "The task does not exist")
        return envelope(task.to_json())

    async def _list(self, request: Request, body: Any, kind: str, owner: str) -> Response:
        query = request.query_params
        page, size = _whole(query.get("pageNum"), 1, 1000), _whole(query.get("pageSize"), 30, 500)
        tasks = self.engine.listed(kind, owner)[(page - 1) * size : page * size]
        return envelope([task.to_json() for task in tasks])

    async def _file(self, request: Request) -> Response:
        await record_json(request, self.requests)
        task: FakeKlingTask | None = self.engine.tasks.get(request.path_params["task_id"])
        if task is None or task.status != "succeed":
            return Response(status_code=404)
        found = await asyncio.to_thread(kling_file, task, request.path_params["name"], self.knobs)
        if found is None:
            return Response(status_code=404)
        content, media_type = found
        return ranged_file(request, content, media_type)


def _whole(text: str | None, default: int, high: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise KlingProblem(400, 1201, f"page parameters must be whole numbers from 1 to {high}")
    return int(text)


def run_fake_kling(host: str, port: int, knobs: FakeKlingKnobs) -> None:
    """Blocking: serve a :class:`FakeKling` on ``host:port`` (``omnirelay fake-upstream kling``)."""
    uvicorn.run(FakeKling(knobs).app, host=host, port=port, log_level="warning", access_log=False)
