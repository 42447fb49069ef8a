"""A fake slide-deck vendor (outline in, PowerPoint out), for the declarative task relay.

* ``POST /api/v1/presentations`` with ``Authorization: Bearer <key>``: ``{"title", "outline": [...],
  "theme"}`` -> ``{"id": "...", "state": "queued"}`` (202);
* ``GET /api/v1/presentations/{id}`` -> ``{"id", "state", "percent", "file", "slides", "failure"}``,
  ``state`` walking ``queued -> generating -> ready | error`` (``percent`` 0..1); once ready,
  ``file.url`` is the deck and ``slides`` how many slides it has (the title slide plus one per line);
* ``POST /api/v1/presentations/{id}/cancel`` -> the deck, ``state`` ``canceled``;
* ``GET /files/{id}.pptx``: a real .pptx.

Errors are ``{"message": "..."}``::

    fake = FakePpt(FakeVendorKnobs(api_key="ppt-key", step_s=0.05))
    with serve_in_thread(fake.app) as url:
        ...
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing._fake_vendor_files import PPTX_TYPE, slide_deck
from omnirelay.testing._fake_vendor_jobs import FakeJob, FakeJobs, FakeVendorKnobs
from omnirelay.testing._ranged import ranged_file
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakePpt", "deck_titles", "run_fake_ppt"]

_STATE = {"queued": "queued", "running": "generating", "done": "ready", "failed": "error", "canceled": "canceled"}
Handler = Callable[[Request], Awaitable[Response]]


def deck_titles(body: dict[str, Any]) -> tuple[str, ...]:
    """The slides' titles: the deck's title, then each outline line."""
    return (str(body.get("title") or "Untitled"), *(str(line) for line in body.get("outline") or []))


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


class FakePpt:
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
        base = "/api/v1/presentations"
        return [
            Route(base, self._guarded(self._create), methods=["POST"]),
            Route(base + "/{deck_id}", self._guarded(self._status), methods=["GET"]),
            Route(base + "/{deck_id}/cancel", self._guarded(self._cancel), methods=["POST"]),
            Route("/files/{deck_id}.pptx", self._file, methods=["GET"]),
        ]

    def _guarded(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            await record_json(request, self.requests)
            key = self.knobs.api_key
            if key is not None and request.headers.get("authorization") != f"Bearer {key}":
                return _json({"message": "Invalid bearer token."}, 401)
            return await handler(request)

        return endpoint

    async def _create(self, request: Request) -> Response:
        body = self.requests[-1].json
        if self.knobs.error_next > 0:
            self.knobs.error_next -= 1
            return _json({"message": "Service unavailable (error_next)."}, 503)
        outline = body.get("outline") if isinstance(body, dict) else None
        if not isinstance(outline, list) or not outline or not all(isinstance(x, str) for x in outline):
            return _json({"message": "outline must be a non-empty list of strings."}, 422)
        job = self.jobs.start(body)
        return _json({"id": job.id, "state": "queued"}, 202)

    def _deck(self, job: FakeJob, base: str) -> dict[str, Any]:
        deck: dict[str, Any] = {"id": job.id, "state": _STATE[job.state], "percent": round(job.progress, 2)}
        if job.state == "done":
            deck["file"] = {"url": f"{base}files/{job.id}.pptx", "format": "pptx"}
            deck["slides"] = len(deck_titles(job.body))
        if job.state == "failed":
            deck["failure"] = {"reason": job.reason}
        return deck

    async def _status(self, request: Request) -> Response:
        job = self.jobs.jobs.get(request.path_params["deck_id"])
        if job is None:
            return _json({"message": "No such presentation."}, 404)
        return _json(self._deck(job, str(request.base_url)))

    async def _cancel(self, request: Request) -> Response:
        job = self.jobs.jobs.get(request.path_params["deck_id"])
        if job is None:
            return _json({"message": "No such presentation."}, 404)
        if not self.jobs.cancel(job):
            return _json({"message": f"The presentation is {_STATE[job.state]}."}, 409)
        return _json(self._deck(job, str(request.base_url)))

    async def _file(self, request: Request) -> Response:
        await record_json(request, self.requests)
        job = self.jobs.jobs.get(request.path_params["deck_id"])
        if job is None or job.state != "done":
            return Response(status_code=404)
        return ranged_file(request, slide_deck(deck_titles(job.body)), PPTX_TYPE)


def run_fake_ppt(host: str, port: int, knobs: FakeVendorKnobs) -> None:
    """Blocking: serve a :class:`FakePpt` (``omnirelay fake-upstream ppt``)."""
    uvicorn.run(FakePpt(knobs).app, host=host, port=port, log_level="warning", access_log=False)
