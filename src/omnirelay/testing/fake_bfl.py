"""A faithful fake of Black Forest Labs' own Flux API (spec §4.1), with knobs for relay tests.

``POST /v1/{flux model}`` answers ``{id, polling_url}``; ``GET /v1/get_result?id=`` answers the
``ResultResponse`` as the task really walks ``Pending`` -> ``Pending`` with ``progress`` -> ``Ready``
(or ``Error``, ``Request Moderated``, ``Content Moderated``) on the server's loop; an unknown id is
``Task not found`` (404). Callers authenticate with ``x-key``; errors are FastAPI's ``{"detail": ...}``
(403 key, 404 model, 422 fields, 402 credits, 429 too many tasks, 500). ``result.sample`` is a real JPEG
or PNG the fake serves under ``/files/``::

    fake = FakeBfl(FakeBflKnobs(api_keys=["bfl-key"], step_s=0.05))
    with serve_in_thread(fake.app) as url:
        ...  # flip fake.knobs.fail_next / rate_limited between calls, read fake.tasks
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omnirelay.testing._fake_bfl_engine import BflEngine
from omnirelay.testing._fake_bfl_knobs import FakeBflKnobs
from omnirelay.testing._fake_bfl_media import drawn_sample
from omnirelay.testing._fake_bfl_wire import BflProblem, checked_request, key_owner
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeBfl", "FakeBflKnobs", "run_fake_bfl"]

Handler = Callable[[Request, str], Awaitable[Response]]


class FakeBfl:
    def __init__(self, knobs: FakeBflKnobs | None = None) -> None:
        self.engine = BflEngine(knobs or FakeBflKnobs())
        self.requests: list[RecordedRequest] = []
        self.app = Starlette(
            routes=[
                Route("/v1/get_result", self._endpoint(self._get_result), methods=["GET"]),
                Route("/v1/{model}", self._endpoint(self._submit), methods=["POST"]),
                Route("/files/{task_id}/{name}", self._file, methods=["GET"]),
            ],
            lifespan=self._lifespan,
        )

    @property
    def knobs(self) -> FakeBflKnobs:
        return self.engine.knobs

    @property
    def tasks(self) -> dict[str, dict[str, object]]:
        """Every task as ``get_result`` shows it (copies)."""
        return {key: task.to_json() for key, task in list(self.engine.tasks.items())}

    def release(self) -> None:
        """Let every task held by ``knobs.hold`` end."""
        self.engine.release()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.engine.close()

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            await record_json(request, self.requests)
            try:
                owner = key_owner(request.headers.get("x-key"), self.knobs)
                if self.knobs.latency_s > 0:
                    await asyncio.sleep(self.knobs.latency_s)
                return await handler(request, owner)
            except BflProblem as problem:
                return problem.response()

        return endpoint

    def _admit(self) -> None:
        knobs = self.knobs
        if knobs.out_of_credits:
            raise BflProblem(402, "Insufficient credits")
        if knobs.rate_limited:
            raise BflProblem(429, "You have exceeded the number of allowed active tasks (24)")
        if knobs.error_next > 0:
            knobs.error_next -= 1
            raise BflProblem(500, "Internal Server Error (the fake was told to fail this submit: error_next)")

    async def _submit(self, request: Request, owner: str) -> Response:
        body = checked_request(request.path_params["model"], self.requests[-1].json)
        self._admit()
        base = str(request.base_url).rstrip("/")
        task = self.engine.start(request.path_params["model"], owner, body, base)
        polling = (self.knobs.polling_base or base).rstrip("/")
        return JSONResponse({"id": task.id, "polling_url": f"{polling}/v1/get_result?id={task.id}"})

    async def _get_result(self, request: Request, owner: str) -> Response:
        task_id = request.query_params.get("id")
        if task_id is None:
            raise BflProblem(422, [{"loc": ["query", "id"], "msg": "Field required", "type": "missing"}])
        task = self.engine.find(task_id, owner)
        if task is None:
            body = {"id": task_id, "status": "Task not found", "result": None, "progress": None, "details": None}
            return JSONResponse(body, status_code=404)
        return JSONResponse(task.to_json())

    async def _file(self, request: Request) -> Response:
        await record_json(request, self.requests)
        task = self.engine.tasks.get(request.path_params["task_id"])
        if task is None or task.status != "Ready" or request.path_params["name"] != f"sample.{task.image_format}":
            return Response(status_code=404)
        content = await asyncio.to_thread(drawn_sample, f"bfl/{task.id}", *task.size, task.image_format)
        return Response(content, media_type=f"image/{task.image_format}")


def run_fake_bfl(host: str, port: int, knobs: FakeBflKnobs) -> None:
    """Blocking: serve a :class:`FakeBfl` on ``host:port`` (``omnirelay fake-upstream bfl``)."""
    uvicorn.run(FakeBfl(knobs).app, host=host, port=port, log_level="warning", access_log=False)
