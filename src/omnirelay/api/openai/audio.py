"""``POST /v1/audio/speech``, ``/v1/audio/transcriptions`` and ``/v1/audio/translations``."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.access_log import note_model
from omnirelay.api.openai.audio_upload import read_audio_form
from omnirelay.api.openai.intake import identify, intake
from omnirelay.api.sse import SSEResponse, call_deadline
from omnirelay.relay.speech_stream import SpeechSession

__all__ = ["AudioResponse", "speech", "transcriptions", "translations"]


class AudioResponse(SSEResponse):
    """Bytes pumped as they arrive, with the disconnect watch and settlement of :class:`SSEResponse`."""

    def __init__(
        self,
        chunks: AsyncGenerator[bytes, None],
        finish: Callable[[], Awaitable[None]],
        media_type: str,
        headers: list[tuple[bytes, bytes]],
        *,
        deadline: float | None = None,
    ) -> None:
        super().__init__(chunks, finish, headers, deadline=deadline)
        self._headers = [(b"content-type", media_type.encode("latin-1")), *headers]


async def speech(request: Request) -> AudioResponse:
    call = await intake(request)
    relay = call.runtime.audio
    job = await relay.begin_speech(call.caller, call.body, call.request_id)
    opened = await relay.open_speech(job, call.body)
    session = SpeechSession(job, len(call.body["input"]), opened)
    return AudioResponse(
        session.chunks(),
        session.finish,
        session.media_type,
        [(b"x-request-id", call.request_id.encode())],
        deadline=call_deadline(job.started, call.runtime.settings.relay),
    )


async def _transcribe(request: Request, *, translate: bool) -> Response:
    runtime, caller = identify(request)
    form = await read_audio_form(request, runtime.settings.server.max_body_bytes)
    note_model(request.scope, form.fields.get("model"))
    request_id = runtime.request_ids.next()
    task = await runtime.audio.begin_transcription(caller, form, request_id, translate=translate)
    result = await runtime.audio.transcribe(task)
    return Response(result.raw, media_type=result.media_type, headers={"x-request-id": request_id})


async def transcriptions(request: Request) -> Response:
    return await _transcribe(request, translate=False)


async def translations(request: Request) -> Response:
    return await _transcribe(request, translate=True)
