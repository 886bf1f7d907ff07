"""The resolved config as the user writes it: TOML keys and values, each with where it came from.

`aloft config show` prints this; `--output json` prints `settings()`. Keys are the TOML ones
(`lambda`, never the model's `lambda_`), values are TOML or JSON values (never Python reprs).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aloft.config.loader import ResolvedConfig

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def origins(resolved: ResolvedConfig) -> dict[str, str]:
    """The origin of every explicitly set value; the default service name comes from [project]."""
    found = dict(resolved.origins)
    if resolved.origin("service") == "default":
        found["service"] = f"{resolved.pyproject.name} [project] name"
    return found


def settings(resolved: ResolvedConfig) -> dict[str, dict[str, Any]]:
    """Every setting as dotted TOML key -> {"value": JSON value, "origin": where it came from}."""
    from aloft.config.loader import DEFAULT, flatten

    where = origins(resolved)
    return {
        key: {"value": value, "origin": where.get(key, DEFAULT)}
        for key, value in flatten(resolved.config).items()
    }


def to_toml(resolved: ResolvedConfig) -> str:
    """A `[tool.aloft]` document of every resolved value, its origin as a trailing comment.

    TOML has no null: an unset optional value is a comment line, so the text still parses.
    """
    from aloft.config.loader import DEFAULT, leaves

    where = origins(resolved)
    header = f"# {resolved.pyproject}"
    if resolved.environment:
        header += f" (environment {resolved.environment})"
    lines = [header]
    tables: dict[tuple[str, ...], list[tuple[str, Any, str]]] = {}
    for path, value in leaves(resolved.config).items():
        origin = where.get(".".join(path), DEFAULT)
        tables.setdefault(path[:-1], []).append((path[-1], value, origin))
    for table, rows in tables.items():
        lines.append("")
        lines.append("[" + ".".join(_key(part) for part in ("tool", "aloft", *table)) + "]")
        width = max(len(_key(key)) for key, _, _ in rows)
        for key, value, origin in rows:
            if value is None:
                lines.append(f"# {_key(key)} is unset  # {origin}")
            else:
                lines.append(f"{_key(key).ljust(width)} = {toml_value(value)}  # {origin}")
    return "\n".join(lines) + "\n"


def toml_value(value: Any) -> str:
    """One TOML value (inline form) for a JSON-shaped Python value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string, except that TOML also escapes DEL.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_value(key)
