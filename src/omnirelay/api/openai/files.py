"""``/v1/files``: upload, list, retrieve, download and delete files, each seen by its own account only.

Files are not billed: no price, no reservation, no ledger entry. Any valid key may use them
(a key's model scope does not apply), and a key of another account gets 404 for every
file it does not own, exactly as for a file that does not exist. Uploads stream through to
storage as they arrive; ``files.max_bytes`` bounds each one (413, nothing kept).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import PurePosixPath
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from omnirelay.api.multipart import MultipartEvent, PartHead, multipart_events
from omnirelay.api.openai.intake import identify
from omnirelay.errors import InvalidRequest, NotFound, PayloadTooLarge
from omnirelay.files import FileStorage, FileWriter, StoredFile
from omnirelay.integers import optional_whole_number, whole_number
from omnirelay.relay.auth import Caller
from omnirelay.runtime import Runtime

__all__ = ["file_response", "files_routes", "owner_of"]

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
_FIELD_LIMIT = 64 * 1024
_FORM_SLACK = 1 << 20
"""Room for the multipart framing and text fields around the file, on top of ``files.max_bytes``."""
_MAX_PAGE = 10_000
_EXPIRY_S = (3600, 30 * 86400)


def owner_of(caller: Caller) -> str:
    """Files belong to the key's account, so every key of the account sees them."""
    return str(caller.key.account_id)


def _json(value: object) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")


class _Upload:
    """One ``POST /v1/files`` body: the ``file`` part streams into a writer, text fields are kept."""

    def __init__(self, writer: FileWriter, limit: int) -> None:
        self._writer = writer
        self._limit = limit
        self.file: PartHead | None = None
        self.fields: dict[str, str] = {}

    async def receive(self, events: AsyncIterator[MultipartEvent]) -> None:
        part: PartHead | None = None
        text = bytearray()
        async for event in events:
            if isinstance(event, PartHead):
                part = self._begin(event)
                text.clear()
            elif part is None:
                continue
            elif isinstance(event, bytes):
                if part is self.file:
                    await self._write(event)
                elif part.filename is None:
                    text += event
                    if len(text) > _FIELD_LIMIT:
                        raise InvalidRequest(f"The form field '{part.name}' is too long.", param=part.name)
            elif part.filename is None:
                self.fields[part.name] = text.decode(errors="replace")

    def _begin(self, head: PartHead) -> PartHead:
        if head.name == "file" and head.filename is not None:
            if self.file is not None:
                raise InvalidRequest("Send exactly one 'file' part.", param="file")
            self.file = head
        return head

    async def _write(self, chunk: bytes) -> None:
        if self._writer.size + len(chunk) > self._limit:
            raise PayloadTooLarge(f"The file is larger than this gateway's {self._limit}-byte limit.", param="file")
        await self._writer.write(chunk)

    def _expires_at(self) -> int | None:
        anchor, seconds = self.fields.get("expires_after[anchor]"), self.fields.get("expires_after[seconds]")
        if anchor is None and seconds is None:
            return None
        low, high = _EXPIRY_S
        if anchor != "created_at" or seconds is None:
            raise InvalidRequest(
                f"'expires_after' needs anchor 'created_at' and seconds between {low} and {high}.",
                param="expires_after",
            )
        return int(time.time()) + whole_number(seconds, "expires_after[seconds]", low=low, high=high)

    async def commit(self) -> StoredFile:
        if self.file is None:
            raise InvalidRequest("Missing required parameter: 'file' (a multipart file part).", param="file")
        purpose = self.fields.get("purpose")
        if purpose not in PURPOSES:
            raise InvalidRequest(f"'purpose' must be one of: {', '.join(PURPOSES)}.", param="purpose")
        return await self._writer.commit(
            filename=PurePosixPath((self.file.filename or "").replace("\\", "/")).name or "upload",
            purpose=purpose,
            content_type=self.file.content_type,
            expires_at=self._expires_at(),
        )

    async def abort(self) -> None:
        await self._writer.abort()


async def create_file(request: Request) -> Response:
    runtime, caller = identify(request)
    limit = runtime.settings.files.max_bytes
    upload = _Upload(runtime.files.writer(owner_of(caller)), limit)
    try:
        await upload.receive(multipart_events(request, limit + _FORM_SLACK))
        stored = await upload.commit()
    except BaseException:
        await upload.abort()
        raise
    return _json(stored.to_wire())


async def _find(runtime: Runtime, caller: Caller, file_id: str) -> StoredFile:
    """The caller's file, or 404 (whether it is missing, expired or another account's)."""
    owner = owner_of(caller)
    stored = await runtime.files.get(owner, file_id)
    if stored is not None and stored.expired(time.time()):
        await runtime.files.delete(owner, file_id)
        stored = None
    if stored is None:
        raise NotFound(f"No such File object: {file_id}", param="id")
    return stored


def _page_size(text: str | None) -> int:
    return optional_whole_number(text, "limit", low=1, high=_MAX_PAGE) or _MAX_PAGE


async def list_files(request: Request) -> Response:
    runtime, caller = identify(request)
    query = request.query_params
    size, order = _page_size(query.get("limit")), query.get("order", "desc")
    after, purpose = query.get("after"), query.get("purpose")
    if order not in ("asc", "desc"):
        raise InvalidRequest("'order' must be 'asc' or 'desc'.", param="order")
    now = time.time()
    found = [f for f in await runtime.files.list(owner_of(caller)) if not f.expired(now)]
    found = sorted((f for f in found if purpose is None or f.purpose == purpose), key=lambda f: f.id)
    if order == "desc":
        found.reverse()
    if after:  # ids sort by creation, so a cursor works even after its file was deleted
        found = [f for f in found if (f.id > after if order == "asc" else f.id < after)]
    page = found[:size]
    return _json(
        {
            "object": "list",
            "data": [f.to_wire() for f in page],
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
            "has_more": len(found) > size,
        }
    )


async def retrieve_file(request: Request) -> Response:
    runtime, caller = identify(request)
    return _json((await _find(runtime, caller, request.path_params["file_id"])).to_wire())


def file_response(storage: FileStorage, stored: StoredFile, *, attachment: bool) -> StreamingResponse:
    """Stream a stored file's content with its length and type; never run as a page on this origin
    (uploads and upstream images may hold HTML or SVG): ``nosniff`` and a sandboxing CSP."""
    disposition = "attachment" if attachment else "inline"
    headers = {
        "content-length": str(stored.size),
        "content-disposition": f"{disposition}; filename*=UTF-8''{quote(stored.filename)}",
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
    }
    return StreamingResponse(storage.open(stored.owner, stored.id), media_type=stored.content_type, headers=headers)


async def file_content(request: Request) -> StreamingResponse:
    runtime, caller = identify(request)
    stored = await _find(runtime, caller, request.path_params["file_id"])
    return file_response(runtime.files, stored, attachment=True)


async def delete_file(request: Request) -> Response:
    runtime, caller = identify(request)
    stored = await _find(runtime, caller, request.path_params["file_id"])
    if not await runtime.files.delete(stored.owner, stored.id):
        raise NotFound(f"No such File object: {stored.id}", param="id")
    return _json({"id": stored.id, "object": "file", "deleted": True})


def files_routes() -> list[BaseRoute]:
    return [
        Route("/v1/files", create_file, methods=["POST"]),
        Route("/v1/files", list_files, methods=["GET"]),
        Route("/v1/files/{file_id}", retrieve_file, methods=["GET"]),
        Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
        Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
    ]
