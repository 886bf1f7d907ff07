"""aloft's config models are built without pydantic's plugin lookup.

At the first validator it builds, pydantic imports `importlib.metadata` (26 ms: email, zipfile,
importlib.resources), reads the entry points of every installed distribution (8 ms in a venv of
150) and imports each plugin it finds. aloft's own models want no plugins, and that is a tenth of
`aloft config show`. While they are built, the lookup answers "none", as pydantic's documented
PYDANTIC_DISABLE_PLUGINS=__all__ makes it answer, without those imports; afterwards the real
lookup is back, so the app's models (in this process or one aloft starts) still get theirs.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOOKUP = "pydantic.plugin._loader"


class _NoPlugins(types.ModuleType):
    """Stands for pydantic's lookup module: `get_plugins` finds none; any other name is served
    by a private copy of the real module, so a newer pydantic that asks for more still works."""

    @staticmethod
    def get_plugins(*args: Any, **kwargs: Any) -> tuple[()]:
        return ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        real = self.__dict__.get("_real")
        if real is None:
            package = sys.modules[LOOKUP.rpartition(".")[0]]
            spec = importlib.machinery.PathFinder.find_spec(LOOKUP, list(package.__path__))
            if spec is None or spec.loader is None:
                raise AttributeError(name)
            real = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(real)
            self.__dict__["_real"] = real
        return getattr(real, name)


@contextmanager
def without_plugins() -> Iterator[None]:
    """pydantic builds the models made in this block with no plugins, then looks them up again."""
    before = sys.modules.get(LOOKUP)
    sys.modules[LOOKUP] = _NoPlugins(LOOKUP)
    try:
        yield
    finally:
        if before is None:
            sys.modules.pop(LOOKUP, None)
        else:
            sys.modules[LOOKUP] = before
