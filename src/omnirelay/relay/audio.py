"""Speech and transcription end to end: validate, reserve, route with failover, settle.

Billing units (the model's ordinary price applies to them, so ``input_per_million`` reads as
per million characters or seconds):

* ``/audio/speech``: the characters of ``input``, as prompt tokens, known before the call;
* ``/audio/transcriptions`` and ``/audio/translations``: seconds of audio, rounded up. The hold
  is bounded by the upload's size; the bill uses the duration the upstream reports, else the
  one the gateway reads from the file itself.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest
from omnirelay.providers.base import (
    AudioStream,
    AudioUpload,
    SpeechProvider,
    TranscriptionProvider,
    TranscriptionResult,
    UpstreamCall,
    Usage,
)
from omnirelay.relay.audio_probe import audio_container, audio_seconds
from omnirelay.relay.auth import Caller
from omnirelay.relay.chat import upstream_call
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.relay.priming import first_read

__all__ = [
    "MAX_SPEECH_CHARS",
    "SPEECH_FORMATS",
    "TRANSCRIPT_FORMATS",
    "AudioForm",
    "AudioRelay",
    "OpenedSpeech",
    "TranscriptionJob",
    "validate_speech_body",
    "validate_transcription_form",
]

MAX_SPEECH_CHARS = 4096
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
_GRANULARITIES = ("word", "segment")
_BYTES_PER_SECOND_BOUND = 16_000
"""Compressed speech takes at least about 2 KB per second; 16 KB/s bounds WAV at 8 kHz too."""


@dataclass(frozen=True, slots=True)
class AudioForm:
    """A multipart upload: the text fields (a repeated field as a list) and the ``file`` part."""

    fields: dict[str, str | list[str]]
    upload: AudioUpload | None
    size: int = 0
    """The request body's size in bytes."""


@dataclass(frozen=True, slots=True)
class TranscriptionJob:
    job: Job
    form: AudioForm
    upload: AudioUpload
    measured_s: float | None
    """The audio's length as the gateway read it from the file, if it could."""
    translate: bool


@dataclass(slots=True)
class OpenedSpeech:
    stream: AudioStream
    chunks: AsyncIterator[bytes]
    first: bytes | None


