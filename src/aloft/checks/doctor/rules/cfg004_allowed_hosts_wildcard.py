"""CFG004 allowed-hosts-wildcard: Django's ALLOWED_HOSTS = ['*'] in production settings."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import is_env_lookup
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, const_str, keyword

ID = "CFG004"


def check(src: PySource) -> Iterator[SourceHit]:
    yield from _env_default(src)
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
            yield SourceHit.at(stmt, "ALLOWED_HOSTS accepts any Host header ('*')")


def _env_default(src: PySource) -> Iterator[SourceHit]:
    """`getenv("ALLOWED_HOSTS", "*")`: every deployment that forgets the variable accepts any
    Host header."""
    for node in src.of_type(ast.Call):
        if not is_env_lookup(src, node) or not node.args:
            continue
        if const_str(node.args[0]) != "ALLOWED_HOSTS":
            continue
        default = node.args[1] if len(node.args) > 1 else keyword(node, "default")
        text = const_str(default)
        if text is not None and "*" in [h.strip() for h in text.split(",")]:
            yield SourceHit.at(default or node, "ALLOWED_HOSTS falls back to '*' (any Host header)")
