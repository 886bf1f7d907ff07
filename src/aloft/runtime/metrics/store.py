"""The shared-memory store: one memory-mapped file of numbers per worker, summed by any reader.

Each worker keeps its numbers in its own file in the server's run directory (a write is one
struct store into the map: no file lock, no syscall). A reader, whichever worker it is, adds up
every file. When a worker exits, the master folds what should outlive it (counters) into an
archive file and deletes its file, so totals survive restarts and the number of files stays
bounded. What the store holds is flat: a key (a metric name and its label values, SEP apart)
to a float.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import re
import struct
import threading
from collections.abc import Callable, Iterator

# Between label values inside a key. A value carrying it (a path with %1F in it) is escaped by
# `label`, so no value can split a key into the wrong number of parts.
SEP = "\x1f"

_HEADER = struct.Struct("<Q")  # bytes used
_LEN = struct.Struct("<I")
_VALUE = struct.Struct("<d")
_INITIAL = 1 << 16
ARCHIVE = "archive.db"
_LOCK = "metrics.lock"


def label(value: str) -> str:
    """A label value as stored inside a key: SEP and the escape character itself escaped."""
    if "%" in value or SEP in value:
        return value.replace("%", "%25").replace(SEP, "%1F")
    return value


def _unescape(match: re.Match[str]) -> str:
    return SEP if match.group(1) == "1F" else "%"


_ESCAPED = re.compile("%(25|1F)")


def labels_of(key: str, prefix: str, count: int) -> list[str]:
    """The `count` label values of `key` after `prefix`; ValueError for a malformed key."""
    parts = key[len(prefix) :].split(SEP)
    if len(parts) != count:
        raise ValueError(f"{len(parts)} label values, expected {count}")
    return [_ESCAPED.sub(_unescape, part) if "%" in part else part for part in parts]


class Store:
    """A flat key -> float map; in-process by default, file-backed when given a path.

    Each key is a cell: an index into a list of values and, file-backed, the offset of its slot
    in the map. Hot paths resolve their keys to cells once and then only add to numbers.
    """

    def __init__(self, path: str | None = None) -> None:
        self._cells: dict[str, int] = {}
        self._values: list[float] = []
        self._offsets: list[int] = []
        self._lock = threading.Lock()
        self.path = path
        self._mm: mmap.mmap | None = None
        self._used = _HEADER.size
        if path is not None:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size < _INITIAL:
                    os.ftruncate(fd, _INITIAL)
                    size = _INITIAL
                self._mm = mmap.mmap(fd, size)
            finally:
                os.close(fd)
            for key, value, offset in _entries(bytes(self._mm)):
                self._cells[key] = len(self._values)
                self._values.append(value)
                self._offsets.append(offset)
            self._used = max(_HEADER.unpack_from(self._mm, 0)[0], _HEADER.size)

    @property
    def values(self) -> dict[str, float]:
        values = self._values
        return {key: values[cell] for key, cell in self._cells.items()}

    def value(self, cell: int) -> float:
        return self._values[cell]

    def cell(self, key: str) -> int:
        """The cell of `key`, made (and written to the map) on first use."""
        cell = self._cells.get(key)
        if cell is None:
            with self._lock:
                cell = self._cells.get(key)
                if cell is None:
                    offset = self._append(key) if self._mm is not None else -1
                    cell = len(self._values)
                    self._values.append(0.0)
                    self._offsets.append(offset)
                    self._cells[key] = cell  # published last: readers see a complete cell
        return cell

    def add(self, key: str, amount: float) -> None:
        self.add_cells(((self.cell(key), amount),))

    def add_many(self, updates: tuple[tuple[str, float], ...]) -> None:
        self.add_cells(tuple((self.cell(key), amount) for key, amount in updates))

    def add_cells(self, updates: tuple[tuple[int, float], ...]) -> None:
        """Several updates under one lock acquisition (a request's metrics, all at once)."""
        values, offsets, mm = self._values, self._offsets, self._mm
        with self._lock:
            for cell, amount in updates:
                value = values[cell] = values[cell] + amount
                if mm is not None:
                    _VALUE.pack_into(mm, offsets[cell], value)

    def add_cell(self, cell: int, amount: float) -> None:
        """One update: an application counter's increment (the lock keeps threads' adds whole)."""
        with self._lock:
            value = self._values[cell] = self._values[cell] + amount
            if self._mm is not None:
                _VALUE.pack_into(self._mm, self._offsets[cell], value)

    def set_cells(self, updates: tuple[tuple[int, float], ...]) -> None:
        """Cells set to values (a gauge, and the time it was set)."""
        values, offsets, mm = self._values, self._offsets, self._mm
        with self._lock:
            for cell, value in updates:
                values[cell] = value
                if mm is not None:
                    _VALUE.pack_into(mm, offsets[cell], value)

    def _append(self, key: str) -> int:
        """Write a new key (caller holds the lock); returns where its value lives."""
        assert self._mm is not None
        encoded = key.encode("utf-8", "backslashreplace")  # a lone surrogate from a raw path
        padded = (_LEN.size + len(encoded) + 7) // 8 * 8
        needed = self._used + padded + _VALUE.size
        if needed > len(self._mm):
            self._grow(needed)
        _LEN.pack_into(self._mm, self._used, len(encoded))
        self._mm[self._used + _LEN.size : self._used + _LEN.size + len(encoded)] = encoded
        offset = self._used + padded
        _VALUE.pack_into(self._mm, offset, 0.0)
        self._used = offset + _VALUE.size
        # Readers trust only what the header says is written, so it moves last.
        _HEADER.pack_into(self._mm, 0, self._used)
        return offset

    def _grow(self, needed: int) -> None:
        assert self._mm is not None and self.path is not None
        size = len(self._mm)
        while size < needed:
            size *= 2
        self._mm.resize(size)


def _entries(data: bytes) -> Iterator[tuple[str, float, int]]:
    if len(data) < _HEADER.size:
        return
    used = min(_HEADER.unpack_from(data, 0)[0], len(data))
    pos = _HEADER.size
    while pos + _LEN.size <= used:
        (length,) = _LEN.unpack_from(data, pos)
        key = data[pos + _LEN.size : pos + _LEN.size + length].decode("utf-8", "replace")
        offset = pos + (_LEN.size + length + 7) // 8 * 8
        if offset + _VALUE.size > used:
            return
        yield key, _VALUE.unpack_from(data, offset)[0], offset
        pos = offset + _VALUE.size


def read_file(path: str) -> dict[str, float]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return {}
    return {key: value for key, value, _ in _entries(data)}


@contextlib.contextmanager
def dir_lock(run_dir: str, exclusive: bool) -> Iterator[None]:
    """Readers share the run dir; a fold (files moving into the archive) has it alone."""
    fd = os.open(os.path.join(run_dir, _LOCK), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def worker_file(run_dir: str, pid: int) -> str:
    return os.path.join(run_dir, f"worker-{pid}.db")


def files(run_dir: str) -> list[dict[str, float]]:
    """Every store of the run dir (live workers' and the archive), read under the shared lock."""
    found: list[dict[str, float]] = []
    with dir_lock(run_dir, exclusive=False):
        for name in os.listdir(run_dir):
            if not name.endswith(".db"):
                continue
            try:
                found.append(read_file(os.path.join(run_dir, name)))
            except (OSError, ValueError, struct.error):
                continue  # unreadable: the other files still make an exposition
    return found


# What a fold keeps of each key of a dead worker: the key to add its value under, or None.
Admission = Callable[[str], "str | None"]


def fold_dead_worker(
    run_dir: str, pid: int, admission: Callable[[dict[str, float]], Admission]
) -> None:
    """Master side: add a dead worker's values into the archive as `admission` says, then drop
    its file. `admission` is given what the archive holds and answers per key of the worker."""
    path = worker_file(run_dir, pid)
    with dir_lock(run_dir, exclusive=True):
        values = read_file(path)
        if values:
            archive = Store(os.path.join(run_dir, ARCHIVE))
            admit = admission(archive.values)
            for key, value in values.items():
                if not value:
                    continue
                kept = admit(key)
                if kept is not None:
                    archive.add(kept, value)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
