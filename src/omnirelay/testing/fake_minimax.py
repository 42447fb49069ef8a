"""A faithful fake of MiniMax's v1 video generation API (spec §5.2), with knobs for relay tests.

Create (``POST /v1/video_generation``), query (``GET /v1/query/video_generation?task_id=``) and
file retrieve (``GET /v1/files/retrieve?file_id=``, whose ``download_url`` is served by the fake
under ``/files/``, whole or by byte range; ``/v1/files/retrieve_content`` serves the bytes too).
Callers authenticate with ``Authorization: Bearer <key>``. Every answer is HTTP 200 with
``base_resp``; errors set its ``status_code`` (1004 auth, 1026 sensitive content, 2013 invalid
parameters, and whatever ``knobs.error_code`` says). Tasks walk
``Preparing -> Queueing -> Processing -> Success | Fail`` on the server's loop; a success is a
real short H.264 MP4::

    fake = FakeMiniMax(FakeMiniMaxKnobs(api_keys=["mm-key"], step_s=0.05))
    with serve_in_thread(fake.app) as url:
        ...  # flip fake.knobs.error_code / fail_next between calls, read fake.tasks
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omnirelay.testing._fake_minimax_engine import FakeMiniMaxTask, MiniMaxEngine, video_bytes
from omnirelay.testing._fake_minimax_knobs import FakeMiniMaxKnobs
from omnirelay.testing._ranged import ranged_file
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeMiniMax", "FakeMiniMaxKnobs", "run_fake_minimax"]

_DURATIONS = (6, 10)
_RESOLUTIONS = ("512P", "720P", "768P", "1080P")


class MiniMaxProblem(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def response(self) -> JSONResponse:
        return JSONResponse({"base_resp": {"status_code": self.code, "status_msg": self.message}})


def _ok(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse({**body, "base_resp": {"status_code": 0, "status_msg": "success"}})


class FakeMiniMax:
    def __init__(self, knobs: FakeMiniMaxKnobs | None = None) -> None:
        self.engine = MiniMaxEngine(knobs or FakeMiniMaxKnobs())
        self.requests: list[RecordedRequest] = []
        self._tokens: dict[str, int] = {}
        self.app = Starlette(
            routes=[
                Route("/v1/video_generation", self._create, methods=["POST"]),
                Route("/v1/query/video_generation", self._query, methods=["GET"]),
                Route("/v1/files/retrieve", self._retrieve, methods=["GET"]),
                Route("/v1/files/retrieve_content", self._content, methods=["GET"]),
                Route("/files/{file_id}.mp4", self._file, methods=["GET"]),
            ],
            lifespan=self._lifespan,
        )

    @property
    def knobs(self) -> FakeMiniMaxKnobs:
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

    def _owner(self, request: Request) -> str:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if self.knobs.api_keys and (scheme.lower() != "bearer" or key.strip() not in self.knobs.api_keys):
            raise MiniMaxProblem(1004, "login fail: Please carry the API secret key in the 'Authorization' field")
        return key.strip() if self.knobs.api_keys else ""

    def _admit(self) -> None:
        knobs = self.knobs
        if not knobs.error_code:
            return
        code = knobs.error_code
        if knobs.error_next > 0:
            knobs.error_next -= 1
            if knobs.error_next == 0:
                knobs.error_code = 0
        raise MiniMaxProblem(code, "the fake was told to refuse this create (error_code)")

    def _checked(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"]:
            raise MiniMaxProblem(2013, "invalid params: model is required")
        prompt = body.get("prompt")
        if not (isinstance(prompt, str) and prompt.strip()) and not body.get("first_frame_image"):
            raise MiniMaxProblem(2013, "invalid params: prompt is required")
        if body.get("duration") is not None and body["duration"] not in _DURATIONS:
            raise MiniMaxProblem(2013, "invalid params: duration must be 6 or 10")
        if body.get("resolution") is not None and body["resolution"] not in _RESOLUTIONS:
            raise MiniMaxProblem(2013, "invalid params: resolution")
        if any(word in str(prompt or "") for word in self.knobs.moderate_prompts_containing):
            raise MiniMaxProblem(1026, "input new_sensitive")
        return body

    async def _create(self, request: Request) -> Response:
        body = await record_json(request, self.requests)
        try:
            owner = self._owner(request)
            self._admit()
            task = self.engine.start(owner, self._checked(body))
        except MiniMaxProblem as problem:
            return problem.response()
        return _ok({"task_id": task.id})

    async def _query(self, request: Request) -> Response:
        await record_json(request, self.requests)
        try:
            task = self.engine.find(request.query_params.get("task_id", ""), self._owner(request))
        except MiniMaxProblem as problem:
            return problem.response()
        if task is None:
            return MiniMaxProblem(2013, "invalid params: task not found").response()
        return JSONResponse(task.to_json())

    def _task_of_file(self, request: Request) -> FakeMiniMaxTask:
        task = self.engine.by_file(request.query_params.get("file_id", ""), self._owner(request))
        if task is None:
            raise MiniMaxProblem(2013, "invalid params: file not found")
        return task

    async def _retrieve(self, request: Request) -> Response:
        await record_json(request, self.requests)
        try:
            task = self._task_of_file(request)
        except MiniMaxProblem as problem:
            return problem.response()
        size = len(await asyncio.to_thread(video_bytes, task, self.knobs.video_padding_bytes))
        file = {
            "file_id": int(task.file_id or 0),
            "bytes": size,
            "created_at": task.created_at,
            "filename": "output_aigc.mp4",
            "purpose": "video_generation",
            "download_url": f"{str(request.base_url).rstrip('/')}/files/{task.file_id}.mp4?token={self._mint(task)}",
        }
        return _ok({"file": file})

    def _mint(self, task: FakeMiniMaxTask) -> int:
        """A new token for the file's ``download_url`` (with ``expire_old_urls`` the only one then valid)."""
        token = self._tokens[task.file_id or ""] = self._tokens.get(task.file_id or "", 0) + 1
        return token

    def _expired(self, request: Request, file_id: str) -> bool:
        latest = str(self._tokens.get(file_id, 0))
        return self.knobs.expire_old_urls and request.query_params.get("token") != latest

    async def _content(self, request: Request) -> Response:
        await record_json(request, self.requests)
        try:
            task = self._task_of_file(request)
        except MiniMaxProblem as problem:
            return problem.response()
        content = await asyncio.to_thread(video_bytes, task, self.knobs.video_padding_bytes)
        return ranged_file(request, content, "video/mp4")

    async def _file(self, request: Request) -> Response:
        await record_json(request, self.requests)
        file_id = request.path_params["file_id"]
        task = next((t for t in self.engine.tasks.values() if t.file_id == file_id), None)
        if task is None:
            return Response(status_code=404)
        if self._expired(request, file_id):
            return Response(b"Request has expired", status_code=403, media_type="text/plain")
        content = await asyncio.to_thread(video_bytes, task, self.knobs.video_padding_bytes)
        return ranged_file(request, content, "video/mp4")


def run_fake_minimax(host: str, port: int, knobs: FakeMiniMaxKnobs) -> None:
    """Blocking: serve a :class:`FakeMiniMax` on ``host:port`` (``omnirelay fake-upstream minimax``)."""
    uvicorn.run(FakeMiniMax(knobs).app, host=host, port=port, log_level="warning", access_log=False)
