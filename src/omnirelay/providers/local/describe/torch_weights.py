"""Read a PyTorch ``.pth`` state dict into numpy arrays, without torch and without trusting the pickle.

Both layouts ``torch.save`` has used are understood:

* the legacy one (before torch 1.6): a run of pickles on one stream (magic number, protocol version,
  system info, the state dict, the list of storage keys), then each storage as an int64 element count
  followed by its raw little-endian bytes;
* the zip one: ``<root>/data.pkl`` holds the state dict and ``<root>/data/<key>`` each storage's bytes.

The state dict is unpickled by :class:`_StateDictUnpickler`, which resolves only the handful of globals a
plain tensor state dict needs (an ``OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and the typed storage
classes) to harmless local stand-ins. Any other global, such as ``os.system``, is refused, so a tampered
file cannot run code.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = ["UnsafeCheckpoint", "read_state_dict"]

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

_STORAGE_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
}


class UnsafeCheckpoint(pickle.UnpicklingError):
    """The file asks for something other than plain tensors, or is not laid out as torch writes it."""


@dataclass(frozen=True)
class _StorageType:
    dtype: np.dtype[Any]


@dataclass
class _Storage:
    dtype: np.dtype[Any]
    numel: int
    data: np.ndarray[Any, Any] | None = field(default=None)


@dataclass(frozen=True)
class _TensorRef:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    def to_numpy(self) -> np.ndarray[Any, Any]:
        if self.storage.data is None:
            raise UnsafeCheckpoint("a tensor refers to a storage the file never provides")
        flat = self.storage.data
        itemsize = flat.dtype.itemsize
        if self.offset < 0 or min(self.shape, default=0) < 0 or min(self.stride, default=0) < 0:
            raise UnsafeCheckpoint("a tensor has a negative offset, size or stride")
        needed = self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.stride, strict=True)) + 1
        if min(self.shape, default=1) > 0 and needed > flat.size:
            raise UnsafeCheckpoint("a tensor reaches past the end of its storage")
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :], shape=self.shape, strides=tuple(s * itemsize for s in self.stride), writeable=False
        )
        return np.array(view)


def _rebuild_tensor(
    storage: _Storage, offset: int, shape: tuple[int, ...], stride: tuple[int, ...], *_ignored: Any
) -> _TensorRef:
    """Stand-in for ``torch._utils._rebuild_tensor_v2``: the bytes may not have been read yet."""
    return _TensorRef(storage, int(offset), tuple(shape), tuple(stride))


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self._storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise UnsafeCheckpoint(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid: Any) -> _Storage:
        # legacy: ("storage", type, key, location, numel, view_metadata); zip: the same without view_metadata
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise UnsafeCheckpoint("unexpected persistent reference in a weights file")
        kind, key, numel = pid[1], str(pid[2]), int(pid[4])
        if not isinstance(kind, _StorageType) or (len(pid) == 6 and pid[5] is not None):
            raise UnsafeCheckpoint("unsupported storage in a weights file")
        storage = self._storages.setdefault(key, _Storage(kind.dtype, numel))
        return storage


def _materialise(tree: Any) -> dict[str, np.ndarray[Any, Any]]:
    if not isinstance(tree, dict):
        raise UnsafeCheckpoint("the weights file does not hold a state dict")
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    for name, value in tree.items():
        if not isinstance(value, _TensorRef):
            raise UnsafeCheckpoint(f"state dict entry {name!r} is not a tensor")
        arrays[str(name)] = value.to_numpy()
    return arrays


def _read_exactly(file: IO[bytes], size: int) -> bytes:
    data = file.read(size)
    if len(data) != size:
        raise UnsafeCheckpoint("the weights file is truncated")
    return data


def _read_legacy(file: IO[bytes]) -> dict[str, np.ndarray[Any, Any]]:
    # The three header pickles hold only ints, bools, strings and dicts: no globals to resolve.
    header = [_StateDictUnpickler(file, {}).load() for _ in range(3)]
    if header[0] != _LEGACY_MAGIC or header[1] != _LEGACY_PROTOCOL:
        raise UnsafeCheckpoint("not a torch.save file")
    if isinstance(header[2], dict) and not header[2].get("little_endian", True):
        raise UnsafeCheckpoint("big-endian weights files are not supported")
    storages: dict[str, _Storage] = {}
    tree = _StateDictUnpickler(file, storages).load()
    keys = _StateDictUnpickler(file, {}).load()
    if not isinstance(keys, list) or set(map(str, keys)) != set(storages):
        raise UnsafeCheckpoint("the storage list does not match the state dict")
    for key in keys:
        storage = storages[str(key)]
        (count,) = struct.unpack("<q", _read_exactly(file, 8))
        if count != storage.numel:
            raise UnsafeCheckpoint("a storage's size does not match its description")
        raw = _read_exactly(file, count * storage.dtype.itemsize)
        storage.data = np.frombuffer(raw, dtype=storage.dtype)
    return _materialise(tree)


def _read_zip(path: Path) -> dict[str, np.ndarray[Any, Any]]:
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise UnsafeCheckpoint("the zip file is not a torch.save archive")
        root = pickles[0].removesuffix("data.pkl")
        storages: dict[str, _Storage] = {}
        tree = _StateDictUnpickler(io.BytesIO(archive.read(pickles[0])), storages).load()
        for key, storage in storages.items():
            raw = archive.read(f"{root}data/{key}")
            if len(raw) != storage.numel * storage.dtype.itemsize:
                raise UnsafeCheckpoint("a storage's size does not match its description")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
    return _materialise(tree)


def read_state_dict(path: Path) -> dict[str, np.ndarray[Any, Any]]:
    """Every tensor of the state dict at ``path``, by name, as a numpy array (a copy, C-ordered)."""
    if zipfile.is_zipfile(path):
        return _read_zip(path)
    with path.open("rb") as file:
        return _read_legacy(file)