def _number(body: dict[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidRequest(f"'{name}' must be a number from {low} to {high}.", param=name)


def _voice_ok(voice: Any) -> bool:
    if isinstance(voice, dict):
        return isinstance(voice.get("id"), str) and bool(voice["id"])
    return isinstance(voice, str) and bool(voice)


def validate_speech_body(body: Any) -> tuple[str, str]:
    """The model and the text to speak, or a clear 400 naming the field at fault.

    Voice names are the upstream's to judge (OpenAI-compatible servers have voices of their own).
    """
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("You must provide a model parameter.", param="model")
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest("'input' must be a non-empty string.", param="input")
    if len(text) > MAX_SPEECH_CHARS:
        raise InvalidRequest(f"'input' is {len(text)} characters long; the limit is {MAX_SPEECH_CHARS}.", param="input")
    if not _voice_ok(body.get("voice")):
        raise InvalidRequest("'voice' must name a voice, e.g. 'alloy'.", param="voice")
    if body.get("response_format", "mp3") not in SPEECH_FORMATS:
        raise InvalidRequest(f"'response_format' must be one of {', '.join(SPEECH_FORMATS)}.", param="response_format")
    _number(body, "speed", 0.25, 4.0)
    if not isinstance(body.get("instructions", ""), str):
        raise InvalidRequest("'instructions' must be a string.", param="instructions")
    if body.get("stream_format", "audio") not in ("audio", "sse"):
        raise InvalidRequest("'stream_format' must be 'audio' or 'sse'.", param="stream_format")
    return model, text


def _text_field(form: AudioForm, name: str) -> str | None:
    value = form.fields.get(name)
    if isinstance(value, list):
        raise InvalidRequest(f"'{name}' was sent more than once.", param=name)
    return value


def _check_upload(upload: AudioUpload | None) -> None:
    if upload is None:
        raise InvalidRequest("Attach the audio as the multipart file field 'file'.", param="file")
    if not upload.content:
        raise InvalidRequest("The uploaded file is empty.", param="file")
    if audio_container(upload.content) is None:
        raise InvalidRequest(
            "The uploaded file is not audio in a supported format (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm).",
            param="file",
        )


def _check_options(form: AudioForm, response_format: str, translate: bool) -> None:
    temperature = _text_field(form, "temperature")
    if temperature is not None:
        try:
            _number({"temperature": float(temperature)}, "temperature", 0.0, 1.0)
        except ValueError as exc:
            raise InvalidRequest("'temperature' must be a number from 0 to 1.", param="temperature") from exc
    granularities = form.fields.get("timestamp_granularities[]", [])
    wanted = [granularities] if isinstance(granularities, str) else granularities
    if translate and wanted:
        raise InvalidRequest("Translations take no 'timestamp_granularities'.", param="timestamp_granularities")
    if any(g not in _GRANULARITIES for g in wanted):
        raise InvalidRequest("'timestamp_granularities[]' takes 'word' and 'segment'.", param="timestamp_granularities")
    if wanted and response_format != "verbose_json":
        raise InvalidRequest(
            "'timestamp_granularities' needs response_format 'verbose_json'.", param="timestamp_granularities"
        )


def validate_transcription_form(form: AudioForm, *, translate: bool) -> str:
    """The requested model, or a clear 400 naming the field at fault."""
    model = _text_field(form, "model")
    if not model:
        raise InvalidRequest("You must provide a model parameter.", param="model")
    _check_upload(form.upload)
    response_format = _text_field(form, "response_format") or "json"
    if response_format not in TRANSCRIPT_FORMATS:
        raise InvalidRequest(
            f"'response_format' must be one of {', '.join(TRANSCRIPT_FORMATS)}.", param="response_format"
        )
    _check_options(form, response_format, translate)
    return model


def _seconds_bound(form: AudioForm, measured: float | None) -> int:
    by_size = form.size // _BYTES_PER_SECOND_BOUND + 1
    return max(by_size, math.ceil(measured or 0))


def _endpoint(translate: bool) -> str:
    return "audio.translations" if translate else "audio.transcriptions"


class AudioRelay:
    def __init__(self, *, gate: Gate) -> None:
        self._gate = gate

    async def begin_speech(self, caller: Caller, body: Any, request_id: str) -> Job:
        model, text = validate_speech_body(body)
        request = JobRequest("audio.speech", model, len(text), 0, stream=True)
        return await self._gate.open_job(caller, request, request_id)

    async def open_speech(self, job: Job, body: dict[str, Any]) -> OpenedSpeech:
        """Open the audio and read its first chunk, failing over until one channel delivers it."""

        async def attempt(provider: SpeechProvider, channel: Channel) -> OpenedSpeech:
            prepared = {**body, "model": channel.upstream_model(job.model)}
            return await _open_and_prime(provider, upstream_call(channel, prepared))

        return await self._gate.run(job, SpeechProvider, attempt)

    async def begin_transcription(
        self, caller: Caller, form: AudioForm, request_id: str, *, translate: bool
    ) -> TranscriptionJob:
        model = validate_transcription_form(form, translate=translate)
        assert form.upload is not None  # validated above
        measured = await asyncio.to_thread(audio_seconds, form.upload.content)
        request = JobRequest(_endpoint(translate), model, _seconds_bound(form, measured), 0)
        job = await self._gate.open_job(caller, request, request_id)
        return TranscriptionJob(job, form, form.upload, measured, translate)

    async def transcribe(self, task: TranscriptionJob) -> TranscriptionResult:
        """Relay the upload and its fields; settled before it returns."""
        job = task.job

        async def attempt(provider: TranscriptionProvider, channel: Channel) -> TranscriptionResult:
            fields = {**task.form.fields, "model": channel.upstream_model(job.model)}
            return await provider.transcribe(upstream_call(channel, fields), task.upload, translate=task.translate)

        result = await self._gate.run(job, TranscriptionProvider, attempt)
        seconds = result.duration_s if result.duration_s is not None else task.measured_s
        billed = math.ceil(seconds) if seconds is not None else _seconds_bound(task.form, None)
        await job.succeed(Usage(billed, 0))
        return result


async def _open_and_prime(provider: SpeechProvider, call: UpstreamCall) -> OpenedSpeech:
    stream = await provider.open_speech(call)
    chunks, first = await first_read(stream)
    return OpenedSpeech(stream, chunks, first)
