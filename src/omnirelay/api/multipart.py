"""``multipart/form-data`` bodies read as they stream in (python-multipart's push parser).

:func:`multipart_events` turns a body into a flat sequence of events (a part's head, pieces
of its content as they arrive, its end) and never holds more than one network read, so an
upload can go straight to storage. :func:`read_form` collects a small form in memory.
Malformed bodies are a 400, bodies over the caller's limit a 413.

Parts are counted as they arrive: a body of more than :data:`MAX_PARTS` parts, or a form with
more files or fields than its endpoint takes, is refused with a 400 at the first part too many,
before the rest is read and before anything is forwarded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from omnirelay.errors import InvalidRequest, PayloadTooLarge

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = [
    "MAX_PARTS",
    "PART_END",
    "Form",
    "FormFile",
    "MultipartEvent",
    "PartEnd",
    "PartHead",
    "multipart_events",
    "read_form",
]

MAX_PARTS = 100
"""Parts any multipart body may hold (every form this gateway reads has a handful)."""
_MAX_DIGITS = 19
"""A Content-Length longer than this is beyond any limit (and ``int`` is never handed 5,000 digits)."""


@dataclass(frozen=True, slots=True)
class PartHead:
    name: str
    filename: str | None
    """None for a plain form field."""
    content_type: str


@dataclass(frozen=True, slots=True)
class PartEnd:
    pass


PART_END = PartEnd()
MultipartEvent = PartHead | bytes | PartEnd
"""``bytes`` are the next piece of the current part's content."""


@dataclass(frozen=True, slots=True)
class FormFile:
    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Form:
    fields: dict[str, str]
    files: list[FormFile]
    size: int
    """Bytes of every part's content."""


def _head(headers: dict[bytes, bytes]) -> PartHead:
    _, options = parse_options_header(headers.get(b"content-disposition"))
    name = options.get(b"name")
    if name is None:
        raise InvalidRequest("Every multipart part needs a name in its Content-Disposition header.")
    filename = options.get(b"filename")
    content_type = headers.get(b"content-type", b"").decode("latin-1").strip()
    return PartHead(
        name.decode(errors="replace"),
        None if filename is None else filename.decode(errors="replace"),
        content_type or "application/octet-stream",
    )


class _Collector:
    """The parser's callbacks, turned into events the reader drains after each write."""

    def __init__(self) -> None:
        self.events: list[MultipartEvent] = []
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._headers.clear,
            "on_header_field": self._on_field,
            "on_header_value": self._on_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": lambda: self.events.append(_head(self._headers)),
            "on_part_data": self._on_data,
            "on_part_end": lambda: self.events.append(PART_END),
            "on_end": self._on_end,
        }

    def _on_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field = self._value = b""

    def _on_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self.events.append(data[start:end])

    def _on_end(self) -> None:
        self.ended = True

    def drain(self) -> list[MultipartEvent]:
        events, self.events = self.events, []
        return events


def _boundary(content_type: str | None) -> bytes:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        raise InvalidRequest("This endpoint takes a multipart/form-data body.")
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidRequest("The multipart/form-data Content-Type header has no boundary.")
    return boundary


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")


async def multipart_events(request: Request, limit: int) -> AsyncIterator[MultipartEvent]:
    """The body's events in order; ``limit`` bounds the whole body in bytes, :data:`MAX_PARTS` its parts."""
    boundary = _boundary(request.headers.get("content-type"))
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > _MAX_DIGITS or int(declared) > limit):
        raise _too_large(limit)
    collector = _Collector()
    parser = MultipartParser(boundary, collector.callbacks())
    received = parts = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large(limit)
        try:
            parser.write(chunk)
        except FormParserError as exc:
            raise InvalidRequest(f"The multipart body is malformed: {exc}.") from exc
        for event in collector.drain():
            if isinstance(event, PartHead):
                parts += 1
                if parts > MAX_PARTS:
                    raise InvalidRequest(f"The multipart body has more than {MAX_PARTS} parts.")
            yield event
    if not collector.ended:
        raise InvalidRequest("The multipart body ended before its closing boundary.")


async def read_form(request: Request, limit: int, *, max_files: int = MAX_PARTS) -> Form:
    """Every field and file of a small form, in memory (``limit`` bounds the whole body in bytes,
    ``max_files`` its file parts: one more is a 400 naming the field, before it is read)."""
    fields: dict[str, str] = {}
    files: list[FormFile] = []
    head: PartHead | None = None
    pieces: list[bytes] = []
    size = file_parts = 0
    async for event in multipart_events(request, limit):
        if isinstance(event, PartHead):
            head, pieces = event, []
            file_parts += event.filename is not None
            if file_parts > max_files:
                raise InvalidRequest(
                    f"This endpoint takes at most {max_files} files; '{event.name}' is one too many.",
                    param=event.name,
                )
        elif isinstance(event, bytes):
            pieces.append(event)
            size += len(event)
        elif head is not None:
            data = b"".join(pieces)
            if head.filename is None:
                fields[head.name] = data.decode(errors="replace")
            else:
                files.append(FormFile(head.name, head.filename, head.content_type, data))
    return Form(fields, files, size)
