"""SLS005 heavy-import-at-cold-start: a Lambda handler module importing (directly or through the
project's own modules) a package known to be slow to import."""

from __future__ import annotations

import collections
import functools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aloft.checks.doctor.rules import SourceHit

if TYPE_CHECKING:
    from aloft.checks.doctor.engine import ModuleFacts, ProjectIndex

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ID = "SLS005"
COSTS_PATH = Path(__file__).parent.parent / "import_costs.toml"


@functools.cache
def heavy_packages() -> dict[str, dict[str, Any]]:
    with COSTS_PATH.open("rb") as fh:
        packages: dict[str, dict[str, Any]] = tomllib.load(fh)["packages"]
    return packages


def check_project(index: ProjectIndex) -> Iterator[tuple[str, SourceHit]]:
    heavy = heavy_packages()
    for facts in index.modules.values():
        if not facts.has_lambda_handler:
            continue
        reported: set[str] = set()
        # Shared by all of this module's import lines: each project module is visited once, so a
        # large, densely importing project costs modules + imports, not every path through them.
        visited: set[str] = set()
        for line, column, imported in facts.imports:
            for package, chain in _heavy_through(index.modules, imported, heavy, visited):
                if package in reported:
                    continue
                reported.add(package)
                cost = heavy[package].get("ms")
                how = f" (about {cost} ms measured)" if cost else ""
                via = (
                    f" via {' -> '.join(chain)}"
                    if chain[-1].split(".")[0] != imported.split(".")[0]
                    else ""
                )
                yield (
                    facts.rel,
                    SourceHit(line, column, f"cold start imports {package}{how}{via}", line, 0),
                )


def _heavy_through(
    modules: dict[str, ModuleFacts], imported: str, heavy: dict[str, Any], visited: set[str]
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Heavy packages reachable from `imported`, each with its shortest import chain, breadth
    first; modules already in `visited` are not entered again."""
    queue: collections.deque[tuple[str, tuple[str, ...]]] = collections.deque(
        [(imported, (imported,))]
    )
    while queue:
        name, chain = queue.popleft()
        top = name.split(".", maxsplit=1)[0]
        if top in heavy:
            yield top, chain
            continue
        if name not in modules or name in visited:
            continue
        visited.add(name)
        for _, _, next_import in modules[name].imports:
            queue.append((next_import, (*chain, next_import)))
