"""CFG005 secret-default: a secret read from the environment with a literal fallback."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import is_env_lookup, secret_like
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, const_str, keyword

ID = "CFG005"
# Numbers, switches and units: `TOKEN_BUDGET="0"`, `AUTH_ENABLED="false"` hold no secret.
NOT_A_SECRET = re.compile(r"(?i)[0-9.,_ ]+[a-z]{0,2}|true|false|yes|no|on|off|none|null")


def check(src: PySource) -> Iterator[SourceHit]:
    yield from _env_or_literal(src)
    yield from _settings_fields(src)
    for node in src.of_type(ast.Call):
        if not isinstance(node, ast.Call) or not node.args or not is_env_lookup(src, node):
            continue
        name = const_str(node.args[0])
        default = node.args[1] if len(node.args) > 1 else keyword(node, "default")
        value = const_str(default)
        if name and secret_like(name) and value and not NOT_A_SECRET.fullmatch(value):
            yield SourceHit.at(default or node, f"secret {name} falls back to a literal default")


def _env_or_literal(src: PySource) -> Iterator[SourceHit]:
    """`os.environ.get("SECRET_KEY") or "dev-secret"`: the same fallback, spelt with `or`."""
    for node in src.of_type(ast.BoolOp):
        if not isinstance(node.op, ast.Or) or len(node.values) < 2:
            continue
        lookup, fallback = node.values[0], node.values[-1]
        if not isinstance(lookup, ast.Call) or not lookup.args or not is_env_lookup(src, lookup):
            continue
        name = const_str(lookup.args[0])
        value = const_str(fallback)
        if name and secret_like(name) and value and not NOT_A_SECRET.fullmatch(value):
            yield SourceHit.at(fallback, f"secret {name} falls back to a literal default")


def _settings_fields(src: PySource) -> Iterator[SourceHit]:
    """`secret_key: str = "..."` in a settings class: the environment may set it, and when it
    does not, every deployment signs with the value in the code."""
    for node in src.of_type(ast.AnnAssign, ast.Assign):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        if id(src.parent(node)) not in src.settings_classes or node.value is None:
            continue
        targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
        value: ast.expr | None = node.value
        if isinstance(value, ast.Call):
            # Only a field declaration (`Field(default=...)`), not a lookup (`os.getenv("X")`).
            called = (src.call_name(value) or "").rsplit(".", 1)[-1]
            if called not in ("Field", "field", "Secret", "SecretStr"):
                continue
            value = keyword(value, "default") or (value.args[0] if value.args else None)
        text = const_str(value)
        for target in targets:
            name = target.id if isinstance(target, ast.Name) else None
            if name and secret_like(name) and text and not NOT_A_SECRET.fullmatch(text):
                yield SourceHit.at(
                    value or node, f"settings field {name} defaults to a literal secret"
                )
