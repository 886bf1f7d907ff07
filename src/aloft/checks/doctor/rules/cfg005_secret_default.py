"""CFG005 secret-default: a secret read from the environment with a literal fallback."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import is_env_lookup, secret_like
from aloft.checks.doctor.rules import Hit
from aloft.checks.doctor.source import PySource, const_str, keyword

ID = "CFG005"
# Numbers, switches and units: `TOKEN_BUDGET="0"`, `AUTH_ENABLED="false"` hold no secret.
NOT_A_SECRET = re.compile(r"(?i)[0-9.,_ ]+[a-z]{0,2}|true|false|yes|no|on|off|none|null")


def check(src: PySource) -> Iterator[Hit]:
    for node in src.of_type(ast.Call):
        if not isinstance(node, ast.Call) or not node.args or not is_env_lookup(src, node):
            continue
        name = const_str(node.args[0])
        default = node.args[1] if len(node.args) > 1 else keyword(node, "default")
        value = const_str(default)
        if name and secret_like(name) and value and not NOT_A_SECRET.fullmatch(value):
            yield Hit.at(default or node, f"secret {name} falls back to a literal default")
