"""The gcui-art/suno-api dialect: ``/api/*`` and ``/v1/chat/completions``, raw JSON, ``{"error": ...}`` errors.

Generates answer ``AudioInfo[]`` (two clips) at once with ``status: "submitted"``, or with
``wait_audio`` once every clip is ``streaming``/``complete`` (or all ``error``); clients poll
``/api/get?ids=a,b``. The messages and statuses of its errors are the wrapper's: validation
answers 400 with a bare message, upstream errors keep their status with ``"API Error: "`` before
the detail (402 without it) on the routes that do so, and ``/api/clip`` and ``/api/persona``
answer every failure 500 ``Internal server error``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.responses import Response

from omnirelay.testing._fake_suno_act import aligned_words, persona_json
from omnirelay.testing._fake_suno_clips import (
    Clip,
    audio_info,
    clip_json,
    stem_info,
    submitted_audio_info,
    write_lyrics,
)
from omnirelay.testing._fake_suno_engine import SunoEngine
from omnirelay.testing._fake_suno_music import MusicRequest, plan_concat, plan_music
from omnirelay.testing._fake_suno_wire import (
    Call,
    Refusal,
    RouteSpec,
    charge,
    complete_clip,
    json_response,
    submit_gate,
    text_field,
)

__all__ = ["GCUI_MV", "GcuiRoutes"]

GCUI_MV = "chirp-v3-5"
FEED_PAGE = 20
MONTHLY_LIMIT = 2500
_WAIT_AUDIO_S = 100.0


def _bad(message: str) -> Response:
    return json_response({"error": message}, 400)


class GcuiRoutes:
    def __init__(self, engine: SunoEngine) -> None:
        self.engine = engine

    def routes(self) -> list[RouteSpec]:
        return [
            ("/api/generate", "POST", self.generate, "gcui-api"),
            ("/api/custom_generate", "POST", self.custom_generate, "gcui"),
            ("/api/extend_audio", "POST", self.extend_audio, "gcui-api"),
            ("/api/concat", "POST", self.concat, "gcui-api"),
            ("/api/generate_lyrics", "POST", self.generate_lyrics, "gcui-api"),
            ("/api/generate_stems", "POST", self.generate_stems, "gcui-api"),
            ("/api/get", "GET", self.get, "gcui"),
            ("/api/get_limit", "GET", self.get_limit, "gcui"),
            ("/api/get_aligned_lyrics", "GET", self.aligned_lyrics, "gcui"),
            ("/api/clip", "GET", self.clip, "gcui"),
            ("/api/persona", "GET", self.persona, "gcui"),
            ("/v1/chat/completions", "POST", self.chat, "gcui"),
        ]

    async def generate(self, call: Call) -> Response:
        body = call.body
        request = MusicRequest(
            mv=text_field(body, "model") or GCUI_MV,
            gpt_description_prompt=text_field(body, "prompt"),
            make_instrumental=bool(body.get("make_instrumental")),
        )
        return await self._generate(call, request)

    async def custom_generate(self, call: Call) -> Response:
        request = MusicRequest.from_body(call.body, GCUI_MV)
        request.mv = text_field(call.body, "model") or GCUI_MV
        request.make_instrumental = bool(call.body.get("make_instrumental"))
        request.gpt_description_prompt = request.task = request.continue_clip_id = ""
        return await self._generate(call, request)

    async def extend_audio(self, call: Call) -> Response:
        body = call.body
        if not body.get("audio_id"):
            return _bad("Audio ID is required")
        complete_clip(self.engine, body["audio_id"], "audio_id", unknown_status=404)
        request = MusicRequest.from_body(body, GCUI_MV)
        request.mv = text_field(body, "model") or GCUI_MV
        request.task, request.continue_clip_id = "extend", str(body["audio_id"])
        request.gpt_description_prompt, request.make_instrumental = "", False
        return await self._generate(call, request)

    async def _generate(self, call: Call, request: MusicRequest) -> Response:
        submit_gate(self.engine.knobs, newapi=False)
        clips = plan_music(self.engine, request, call.base_url)
        charge(self.engine, newapi=False)
        self.engine.start(clips)
        if not call.body.get("wait_audio"):
            return json_response([submitted_audio_info(clip) for clip in clips])
        await self._wait_audio(clips)
        return json_response([audio_info(clip) for clip in clips])

    async def _wait_audio(self, clips: list[Clip]) -> None:
        deadline = time.monotonic() + _WAIT_AUDIO_S
        while time.monotonic() < deadline:
            statuses = {clip.status for clip in clips}
            if statuses <= {"streaming", "complete"} or statuses == {"error"}:
                return
            await asyncio.sleep(min(0.05, max(0.005, self.engine.knobs.step_s / 4)))

    async def concat(self, call: Call) -> Response:
        if not call.body.get("clip_id"):
            return _bad("Clip id is required")
        submit_gate(self.engine.knobs, newapi=False)
        clip = complete_clip(self.engine, call.body["clip_id"], "clip_id", unknown_status=404)
        whole = plan_concat(self.engine, clip, call.base_url, is_infill=False)
        charge(self.engine, newapi=False)
        self.engine.start([whole])
        return json_response(clip_json(whole))

    async def generate_lyrics(self, call: Call) -> Response:
        submit_gate(self.engine.knobs, newapi=False)
        title, text = write_lyrics(text_field(call.body, "prompt"))
        return json_response({"text": text, "title": title, "status": "complete"})

    async def generate_stems(self, call: Call) -> Response:
        if not call.body.get("audio_id"):
            return _bad("Audio ID is required")
        submit_gate(self.engine.knobs, newapi=False)
        clip = complete_clip(self.engine, call.body["audio_id"], "audio_id", unknown_status=404)
        request = MusicRequest(mv=clip.model, task="gen_stem", continue_clip_id=clip.id)
        stems = plan_music(self.engine, request, call.base_url)
        charge(self.engine, newapi=False)
        self.engine.start(stems)
        return json_response([stem_info(stem) for stem in stems])

    async def get(self, call: Call) -> Response:
        clips = self.engine.clips
        ids = [value for value in call.query.get("ids", "").split(",") if value]
        if ids:
            found = [clips[clip_id] for clip_id in dict.fromkeys(ids) if clip_id in clips]
        else:
            page = int(call.query["page"]) if call.query.get("page", "").isdigit() else 0
            newest = sorted(clips.values(), key=lambda clip: clip.created_at, reverse=True)
            found = newest[page * FEED_PAGE : (page + 1) * FEED_PAGE]
        return json_response([audio_info(clip) for clip in found])

    async def get_limit(self, call: Call) -> Response:
        credits = self.engine.knobs.credits
        usage = max(0, MONTHLY_LIMIT - credits)
        return json_response(
            {"credits_left": credits, "period": "month", "monthly_limit": MONTHLY_LIMIT, "monthly_usage": usage}
        )

    async def aligned_lyrics(self, call: Call) -> Response:
        song_id = call.query.get("song_id")
        if not song_id:
            return _bad("Song ID is required")
        try:
            clip = complete_clip(self.engine, song_id, "song_id")
        except Refusal as refusal:
            raise Refusal(500, f"Internal server error. Error: {refusal.message}") from refusal
        return json_response(aligned_words(clip))

    async def clip(self, call: Call) -> Response:
        clip_id = call.query.get("id")
        if clip_id is None:
            return _bad("Missing parameter id")
        clip = self.engine.clips.get(clip_id)
        if clip is None:
            raise Refusal(500, "Internal server error")
        return json_response(clip_json(clip))

    async def persona(self, call: Call) -> Response:
        persona_id = call.query.get("id")
        if persona_id is None:
            return _bad("Missing parameter id")
        record = self.engine.personas.get(persona_id)
        if record is None:
            raise Refusal(500, "Internal server error")
        page = int(call.query["page"]) if call.query.get("page", "").isdigit() else 1
        body = persona_json(self.engine, record, max(1, page))
        return json_response(
            {"persona": body, "total_results": body["clip_count"], "current_page": page, "is_following": False}
        )

    async def chat(self, call: Call) -> Response:
        """gcui's OpenAI-style door: the last user message is an instrumental inspiration; answers Markdown text."""
        prompt = _last_user_text(call.body.get("messages"))
        if prompt is None:
            return _bad("Prompt message is required")
        submit_gate(self.engine.knobs, newapi=False)
        request = MusicRequest(mv=GCUI_MV, gpt_description_prompt=prompt, make_instrumental=True)
        clips = plan_music(self.engine, request, call.base_url)
        charge(self.engine, newapi=False)
        self.engine.start(clips)
        await self._wait_audio(clips)
        song = audio_info(clips[0])
        text = (
            f"## Song Title: {song['title']}\n![Song Cover]({song['image_url']})\n"
            f"### Lyrics:\n{song['lyric']}\n### Listen to the song: {song['audio_url']}"
        )
        return Response(text, media_type="text/plain")


def _last_user_text(messages: Any) -> str | None:
    if not isinstance(messages, list):
        return None
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if not users:
        return None
    content = users[-1].get("content")
    if isinstance(content, list):
        content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")
