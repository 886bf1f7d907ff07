"""Files the tooling writes: whole or not at all, with the modes the user's umask asks for.

`tempfile.mkstemp` and `mkdtemp` create 0600 files and 0700 folders whatever the umask, which is
right for a scratch file but wrong for a manifest, a Dockerfile or an OCI layout that the user,
their CI or a container build reads later: so everything renamed into place gets the mode an
ordinary `open()` or `mkdir()` would have given it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def current_umask() -> int:
    """The process umask, read without changing it where Linux says it (/proc, since 4.7)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it
    os.umask(mask)
    return mask


def file_mode() -> int:
    return 0o666 & ~current_umask()


def dir_mode() -> int:
    return 0o777 & ~current_umask()


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` beside `path` and rename it into place, so `path` is never half-written.
    `mode` keeps a file's own permissions when it is rewritten (default: what the umask gives)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), file_mode() if mode is None else mode)
            fh.write(data)
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def publish_dir(path: Path) -> None:
    """Give a folder made by `mkdtemp` the mode `mkdir` would have, before it is renamed into
    place."""
    os.chmod(path, dir_mode())
