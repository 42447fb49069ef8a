"""Files on local disk, one directory per owner, each file a blob plus a JSON sidecar::

    <root>/<owner>/<file id>          the content
    <root>/<owner>/<file id>.json     its :class:`StoredFile` record: the file exists once this does
    <root>/<owner>/.<name>.tmp        work in progress (an upload, or a sidecar being written)

Blobs and sidecars both appear by renaming a temporary file of the same directory, so no
reader ever sees half of one. What a crash can leave behind (temporaries, a blob without
its sidecar) is never listed. Disk work runs in worker threads, in pieces of about 1 MiB,
so the event loop never waits on the disk and an upload is never held whole in memory.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from omnirelay.files.storage import StoredFile, new_file_id

__all__ = ["LocalFileStorage"]

_OWNER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_FILE_ID = re.compile(r"file-[0-9a-f]{12,64}")
_WRITE_PIECE = 1 << 20
_READ_PIECE = 256 * 1024


def _write_atomically(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def _read_record(sidecar: Path) -> StoredFile | None:
    try:
        return StoredFile.from_json(sidecar.read_bytes())
    except FileNotFoundError:
        return None


def _scan(directory: Path) -> list[StoredFile]:
    if not directory.is_dir():
        return []
    records = []
    for entry in os.scandir(directory):
        if entry.name.endswith(".json") and not entry.name.startswith("."):
            record = _read_record(Path(entry.path))
            if record is not None:  # deleted while we looked
                records.append(record)
    return records


def _remove(blob: Path, sidecar: Path) -> bool:
    try:
        sidecar.unlink()  # invisible from here on
    except FileNotFoundError:
        return False
    blob.unlink(missing_ok=True)
    return True


class _LocalWriter:
    def __init__(self, directory: Path, owner: str) -> None:
        self._dir = directory
        self._owner = owner
        self._id = new_file_id()
        self._temp = directory / f".{self._id}.tmp"
        self._handle: BinaryIO | None = None
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._size = 0
        self._committed = False

    @property
    def file_id(self) -> str:
        return self._id

    @property
    def size(self) -> int:
        return self._size

    async def write(self, chunk: bytes) -> None:
        self._pending.append(chunk)
        self._pending_size += len(chunk)
        self._size += len(chunk)
        if self._pending_size >= _WRITE_PIECE:
            await self._flush()

    async def _flush(self) -> None:
        data = b"".join(self._pending)
        self._pending, self._pending_size = [], 0
        await asyncio.to_thread(self._append, data)

    def _append(self, data: bytes) -> None:
        if self._handle is None:
            self._dir.mkdir(parents=True, exist_ok=True)
            self._handle = self._temp.open("xb")
        self._handle.write(data)

    async def commit(
        self, *, filename: str, purpose: str, content_type: str, expires_at: int | None = None
    ) -> StoredFile:
        await self._flush()
        record = StoredFile(
            id=self._id,
            owner=self._owner,
            size=self._size,
            created_at=int(time.time()),
            filename=filename,
            purpose=purpose,
            content_type=content_type,
            expires_at=expires_at,
        )
        await asyncio.to_thread(self._finish, record)
        self._committed = True
        return record

    def _finish(self, record: StoredFile) -> None:
        assert self._handle is not None
        self._handle.close()
        os.replace(self._temp, self._dir / self._id)
        _write_atomically(self._dir / f"{self._id}.json", record.to_json())

    async def abort(self) -> None:
        self._pending, self._pending_size = [], 0
        if not self._committed:
            await asyncio.to_thread(self._discard)

    def _discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
        for leftover in (self._temp, self._dir / self._id, self._dir / f".{self._id}.json.tmp"):
            leftover.unlink(missing_ok=True)


class LocalFileStorage:
    """:class:`~omnirelay.files.storage.FileStorage` on a local directory."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _dir(self, owner: str) -> Path:
        if not _OWNER.fullmatch(owner):
            raise ValueError(f"not a valid file owner: {owner!r}")
        return self._root / owner

    def _paths(self, owner: str, file_id: str) -> tuple[Path, Path] | None:
        """Blob and sidecar paths, or None for an id that cannot be one of ours."""
        if not _FILE_ID.fullmatch(file_id):
            return None
        directory = self._dir(owner)
        return directory / file_id, directory / f"{file_id}.json"

    def writer(self, owner: str) -> _LocalWriter:
        return _LocalWriter(self._dir(owner), owner)

    async def put(self, owner: str, data: bytes, *, filename: str, purpose: str, content_type: str) -> StoredFile:
        writer = self.writer(owner)
        try:
            await writer.write(data)
            return await writer.commit(filename=filename, purpose=purpose, content_type=content_type)
        except BaseException:
            await writer.abort()
            raise

    async def get(self, owner: str, file_id: str) -> StoredFile | None:
        paths = self._paths(owner, file_id)
        return None if paths is None else await asyncio.to_thread(_read_record, paths[1])

    async def open(self, owner: str, file_id: str) -> AsyncIterator[bytes]:
        paths = self._paths(owner, file_id)
        if paths is None:
            raise FileNotFoundError(file_id)
        handle = await asyncio.to_thread(paths[0].open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, _READ_PIECE):
                yield chunk
        finally:
            handle.close()

    async def delete(self, owner: str, file_id: str) -> bool:
        paths = self._paths(owner, file_id)
        return paths is not None and await asyncio.to_thread(_remove, *paths)

    async def list(self, owner: str) -> list[StoredFile]:
        return await asyncio.to_thread(_scan, self._dir(owner))
