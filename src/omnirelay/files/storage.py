"""The storage seam for files: what is kept about each file, and what any backend must do.

A backend keeps each file as a blob plus a small metadata record, grouped by owner (the
account), so listing an owner's files is a prefix listing: a local directory today, an
object store bucket tomorrow. A file is visible once its metadata exists; writers make the
blob complete first and the metadata last, and deleting removes the metadata first.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import orjson

__all__ = ["FileStorage", "FileWriter", "StoredFile", "new_file_id"]


def new_file_id() -> str:
    """``file-`` + milliseconds (hex) + 64 random bits: unique, and sorting by id sorts by creation."""
    return f"file-{time.time_ns() // 1_000_000:012x}{secrets.token_hex(8)}"


@dataclass(frozen=True, slots=True)
class StoredFile:
    id: str
    owner: str
    size: int
    """Bytes of content."""
    created_at: int
    """Unix seconds."""
    filename: str
    purpose: str
    content_type: str
    expires_at: int | None = None

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def to_wire(self) -> dict[str, Any]:
        """The OpenAI ``File`` object."""
        wire: dict[str, Any] = {
            "id": self.id,
            "object": "file",
            "bytes": self.size,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }
        if self.expires_at is not None:
            wire["expires_at"] = self.expires_at
        return wire

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes) -> StoredFile:
        return cls(**orjson.loads(raw))


class FileWriter(Protocol):
    """One upload in progress; it becomes a file on :meth:`commit` and leaves nothing on :meth:`abort`."""

    @property
    def file_id(self) -> str: ...

    @property
    def size(self) -> int:
        """Bytes written so far."""
        ...

    async def write(self, chunk: bytes) -> None: ...

    async def commit(
        self, *, filename: str, purpose: str, content_type: str, expires_at: int | None = None
    ) -> StoredFile: ...

    async def abort(self) -> None:
        """Forget everything written; safe to call more than once and after a commit failed."""
        ...


class FileStorage(Protocol):
    def writer(self, owner: str) -> FileWriter:
        """Start an upload for ``owner``; the content streams in through the writer."""
        ...

    async def put(self, owner: str, data: bytes, *, filename: str, purpose: str, content_type: str) -> StoredFile:
        """Store a small file held in memory in one step."""
        ...

    async def get(self, owner: str, file_id: str) -> StoredFile | None: ...

    def open(self, owner: str, file_id: str) -> AsyncIterator[bytes]:
        """The file's content in chunks (check it exists with :meth:`get` first)."""
        ...

    async def delete(self, owner: str, file_id: str) -> bool:
        """True when the file existed."""
        ...

    async def list(self, owner: str) -> list[StoredFile]:
        """Every file of ``owner``, in no particular order."""
        ...
