"""Doctor's rules: one module per rule, found by walking this package.

A rule module names its catalog entry with `ID` and defines one of:
- `check(src: PySource) -> Iterable[SourceHit]` for Python files,
- `FILES` (glob patterns) and `check_file(file: TextFile) -> Iterable[SourceHit]` for other files,
- `check_project(index: ProjectIndex) -> Iterable[tuple[str, SourceHit]]` for facts across files,
- `check_config(project: ConfigFile) -> Iterable[SourceHit]` for the project's aloft config (hits
  point into its pyproject.toml); such a rule may define `Settings`, a pydantic model of its
  thresholds, set in [tool.aloft.doctor.rules.ID].
A rule that needs facts from other files defines `summarise(src: PySource) -> object` (small: it is
kept for every module) and reads them back in `check_project` from `index.modules[m].summaries`.
A fixable rule also defines `fix(src: PySource, lines: set[int]) -> str | None`.
Adding a rule is adding a module here and its entry in ../catalog.toml.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from types import ModuleType

from aloft.checks import catalog


@dataclasses.dataclass(frozen=True)
class SourceHit:
    """A rule's raw finding; the engine adds severity, principle and fix from the catalog."""

    line: int
    column: int
    message: str
    end_line: int = 0
    end_column: int = 0

    @classmethod
    def at(cls, node: ast.AST, message: str) -> SourceHit:
        line = getattr(node, "lineno", 1)
        return cls(
            line,
            getattr(node, "col_offset", 0) + 1,
            message,
            getattr(node, "end_lineno", None) or line,
            (getattr(node, "end_col_offset", None) or 0) + 1,
        )


@functools.cache
def rule_modules() -> dict[str, ModuleType]:
    """Rule id -> its module."""
    return catalog.rule_modules(__name__, __path__)
