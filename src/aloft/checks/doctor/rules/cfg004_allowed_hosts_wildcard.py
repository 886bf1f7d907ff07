"""CFG004 allowed-hosts-wildcard: Django's ALLOWED_HOSTS = ['*'] in production settings."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.rules import Hit
from aloft.checks.doctor.source import PySource, const_str

ID = "CFG004"


def check(src: PySource) -> Iterator[Hit]:
    if not src.is_settings:
        return
    for stmt in src.tree.body:
        value: ast.expr | None = None
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "ALLOWED_HOSTS" for t in stmt.targets)
        ) or (
            isinstance(stmt, (ast.AugAssign, ast.AnnAssign))
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id == "ALLOWED_HOSTS"
        ):
            value = stmt.value
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)) and any(
            const_str(e) == "*" for e in value.elts
        ):
            yield Hit.at(stmt, "ALLOWED_HOSTS accepts any Host header ('*')")
