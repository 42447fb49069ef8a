"""What the fake OpenAI upstream answers to ``/v1/audio/*``.

``/v1/audio/speech`` streams a real file in the requested format: a 440 Hz tone, 60 ms per
input character (0.3 s to 3 s), mono 24 kHz. Transcriptions and translations answer a fixed
text (the ``reply`` knob, if set) in each ``response_format``; their JSON forms report the
upload's duration in ``usage`` when it is a WAV and ``include_usage`` is on. The fault knobs
(``status``, ``fail_times``, ``api_key``, ``latency_s``, ``reset_before_first_chunk``,
``cut_stream_after``, ``chunk_delay_s``) apply as they do to chat.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import wave
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from omnirelay.providers.local.audio_codec import MEDIA_TYPES, OUTPUT_RATE, encode
from omnirelay.testing._recording import RecordedRequest

if TYPE_CHECKING:
    from omnirelay.testing.fake_openai import FakeOpenAI

__all__ = ["FAKE_TRANSCRIPT", "OPENAI_VOICES", "audio_routes"]

FAKE_TRANSCRIPT = "The fake upstream heard you."
OPENAI_VOICES = frozenset(
    {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar"}
)
_TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
_SPEECH_CHUNKS = 4


class _Drop(Exception):
    """Raised inside the response to make uvicorn drop the connection (knob)."""


def _error(status: int, message: str, param: str | None = None) -> Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def tone(characters: int, response_format: str) -> bytes:
    """A short 440 Hz tone as a real file in ``response_format``."""
    seconds = min(3.0, max(0.3, 0.06 * characters))
    t = np.arange(int(OUTPUT_RATE * seconds), dtype=np.float32) / OUTPUT_RATE
    return encode(0.3 * np.sin(2 * np.pi * 440 * t), OUTPUT_RATE, response_format)


def _speech_error(body: Any) -> Response | None:
    if not isinstance(body, dict) or not body.get("model"):
        return _error(400, "Missing required parameter: 'model'.", "model")
    text = body.get("input")
    if not isinstance(text, str) or not text or len(text) > 4096:
        return _error(400, "'input' must be a string of 1 to 4096 characters.", "input")
    if body.get("voice") not in OPENAI_VOICES:
        return _error(400, f"Invalid value for 'voice': {body.get('voice')!r}.", "voice")
    if body.get("response_format", "mp3") not in MEDIA_TYPES:
        return _error(400, "Invalid value for 'response_format'.", "response_format")
    return None


def _wav_seconds(content: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(content)) as wav:
            return float(wav.getnframes()) / float(wav.getframerate())
    except (wave.Error, EOFError):
        return None


def _stamp(seconds: float, separator: str) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}{separator}{int(seconds * 1000) % 1000:03d}"


def transcript_answer(
    fields: dict[str, Any], text: str, seconds: float | None, *, usage: bool, task: str
) -> tuple[bytes, str]:
    """The fixed transcript in the requested ``response_format``: body and media type."""
    response_format = fields.get("response_format") or "json"
    end = seconds or 1.0
    if response_format == "text":
        return (text + "\n").encode(), "text/plain; charset=utf-8"
    if response_format == "srt":
        return f"1\n{_stamp(0, ',')} --> {_stamp(end, ',')}\n{text}\n".encode(), "text/plain; charset=utf-8"
    if response_format == "vtt":
        return f"WEBVTT\n\n{_stamp(0, '.')} --> {_stamp(end, '.')}\n{text}\n".encode(), "text/plain; charset=utf-8"
    answer: dict[str, Any] = {"text": text}
    if response_format == "verbose_json":
        segment = {"id": 0, "seek": 0, "start": 0.0, "end": end, "text": text, "tokens": [1, 2, 3], "temperature": 0.0}
        segment.update(avg_logprob=-0.2, compression_ratio=1.0, no_speech_prob=0.01)
        answer = {"task": task, "language": "english", "duration": end, "text": text, "segments": [segment]}
        if "word" in fields.get("timestamp_granularities[]", []):
            words = text.split()
            answer["words"] = [
                {"word": w, "start": end * i / len(words), "end": end * (i + 1) / len(words)}
                for i, w in enumerate(words)
            ]
    if usage and seconds is not None:
        answer["usage"] = {"type": "duration", "seconds": math.ceil(seconds)}
    return orjson.dumps(answer), "application/json"


class _FakeAudio:
    def __init__(self, fake: FakeOpenAI) -> None:
        self._fake = fake

    async def speech(self, request: Request) -> Response:
        fake = self._fake
        body = await fake._record(request)
        refusal = fake._refusal(request) or _speech_error(body)
        if refusal is not None:
            return refusal
        if fake.knobs.latency_s:
            await asyncio.sleep(fake.knobs.latency_s)
        response_format = body.get("response_format", "mp3")
        audio = tone(len(body["input"]), response_format)
        return StreamingResponse(self._chunks(audio), media_type=MEDIA_TYPES[response_format])

    async def _chunks(self, audio: bytes) -> AsyncIterator[bytes]:
        knobs = self._fake.knobs
        if knobs.reset_before_first_chunk:
            raise _Drop("connection dropped before the first chunk (knob)")
        size = -(-len(audio) // _SPEECH_CHUNKS)
        for sent, start in enumerate(range(0, len(audio), size)):
            if knobs.cut_stream_after is not None and sent >= knobs.cut_stream_after:
                raise _Drop("audio stream cut (knob)")
            if knobs.chunk_delay_s and sent:
                await asyncio.sleep(knobs.chunk_delay_s)
            yield audio[start : start + size]

    async def transcriptions(self, request: Request) -> Response:
        return await self._transcribe(request, "transcribe")

    async def translations(self, request: Request) -> Response:
        return await self._transcribe(request, "translate")

    async def _form(self, request: Request) -> tuple[dict[str, Any], UploadFile | None, bytes]:
        form = await request.form()
        fields: dict[str, Any] = {}
        for name, value in form.multi_items():
            if isinstance(value, str):
                fields[name] = [*fields.get(name, []), value] if name.endswith("[]") else value
        upload = form.get("file")
        content = await upload.read() if isinstance(upload, UploadFile) else b""
        file = (
            {"filename": upload.filename, "content_type": upload.content_type} if isinstance(upload, UploadFile) else {}
        )
        recorded = {
            "fields": fields,
            "file": {**file, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()},
        }
        self._fake.requests.append(_recorded(request, recorded))
        return fields, upload if isinstance(upload, UploadFile) else None, content

    async def _transcribe(self, request: Request, task: str) -> Response:
        fake = self._fake
        fields, upload, content = await self._form(request)
        refusal = fake._refusal(request)
        if refusal is not None:
            return refusal
        if upload is None or not content:
            return _error(400, "Missing required parameter: 'file'.", "file")
        if not fields.get("model"):
            return _error(400, "Missing required parameter: 'model'.", "model")
        if (fields.get("response_format") or "json") not in _TRANSCRIPT_FORMATS:
            return _error(400, "Invalid value for 'response_format'.", "response_format")
        if fake.knobs.latency_s:
            await asyncio.sleep(fake.knobs.latency_s)
        text = fake.knobs.reply or FAKE_TRANSCRIPT
        seconds = _wav_seconds(content)
        raw, media_type = transcript_answer(fields, text, seconds, usage=fake.knobs.include_usage, task=task)
        return Response(raw, media_type=media_type)


def _recorded(request: Request, body: dict[str, Any]) -> Any:
    return RecordedRequest(request.method, request.url.path, dict(request.headers), body)


def audio_routes(fake: FakeOpenAI) -> list[Route]:
    audio = _FakeAudio(fake)
    return [
        Route("/v1/audio/speech", audio.speech, methods=["POST"]),
        Route("/v1/audio/transcriptions", audio.transcriptions, methods=["POST"]),
        Route("/v1/audio/translations", audio.translations, methods=["POST"]),
    ]
