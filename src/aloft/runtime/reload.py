"""`--reload` (development only): the master watches the project's sources and replaces workers.

gunicorn's own reloader runs inside each worker and ends it by flagging the worker loop, which
uvicorn's worker never looks at: ASGI apps logged "Worker reloading" and kept serving old code.
Here the master watches instead, and on a change starts fresh workers and stops the old ones,
whatever the worker class. Fresh workers import the app anew; the master never imports it, but
it does import the libraries the app uses (found once, in a throwaway interpreter), so a fork
only has to import the project's own modules: that is what keeps a reload under a second.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

log = logging.getLogger("aloft.reload")

# Folders never holding the project's own code (environments, VCS, caches, build output).
_SKIP = frozenset(
    ("__pycache__", "node_modules", "site-packages", "venv", "env", "build", "dist", "htmlcov")
)
INTERVAL = 0.1  # seconds between scans; a scan of a few hundred files takes well under 1 ms
_MAX_FILES = 20_000


def _sources(root: str) -> Iterator[str]:
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                if not name.startswith(".") and name not in _SKIP:
                    stack.append(entry.path)
            elif name.endswith(".py"):
                yield entry.path


def snapshot(root: str) -> dict[str, tuple[int, int]]:
    """(mtime ns, size) of every Python source under `root`, at most _MAX_FILES of them."""
    found: dict[str, tuple[int, int]] = {}
    for path in _sources(root):
        try:
            st = os.stat(path)
        except OSError:
            continue  # removed while scanning
        found[path] = (st.st_mtime_ns, st.st_size)
        if len(found) >= _MAX_FILES:
            break
    return found


class SourceWatcher:
    """Calls `changed(path)` from its own thread when a source under `root` changes."""

    def __init__(self, root: str, changed: Callable[[str], None], interval: float = INTERVAL):
        self.root = root
        self.changed = changed
        self.interval = interval
        self._stop = threading.Event()
        self._seen = snapshot(root)

    def start(self) -> None:
        threading.Thread(target=self._run, name="aloft-reload", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            now = snapshot(self.root)
            if now != self._seen:
                touched = [
                    p for p in now.keys() | self._seen.keys() if now.get(p) != self._seen.get(p)
                ]
                self._seen = now
                self.changed(sorted(touched)[0])


def library_modules(root: str) -> list[str]:
    """The modules loaded so far that are not the project's own (under `root`)."""
    root = os.path.abspath(root) + os.sep
    names = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path is None or name == "__main__":
            continue
        path = os.path.abspath(path)
        if path.startswith(root) and os.sep + "site-packages" + os.sep not in path[len(root) :]:
            continue
        names.append(name)
    return names


def preimport(names: Iterable[str]) -> int:
    """Import the app's libraries in the master, so forked workers find them loaded."""
    import importlib

    done = 0
    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # an optional module of a library; the worker decides
            continue
        done += 1
    return done
