"""The fake Suno upload flow (newapi dialect) and the S3-style target the audio is POSTed to.

``POST /suno/uploads/audio`` answers an upload ``id``, the ``url`` of the target (served by the
fake itself at ``/suno-uploads/``) and the form ``fields`` to send with the ``file`` (answers 204);
``upload-finish`` starts the status walk ``processing -> passed_audio_processing ->
passed_artist_moderation -> complete`` (one step per ``knobs.step_s``; a file that is not audio
ends in ``error``); ``initialize-clip`` turns the upload into a clip that plays the uploaded file.
``/suno/uploads/audio-url`` does all of it at once from a URL the fake downloads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

import httpx
import orjson
from starlette.datastructures import UploadFile
from starlette.responses import Response

from omnirelay.testing._fake_suno_clips import Clip
from omnirelay.testing._fake_suno_engine import SunoEngine
from omnirelay.testing._fake_suno_media import sniff_audio, wav_seconds
from omnirelay.testing._fake_suno_wire import Call, Refusal, RouteSpec, json_response, ok_envelope, text_field

__all__ = ["ACCESS_KEY_ID", "Upload", "UploadRoutes"]

ACCESS_KEY_ID = "AKIAFAKESUNOUPLOADS0"
_STAGES = ("processing", "passed_audio_processing", "passed_artist_moderation", "complete")
_EXTENSIONS = {"mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4", "ogg": "audio/ogg", "flac": "audio/flac"}
_NOT_AUDIO = "Unable to process the audio: the uploaded file is not MP3, WAV, M4A, OGG or FLAC audio."
_UPLOAD_MODEL = "chirp-v3-5-upload"


@dataclass
class Upload:
    id: str
    fields: dict[str, str]
    data: bytes | None = None
    media_type: str | None = None
    title: str = ""
    finished_at: float | None = None
    clip_id: str | None = None

    def stage(self, step_s: float) -> tuple[str, str | None]:
        """``(status, error_message)`` now."""
        if self.finished_at is None:
            return _STAGES[0], None
        index = min(len(_STAGES) - 1, int((time.monotonic() - self.finished_at) / max(step_s, 1e-6)))
        if index >= 1 and self.media_type is None:
            return "error", _NOT_AUDIO
        return _STAGES[index], None


def _signed_fields(upload_id: str, extension: str) -> dict[str, str]:
    key = f"raw_uploads/{upload_id}.{extension}"
    conditions = {"expiration": "2099-01-01T00:00:00Z", "conditions": [{"bucket": "suno-uploads"}, {"key": key}]}
    policy = base64.b64encode(orjson.dumps(conditions)).decode()
    signature = base64.b64encode(hmac.new(b"fake-suno", policy.encode(), hashlib.sha1).digest()).decode()
    return {
        "Content-Type": _EXTENSIONS[extension],
        "key": key,
        "AWSAccessKeyId": ACCESS_KEY_ID,
        "policy": policy,
        "signature": signature,
    }


class UploadRoutes:
    def __init__(self, engine: SunoEngine) -> None:
        self.engine = engine
        self.uploads: dict[str, Upload] = {}

    def routes(self) -> list[RouteSpec]:
        return [
            ("/suno/uploads/audio", "POST", self.create, "detail"),
            ("/suno/uploads/audio/{upload_id}/upload-finish", "POST", self.finish, "detail"),
            ("/suno/uploads/audio/{upload_id}", "GET", self.status, "detail"),
            ("/suno/uploads/audio/{upload_id}/initialize-clip", "POST", self.initialize_clip, "detail"),
            ("/suno/uploads/audio-url", "POST", self.from_url, "envelope"),
        ]

    async def create(self, call: Call) -> Response:
        extension = (text_field(call.body, "extension") or "mp3").lower().lstrip(".")
        if extension not in _EXTENSIONS:
            raise Refusal(400, f"extension {extension!r} is not supported: use one of {sorted(_EXTENSIONS)}")
        upload_id = str(uuid.uuid4())
        upload = Upload(upload_id, _signed_fields(upload_id, extension))
        self.uploads[upload_id] = upload
        target = f"{call.base_url}suno-uploads/"
        return json_response({"id": upload_id, "url": target, "fields": upload.fields, "is_file_uploaded": False})

    async def target(self, call: Call) -> Response:
        """The S3-style POST target: every ``fields`` entry plus ``file``; 204 when they match."""
        form = await call.request.form()
        key = form.get("key")
        upload = next((u for u in self.uploads.values() if u.fields["key"] == key), None)
        if upload is None:
            raise Refusal(400, "The key of the form names no pending upload.", "InvalidArgument")
        for name in ("AWSAccessKeyId", "policy", "signature"):
            if form.get(name) != upload.fields[name]:
                raise Refusal(403, f"Invalid according to Policy: field {name} does not match.", "AccessDenied")
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise Refusal(400, "POST requires exactly one file upload per request.", "InvalidArgument")
        upload.data = await file.read()
        upload.media_type = sniff_audio(upload.data)
        return Response(status_code=204)

    async def finish(self, call: Call) -> Response:
        upload = self._upload(call)
        if upload.data is None:
            raise Refusal(400, "The file has not been uploaded: POST it with the fields to the upload url first.")
        if upload.finished_at is None:
            filename = text_field(call.body, "upload_filename")
            upload.title = filename.rsplit(".", 1)[0] if filename else "Uploaded audio"
            upload.finished_at = time.monotonic()
        return json_response({})

    async def status(self, call: Call) -> Response:
        upload = self._upload(call)
        status, error = upload.stage(self.engine.knobs.step_s)
        done = status == "complete"
        return json_response(
            {
                "id": upload.id,
                "status": status,
                "error_message": error,
                "s3_id": f"m_{upload.id}" if done else None,
                "title": upload.title or None,
                "image_url": f"{call.base_url}media/image_{upload.id}.png" if done else None,
            }
        )

    async def initialize_clip(self, call: Call) -> Response:
        upload = self._upload(call)
        status, _ = upload.stage(self.engine.knobs.step_s)
        if status != "complete":
            raise Refusal(400, f"The upload is {status}: poll GET /suno/uploads/audio/{upload.id} until complete.")
        if upload.clip_id is None:
            assert upload.data is not None and upload.media_type is not None
            upload.clip_id = self._clip(call.base_url, upload.data, upload.media_type, upload.title).id
        return json_response({"clip_id": upload.clip_id})

    async def from_url(self, call: Call) -> Response:
        url = text_field(call.body, "url")
        if not url.startswith(("http://", "https://")):
            raise Refusal(400, "url is required: an http(s) link to an audio file")
        data = await _download(url)
        media_type = sniff_audio(data)
        if media_type is None:
            raise Refusal(400, f"{url} is not MP3, WAV, M4A, OGG or FLAC audio")
        title = url.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "Uploaded audio"
        return ok_envelope(self._clip(call.base_url, data, media_type, title).id)

    def known(self, upload_id: str) -> bool:
        return upload_id in self.uploads

    def _upload(self, call: Call) -> Upload:
        upload = self.uploads.get(call.params["upload_id"])
        if upload is None:
            raise Refusal(404, f"No upload {call.params['upload_id']!r}: create one with POST /suno/uploads/audio.")
        return upload

    def _clip(self, base_url: str, data: bytes, media_type: str, title: str) -> Clip:
        clip = self.engine.new_clip(
            base_url,
            seconds=wav_seconds(data),
            model=_UPLOAD_MODEL,
            title=title,
            kind="upload",
            status="complete",
            upload=(data, media_type),
        )
        return self.engine.add_clip(clip)


async def _download(url: str) -> bytes:
    try:
        async with httpx.AsyncClient(timeout=10, follow_redirects=True) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        raise Refusal(400, f"could not download {url}: {exc}") from exc
    if response.status_code != 200:
        raise Refusal(400, f"could not download {url}: HTTP {response.status_code}")
    return response.content
