"""The build cache: content-addressed blobs plus small keyed records, in a user cache folder.

Every write goes to a temp file that is renamed into place, so a killed build leaves at worst a
stray temp file and never a truncated blob or record that a later build would trust.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aloft import fileio

CACHE_ENV = "ALOFT_CACHE_DIR"


def default_cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "aloft"


def key_of(*parts: Any) -> str:
    """A stable digest of JSON-able parts: the name under which a derived result is cached."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_cache_dir()).resolve()

    @property
    def blobs(self) -> Path:
        return self.root / "blobs" / "sha256"

    def blob_path(self, digest: str) -> Path:
        algorithm, _, hexpart = digest.partition(":")
        if algorithm != "sha256" or len(hexpart) != 64:
            raise ValueError(f"unsupported digest {digest!r}")
        return self.blobs / hexpart

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def put_blob_bytes(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if not self.has_blob(digest):
            self.atomic_write(self.blob_path(digest), data)
        return digest

    def adopt_blob(self, temp: Path, digest: str) -> Path:
        """Move a finished temp file into the blob store under its digest."""
        final = self.blob_path(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        return final

    def record(self, kind: str, key: str) -> dict[str, Any] | None:
        path = self.root / "records" / kind / f"{key}.json"
        try:
            value = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def put_record(self, kind: str, key: str, value: dict[str, Any]) -> None:
        path = self.root / "records" / kind / f"{key}.json"
        self.atomic_write(path, json.dumps(value, sort_keys=True, indent=1).encode())

    def folder(self, *parts: str) -> Path:
        path = self.root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextlib.contextmanager
    def scratch(self, prefix: str = "work-") -> Iterator[Path]:
        """A temp folder inside the cache (same filesystem, so results can be renamed out)."""
        parent = self.folder("tmp")
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def temp_file(self, near: Path) -> Path:
        near.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".tmp-", dir=near.parent)
        os.close(fd)
        return Path(name)

    def atomic_write(self, path: Path, data: bytes) -> None:
        atomic_write(path, data)


def atomic_write(path: Path, data: bytes) -> None:
    fileio.atomic_write(path, data)
