"""Deterministic layers: the same files give the same tar bytes and the same gzip bytes.

Entries are sorted by path, owners and mtimes are fixed, modes are normalised, and gzip gets a zero
mtime, no file name and a fixed OS byte (Python's gzip writes 255), so a layer digest depends only
on the files' paths, contents and the chosen mode bits.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import os
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from aloft.image.cache import Cache

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
GZIP_LEVEL = 6

Kind = Literal["file", "dir", "symlink"]


@dataclasses.dataclass(frozen=True)
class Entry:
    """One path in a layer; `data` or `source` holds a file's bytes."""

    path: str
    kind: Kind
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    data: bytes | None = None
    source: Path | None = None
    target: str = ""

    def size(self) -> int:
        if self.kind != "file":
            return 0
        if self.data is not None:
            return len(self.data)
        assert self.source is not None
        return self.source.stat().st_size

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.source is not None
        return self.source.open("rb")


class Tree:
    """A set of entries keyed by normalised path; parents are added as directories on demand."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    def __contains__(self, path: str) -> bool:
        return normalise(path) in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, path: str) -> Entry | None:
        return self.entries.get(normalise(path))

    def add(self, entry: Entry) -> None:
        path = normalise(entry.path)
        self._parents(path)
        self.entries[path] = dataclasses.replace(entry, path=path)

    def file(self, path: str, data: bytes, mode: int = 0o644, uid: int = 0, gid: int = 0) -> None:
        self.add(Entry(path, "file", mode, uid, gid, data=data))

    def copy(self, path: str, source: Path, mode: int | None = None) -> None:
        if mode is None:
            mode = 0o755 if os.access(source, os.X_OK) else 0o644
        self.add(Entry(path, "file", mode, source=source))

    def dir(self, path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        self.add(Entry(path, "dir", mode, uid, gid))

    def symlink(self, path: str, target: str) -> None:
        self.add(Entry(path, "symlink", 0o777, target=target))

    def remove(self, path: str) -> None:
        self.entries.pop(normalise(path), None)

    def walk(self) -> Iterator[Entry]:
        for path in sorted(self.entries):
            yield self.entries[path]

    def _parents(self, path: str) -> None:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            if parent not in self.entries:
                self.entries[parent] = Entry(parent, "dir", 0o755)


def normalise(path: str) -> str:
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"path escapes the root: {path!r}")
    return "/".join(parts)


@dataclasses.dataclass(frozen=True)
class Layer:
    """A finished, compressed layer in the blob store."""

    digest: str
    diff_id: str
    size: int
    media_type: str = LAYER_MEDIA_TYPE

    def descriptor(self) -> dict[str, object]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


class _Hashing(io.RawIOBase):
    """A write-only stream that hashes and counts what passes through to `target`."""

    def __init__(self, target: BinaryIO | io.RawIOBase | gzip.GzipFile) -> None:
        self.target = target
        self.sha = hashlib.sha256()
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.sha.update(data)
        self.count += len(data)
        self.target.write(data)
        return len(data)


def write_layer(entries: Iterable[Entry], cache: Cache, mtime: int) -> Layer:
    """Write `entries` as a tar+gzip blob into the cache; return its digests and size."""
    temp = cache.temp_file(cache.blobs / "x")
    try:
        with temp.open("wb") as raw:
            compressed = _Hashing(raw)
            with gzip.GzipFile(
                filename="", mode="wb", fileobj=compressed, compresslevel=GZIP_LEVEL, mtime=0
            ) as gz:
                uncompressed = _Hashing(gz)
                _write_tar(entries, uncompressed, mtime)
        digest = "sha256:" + compressed.sha.hexdigest()
        layer = Layer(digest, "sha256:" + uncompressed.sha.hexdigest(), compressed.count)
        cache.adopt_blob(temp, digest)
        return layer
    finally:
        if temp.exists():
            temp.unlink()


def _write_tar(entries: Iterable[Entry], out: io.RawIOBase, mtime: int) -> None:
    ordered = sorted(entries, key=lambda e: e.path)
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for entry in ordered:
            info = tarfile.TarInfo(entry.path + ("/" if entry.kind == "dir" else ""))
            info.mtime = mtime
            info.uid, info.gid = entry.uid, entry.gid
            info.uname = info.gname = ""
            info.mode = entry.mode & 0o7777
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif entry.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = entry.target
                tar.addfile(info)
            else:
                info.size = entry.size()
                with entry.open() as fh:
                    tar.addfile(info, fh)


def tree_from_folder(folder: Path, prefix: str, *, skip: Iterable[str] = ()) -> Tree:
    """Every file, folder and symlink under `folder`, placed under `prefix` in the image."""
    tree = Tree()
    skipped = set(skip)
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        rel_dir = here.relative_to(folder)
        dirs[:] = sorted(d for d in dirs if d not in skipped)
        for name in dirs:
            path = here / name
            image_path = f"{prefix}/{(rel_dir / name).as_posix()}"
            if path.is_symlink():
                tree.symlink(image_path, os.readlink(path))
            else:
                tree.dir(image_path)
        for name in sorted(files):
            path = here / name
            image_path = f"{prefix}/{(rel_dir / name).as_posix()}"
            if path.is_symlink():
                tree.symlink(image_path, os.readlink(path))
            elif path.is_file():
                tree.copy(image_path, path)
    return tree
