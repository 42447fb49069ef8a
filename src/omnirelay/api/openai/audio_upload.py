"""Read a ``multipart/form-data`` audio upload under the body size limit, with clear 4xx errors."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from omnirelay.errors import InvalidRequest, PayloadTooLarge
from omnirelay.providers.base import AudioUpload
from omnirelay.relay.audio import AudioForm

__all__ = ["read_audio_form"]

_MAX_FIELDS = 64
_MAX_FIELD_BYTES = 256 * 1024
"""A prompt or any other text field; the audio itself is the one file part."""


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")


async def _limited(request: Request, limit: int, seen: list[int]) -> AsyncGenerator[bytes, None]:
    async for chunk in request.stream():
        seen[0] += len(chunk)
        if seen[0] > limit:
            raise _too_large(limit)
        yield chunk


def _fields(form: FormData) -> dict[str, str | list[str]]:
    fields: dict[str, str | list[str]] = {}
    for name, value in form.multi_items():
        if name == "file" or not isinstance(value, str):
            continue
        known = fields.get(name)
        if known is None:
            fields[name] = [value] if name.endswith("[]") else value
        elif isinstance(known, list):
            known.append(value)
        else:
            fields[name] = [known, value]
    return fields


async def _upload(form: FormData) -> AudioUpload | None:
    value = form.get("file")
    if value is None:
        return None
    if not isinstance(value, UploadFile):
        raise InvalidRequest("'file' must be an uploaded file, not a text field.", param="file")
    content = await value.read()
    return AudioUpload(
        filename=value.filename or "audio",
        content=content,
        content_type=value.content_type or "application/octet-stream",
    )


async def read_audio_form(request: Request, limit: int) -> AudioForm:
    """The form's text fields and its ``file`` part (413 beyond ``limit`` bytes, 400 when malformed)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise InvalidRequest("Send the audio as multipart/form-data, with the file in the field 'file'.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    seen = [0]
    parser = MultiPartParser(
        request.headers,
        _limited(request, limit, seen),
        max_files=1,
        max_fields=_MAX_FIELDS,
        max_part_size=_MAX_FIELD_BYTES,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InvalidRequest(f"The multipart body could not be read: {exc.message}") from exc
    try:
        return AudioForm(_fields(form), await _upload(form), seen[0])
    finally:
        await form.close()
