"""A fake digital-human video vendor (the shape of HeyGen-like APIs), for the declarative task relay.

* ``POST /v2/videos`` with ``X-Api-Key``: ``{"avatar_id", "script", "voice", "resolution"}`` ->
  ``{"error": null, "data": {"video_id": "..."}}``;
* ``GET /v2/videos/{video_id}`` -> ``{"error": null, "data": {"video_id", "status", "progress",
  "video_url", "duration", "error"}}``, ``status`` walking ``pending -> processing -> completed |
  failed`` (``progress`` 0..100), ``duration`` in seconds (one per three words of the script, 1..10);
* ``DELETE /v2/videos/{video_id}`` cancels (``status`` ``cancelled``);
* ``GET /files/{video_id}.mp4``: the real H.264 MP4 (PyAV), seekable.

Errors are ``{"error": {"code", "message"}, "data": null}``::

    fake = FakeDigitalHuman(FakeVendorKnobs(api_key="dh-key", step_s=0.05))
    with serve_in_thread(fake.app) as url:
        ...  # flip fake.knobs.fail_next between calls, read fake.jobs
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing._fake_vendor_files import avatar_video
from omnirelay.testing._fake_vendor_jobs import FakeJob, FakeJobs, FakeVendorKnobs
from omnirelay.testing._ranged import ranged_file
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeDigitalHuman", "run_fake_digital_human", "video_seconds"]

_STATUS = {
    "queued": "pending",
    "running": "processing",
    "done": "completed",
    "failed": "failed",
    "canceled": "cancelled",
}
Handler = Callable[[Request], Awaitable[Response]]


def video_seconds(script: str) -> int:
    """How long the fake's video of ``script`` runs: one second per three words, 1 to 10."""
    return max(1, min(10, len(script.split()) // 3))


def _answer(data: Any, status: int = 200, error: tuple[str, str] | None = None) -> Response:
    body = {"error": {"code": error[0], "message": error[1]} if error else None, "data": data}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


class FakeDigitalHuman:
    def __init__(self, knobs: FakeVendorKnobs | None = None) -> None:
        self.jobs = FakeJobs(knobs or FakeVendorKnobs())
        self.requests: list[RecordedRequest] = []
        self.app = Starlette(routes=self._routes(), lifespan=self._lifespan)

    @property
    def knobs(self) -> FakeVendorKnobs:
        return self.jobs.knobs

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.jobs.close()

    def _routes(self) -> list[Route]:
        return [
            Route("/v2/videos", self._guarded(self._create), methods=["POST"]),
            Route("/v2/videos/{video_id}", self._guarded(self._status), methods=["GET"]),
            Route("/v2/videos/{video_id}", self._guarded(self._cancel), methods=["DELETE"]),
            Route("/files/{video_id}.mp4", self._file, methods=["GET"]),
        ]

    def _guarded(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            await record_json(request, self.requests)
            key = self.knobs.api_key
            if key is not None and request.headers.get("x-api-key") != key:
                return _answer(None, 401, ("unauthorized", "Invalid X-Api-Key."))
            return await handler(request)

        return endpoint

    async def _create(self, request: Request) -> Response:
        body = self.requests[-1].json
        if self.knobs.error_next > 0:
            self.knobs.error_next -= 1
            return _answer(None, 500, ("internal", "The render farm is down (error_next)."))
        if not isinstance(body, dict) or not body.get("avatar_id") or not isinstance(body.get("script"), str):
            return _answer(None, 400, ("invalid_parameter", "avatar_id and script are required."))
        if body["avatar_id"] == "missing":
            return _answer(None, 404, ("avatar_not_found", "No avatar named missing exists."))
        return _answer({"video_id": self.jobs.start(body).id})

    def _video(self, job: FakeJob, base: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "video_id": job.id,
            "status": _STATUS[job.state],
            "progress": round(job.progress * 100),
        }
        if job.state == "done":
            data["video_url"] = f"{base}files/{job.id}.mp4"
            data["duration"] = float(video_seconds(job.body["script"]))
        if job.state == "failed":
            data["error"] = {"code": "render_failed", "message": job.reason}
        return data

    async def _status(self, request: Request) -> Response:
        job = self.jobs.jobs.get(request.path_params["video_id"])
        if job is None:
            return _answer(None, 404, ("not_found", "No such video."))
        return _answer(self._video(job, str(request.base_url)))

    async def _cancel(self, request: Request) -> Response:
        job = self.jobs.jobs.get(request.path_params["video_id"])
        if job is None:
            return _answer(None, 404, ("not_found", "No such video."))
        if not self.jobs.cancel(job):
            return _answer(None, 409, ("not_cancelable", f"The video is {_STATUS[job.state]}."))
        return _answer(self._video(job, str(request.base_url)))

    async def _file(self, request: Request) -> Response:
        await record_json(request, self.requests)
        job = self.jobs.jobs.get(request.path_params["video_id"])
        if job is None or job.state != "done":
            return Response(status_code=404)
        video = await asyncio.to_thread(avatar_video, job.id, video_seconds(job.body["script"]))
        return ranged_file(request, video, "video/mp4")


def run_fake_digital_human(host: str, port: int, knobs: FakeVendorKnobs) -> None:
    """Blocking: serve a :class:`FakeDigitalHuman` (``omnirelay fake-upstream digital-human``)."""
    uvicorn.run(FakeDigitalHuman(knobs).app, host=host, port=port, log_level="warning", access_log=False)
