"""A faithful fake Suno upstream in both dialects a gateway meets, with knobs for relay tests.

* ``newapi``: the aggregator "Suno API" task wrapper under ``/suno/*`` (new-api's format): submit
  music (every scenario: inspiration, custom, instrumental, extend, upload_extend, cover, infill,
  persona, stems), lyrics and concat, fetch one or many tasks, the upload flow, personas,
  ``/act/timing|wav|mp4|midi|tags``; ``notify_hook`` gets the task on every change.
* ``gcui``: gcui-art/suno-api under ``/api/*`` (and its ``/v1/chat/completions``).

Clips really walk ``submitted -> queued -> streaming -> complete`` on the server's loop, every
``knobs.step_s``, two per music task, and their URLs point at real files the fake serves itself
under ``/media/`` (MP3/WAV audio of synthesised tones, an MP4 with that audio, PNG cover art)::

    fake = FakeSuno(FakeSunoKnobs(step_s=0.01, api_key="sk-suno"))
    with serve_in_thread(fake.app) as url:
        ...  # POST url + "/suno/submit/music", poll url + "/suno/fetch/{task_id}";
        ...  # flip fake.knobs.queue_full / fail_next / fail_tasks between calls, read fake.tasks and fake.requests
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing._fake_suno_clips import Clip, clip_json
from omnirelay.testing._fake_suno_engine import SunoEngine
from omnirelay.testing._fake_suno_gcui import GcuiRoutes
from omnirelay.testing._fake_suno_knobs import FakeSunoKnobs
from omnirelay.testing._fake_suno_media import audio_file, cover_png, video_file
from omnirelay.testing._fake_suno_newapi import NewApiRoutes
from omnirelay.testing._fake_suno_uploads import UploadRoutes
from omnirelay.testing._fake_suno_wire import Call, Handler, Refusal, RouteSpec, Shape, render
from omnirelay.testing._ranged import ranged_file
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeSuno", "FakeSunoKnobs", "run_fake_suno"]

Family = Literal["newapi", "gcui"]
_MEDIA = re.compile(r"(image_large_|image_)?([0-9a-f-]{36})\.(mp3|wav|mp4|png)")
_UNAUTHORIZED = "unauthorized secret token"
_GCUI_UNAUTHORIZED = "Unauthorized: send Authorization: Bearer <key> or Cookie: __client=<key>"


class FakeSuno:
    def __init__(self, knobs: FakeSunoKnobs | None = None) -> None:
        self.engine = SunoEngine(knobs or FakeSunoKnobs())
        self.requests: list[RecordedRequest] = []
        self._uploads = UploadRoutes(self.engine)
        self.app = Starlette(routes=self._routes(), lifespan=self._lifespan)

    @property
    def knobs(self) -> FakeSunoKnobs:
        return self.engine.knobs

    @knobs.setter
    def knobs(self, knobs: FakeSunoKnobs) -> None:
        self.engine.knobs = knobs

    @property
    def tasks(self) -> dict[str, dict[str, Any]]:
        """Every task as ``/suno/fetch/{task_id}`` shows it (copies)."""
        return {task_id: task.to_json() for task_id, task in list(self.engine.tasks.items())}

    @property
    def clips(self) -> dict[str, dict[str, Any]]:
        """Every clip as ``/api/clip?id=`` shows it (copies)."""
        return {clip_id: clip_json(clip) for clip_id, clip in list(self.engine.clips.items())}

    def release(self) -> None:
        """Let every clip held by ``knobs.hold`` so far complete."""
        self.engine.release()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.engine.close()

    def _routes(self) -> list[Route]:
        families: list[tuple[Family, list[RouteSpec]]] = [
            ("newapi", NewApiRoutes(self.engine).routes() + self._uploads.routes()),
            ("gcui", GcuiRoutes(self.engine).routes()),
        ]
        routes = [
            Route("/media/{name}", self._media, methods=["GET"]),
            Route("/media/stream/{name}", self._media, methods=["GET"]),
            Route("/suno-uploads/", self._open_endpoint(self._uploads.target), methods=["POST"]),
        ]
        for family, specs in families:
            for path, method, handler, shape in specs:
                routes.append(Route(path, self._endpoint(family, handler, shape), methods=[method]))
        return routes

    def _endpoint(self, family: Family, handler: Handler, shape: Shape) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body = await record_json(request, self.requests)
            if self.knobs.dialect not in ("both", family):
                return Response(status_code=404)
            if self.knobs.latency_s > 0:
                await asyncio.sleep(self.knobs.latency_s)
            if not self._authorized(request, family):
                if family == "newapi":
                    return render(Refusal(401, _UNAUTHORIZED), "envelope")
                return render(Refusal(401, _GCUI_UNAUTHORIZED), "gcui")
            try:
                return await handler(_call(request, body))
            except Refusal as refusal:
                return render(refusal, shape)

        return endpoint

    def _open_endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """The upload target: no key (the form is pre-signed), S3's XML errors."""

        async def endpoint(request: Request) -> Response:
            body = await record_json(request, self.requests)
            if self.knobs.dialect == "gcui":
                return Response(status_code=404)
            try:
                return await handler(_call(request, body))
            except Refusal as refusal:
                return render(refusal, "s3")

        return endpoint

    def _authorized(self, request: Request, family: Family) -> bool:
        key = self.knobs.api_key
        if key is None:
            return True
        authorization = request.headers.get("authorization", "")
        if authorization == f"Bearer {key}" or (family == "newapi" and authorization == key):
            return True
        cookies = request.headers.get("cookie", "")
        return family == "gcui" and f"__client={key}" in cookies.replace(" ", "").split(";")

    async def _media(self, request: Request) -> Response:
        await record_json(request, self.requests)
        match = _MEDIA.fullmatch(request.path_params["name"])
        if match is None:
            return Response(status_code=404)
        prefix, item, kind = match.groups()
        clip = self.engine.clips.get(item)
        if prefix:
            if kind != "png" or (clip is None and not self._uploads.known(item)):
                return Response(status_code=404)
            side = 512 if prefix == "image_large_" else 256
            return Response(await asyncio.to_thread(cover_png, item, side), media_type="image/png")
        streaming = request.url.path.startswith("/media/stream/")
        ready = ("streaming", "complete") if streaming and kind == "mp3" else ("complete",)
        if clip is None or clip.status not in ready or kind == "png":
            return Response(status_code=404)
        content, media_type = await asyncio.to_thread(_clip_file, clip, kind)
        return ranged_file(request, content, media_type)


def _call(request: Request, body: Any) -> Call:
    return Call(
        body if isinstance(body, dict) else {},
        str(request.base_url),
        dict(request.path_params),
        dict(request.query_params),
        request,
    )


def _clip_file(clip: Clip, kind: str) -> tuple[bytes, str]:
    if kind == "mp4":
        return video_file(clip.score, clip.id), "video/mp4"
    if clip.upload is not None and (kind == "mp3" or clip.upload[1] == "audio/wav"):
        return clip.upload
    return audio_file(clip.score, kind)


def run_fake_suno(host: str, port: int, knobs: FakeSunoKnobs) -> None:
    """Blocking: serve a :class:`FakeSuno` on ``host:port`` (``omnirelay fake-upstream suno``)."""
    uvicorn.run(FakeSuno(knobs).app, host=host, port=port, log_level="warning", access_log=False)
