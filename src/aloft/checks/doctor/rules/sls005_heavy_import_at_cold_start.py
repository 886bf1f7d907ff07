"""SLS005 heavy-import-at-cold-start: a Lambda handler module importing (directly or through the
project's own modules) a package known to be slow to import."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aloft.checks.doctor.rules import Hit

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


def check_project(index: ProjectIndex) -> Iterator[tuple[str, Hit]]:
    heavy = heavy_packages()
    for facts in index.modules.values():
        if not facts.has_lambda_handler:
            continue
        reported: set[str] = set()
        for line, column, imported in facts.imports:
            for package, chain in _heavy_through(index.modules, imported, heavy, (imported,)):
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
                    Hit(line, column, f"cold start imports {package}{how}{via}", line, 0),
                )


def _heavy_through(
    modules: dict[str, ModuleFacts],
    imported: str,
    heavy: dict[str, Any],
    chain: tuple[str, ...],
    seen: frozenset[str] = frozenset(),
) -> Iterator[tuple[str, tuple[str, ...]]]:
    top = imported.split(".", maxsplit=1)[0]
    if top in heavy:
        yield top, chain
        return
    local = imported if imported in modules else None
    if local is None or local in seen:
        return
    for _, _, next_import in modules[local].imports:
        yield from _heavy_through(
            modules, next_import, heavy, (*chain, next_import), seen | {local}
        )
