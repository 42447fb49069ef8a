"""Speech and transcription for OpenAI-compatible upstreams: JSON in, audio bytes relayed as they come;
multipart forwarded with aiohttp. Mixed into :class:`~omnirelay.providers.openai_compat.OpenAICompatProvider`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from omnirelay.billing.amounts import MAX_TOKENS
from omnirelay.providers.base import AudioUpload, TranscriptionResult, UpstreamCall
from omnirelay.providers.openai_compat.errors import error_for_status, map_transport_errors

__all__ = ["OpenAIAudioMixin", "UpstreamAudio", "reported_seconds", "speech_media_type", "transcription_form"]

_SPEECH_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


def speech_media_type(body: dict[str, Any]) -> str:
    """The media type of a speech answer in the requested format (when the upstream names none)."""
    return _SPEECH_TYPES.get(str(body.get("response_format") or "mp3"), "application/octet-stream")


def reported_seconds(raw: bytes, media_type: str) -> float | None:
    """Seconds of audio a transcription answer reports: ``usage.seconds`` or verbose_json's ``duration``."""
    if "json" not in media_type:
        return None
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    usage = parsed.get("usage")
    if isinstance(usage, dict) and usage.get("type") == "duration":
        return _seconds(usage.get("seconds"))
    return _seconds(parsed.get("duration"))


def _seconds(value: Any) -> float | None:
    """A duration an upstream reported: a finite number of seconds from 0 to ``MAX_TOKENS``, else none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value <= MAX_TOKENS else None  # NaN and infinities fail the comparison


def transcription_form(fields: dict[str, Any], audio: AudioUpload) -> aiohttp.FormData:
    """The upstream's multipart body: the client's fields (repeats kept), then the file."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            form.add_field(name, str(item))
    form.add_field("file", audio.content, filename=audio.filename, content_type=audio.content_type)
    return form


def _auth(secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


class UpstreamAudio:
    """The body of an upstream's speech answer, chunk by chunk as the network delivers it."""

    def __init__(self, response: aiohttp.ClientResponse, media_type: str, hint: str) -> None:
        self._response = response
        self.media_type = media_type
        self._hint = hint

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with map_transport_errors(self._hint):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._response.close()


class OpenAIAudioMixin:
    _session: aiohttp.ClientSession

    if TYPE_CHECKING:

        def _timeout(self, call_timeout: float | None) -> aiohttp.ClientTimeout: ...

    async def open_speech(self, call: UpstreamCall) -> UpstreamAudio:
        with map_transport_errors(call.base_url):
            response = await self._session.post(
                f"{call.base_url}/audio/speech",
                data=orjson.dumps(call.body),
                headers={"Content-Type": "application/json", **_auth(call.secret)},
                timeout=self._timeout(call.timeout_s),
            )
            if response.status >= 400:
                body = await response.read()
                response.release()
                raise error_for_status(response.status, body, call.base_url)
        media_type = response.headers.get("Content-Type") or speech_media_type(call.body)
        return UpstreamAudio(response, media_type, call.base_url)

    async def transcribe(self, call: UpstreamCall, audio: AudioUpload, *, translate: bool) -> TranscriptionResult:
        path = "/audio/translations" if translate else "/audio/transcriptions"
        with map_transport_errors(call.base_url):
            async with self._session.post(
                f"{call.base_url}{path}",
                data=transcription_form(call.body, audio),
                headers=_auth(call.secret),
                timeout=self._timeout(call.timeout_s),
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise error_for_status(response.status, raw, call.base_url)
                media_type = response.headers.get("Content-Type") or "application/json"
        return TranscriptionResult(raw=raw, media_type=media_type, duration_s=reported_seconds(raw, media_type))
