"""The aggregator "Suno API" dialect (new-api's task wrapper) under ``/suno/*``, except the upload flow.

Submits answer ``{"code": "success", "message": "", "data": "<task_id>"}``; fetches answer the
task (``task_id, action, status, fail_reason, submit_time, start_time, finish_time, progress,
data``) in the same envelope. The raw Suno routes an aggregator passes through (persona,
``/act/timing|midi|tags``) answer without the envelope.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from omnirelay.testing._fake_suno_act import create_persona, midi_json, timing_json, upsample_tags
from omnirelay.testing._fake_suno_clips import Clip
from omnirelay.testing._fake_suno_engine import SunoEngine
from omnirelay.testing._fake_suno_music import MusicRequest, plan_concat, plan_music
from omnirelay.testing._fake_suno_wire import (
    Call,
    Refusal,
    RouteSpec,
    charge,
    complete_clip,
    json_response,
    ok_envelope,
    submit_gate,
    text_field,
)

__all__ = ["DEFAULT_MV", "NewApiRoutes"]

DEFAULT_MV = "chirp-v3-0"


class NewApiRoutes:
    def __init__(self, engine: SunoEngine) -> None:
        self.engine = engine

    def routes(self) -> list[RouteSpec]:
        return [
            ("/suno/submit/music", "POST", self.submit_music, "envelope"),
            ("/suno/submit/lyrics", "POST", self.submit_lyrics, "envelope"),
            ("/suno/submit/concat", "POST", self.submit_concat, "envelope"),
            ("/suno/submit/{action}", "POST", self.submit_other, "envelope"),
            ("/suno/fetch/{task_id}", "GET", self.fetch_one, "envelope"),
            ("/suno/fetch", "POST", self.fetch_many, "envelope"),
            ("/suno/persona/create/", "POST", self.persona_create, "detail"),
            ("/suno/act/timing/{clip_id}", "GET", self.timing, "detail"),
            ("/suno/act/wav/{clip_id}", "GET", self.wav, "envelope"),
            ("/suno/act/mp4/{clip_id}", "GET", self.mp4, "envelope"),
            ("/suno/act/midi/{clip_id}", "GET", self.midi, "detail"),
            ("/suno/act/tags", "POST", self.tags, "detail"),
        ]

    async def submit_music(self, call: Call) -> Response:
        engine, body = self.engine, call.body
        submit_gate(engine.knobs, newapi=True)
        request = MusicRequest.from_body(body, DEFAULT_MV)
        origin = text_field(body, "task_id")
        if request.continue_clip_id and request.task in ("", "extend") and not origin:
            raise Refusal(400, "task id is empty")
        if origin and origin not in engine.tasks:
            raise Refusal(400, "task_origin_not_exist", "task_not_exist")
        clips = plan_music(engine, request, call.base_url)
        charge(engine, newapi=True)
        return ok_envelope(engine.start(clips, notify_hook=text_field(body, "notify_hook")).id)

    async def submit_lyrics(self, call: Call) -> Response:
        submit_gate(self.engine.knobs, newapi=True)
        prompt = text_field(call.body, "prompt")
        if not prompt:
            raise Refusal(400, "prompt_empty")
        return ok_envelope(self.engine.lyrics_task(prompt, text_field(call.body, "notify_hook")).id)

    async def submit_concat(self, call: Call) -> Response:
        engine = self.engine
        submit_gate(engine.knobs, newapi=True)
        clip = complete_clip(engine, call.body.get("clip_id"), "clip_id")
        whole = plan_concat(engine, clip, call.base_url, is_infill=call.body.get("is_infill") is True)
        charge(engine, newapi=True)
        return ok_envelope(engine.start([whole], notify_hook=text_field(call.body, "notify_hook")).id)

    async def submit_other(self, call: Call) -> Response:
        raise Refusal(400, "invalid_action")

    async def fetch_one(self, call: Call) -> Response:
        task = self.engine.tasks.get(call.params["task_id"])
        if task is None:
            raise Refusal(400, "task_not_exist", "task_not_exist")
        return ok_envelope(task.to_json())

    async def fetch_many(self, call: Call) -> Response:
        ids = call.body.get("ids")
        wanted = dict.fromkeys(value for value in ids if isinstance(value, str)) if isinstance(ids, list) else {}
        tasks = self.engine.tasks
        return ok_envelope([tasks[task_id].to_json() for task_id in wanted if task_id in tasks])

    async def persona_create(self, call: Call) -> Response:
        return json_response(create_persona(self.engine, call.body))

    async def timing(self, call: Call) -> Response:
        return json_response(timing_json(self._clip(call)))

    async def wav(self, call: Call) -> Response:
        clip = self._clip(call)
        return ok_envelope(self._url("wav_file_url", clip.media(f"{clip.id}.wav")))

    async def mp4(self, call: Call) -> Response:
        clip = self._clip(call)
        return ok_envelope(self._url("mp4_file_url", clip.media(f"{clip.id}.mp4")))

    async def midi(self, call: Call) -> Response:
        return json_response(midi_json(self.engine, self._clip(call)))

    async def tags(self, call: Call) -> Response:
        return json_response(upsample_tags(call.body))

    def _clip(self, call: Call) -> Clip:
        return complete_clip(self.engine, call.params["clip_id"], "clip_id", unknown_status=404)

    def _url(self, key: str, url: str) -> Any:
        return url if self.engine.knobs.act_url_shape == "string" else {key: url}
