"""Where a path expression comes from, followed through assignments, joins and f-strings.

Rules about the local filesystem only speak when they know: a literal path or one relative to the
source tree is on the container's disk; a temp dir is fine; a parameter or an environment variable
is the caller's or the operator's choice, so it stays quiet.
"""

from __future__ import annotations

import ast
from typing import Literal

from aloft.checks.doctor.source import Function, PySource, const_str

Origin = Literal["temp", "literal", "source", "env", "unknown"]

TEMP_PREFIXES = ("/tmp", "/var/tmp", "/dev/", "/proc/", "/run/secrets")
PASS_THROUGH = frozenset(
    {
        "os.path.join",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.expanduser",
        "os.path.normpath",
        "os.path.dirname",
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
        "os.fspath",
        "str",
        "Path",
    }
)
PASS_THROUGH_METHODS = frozenset(
    {
        "joinpath",
        "with_suffix",
        "with_name",
        "resolve",
        "absolute",
        "expanduser",
        "format",
        "replace",
    }
)


def path_origin(
    src: PySource, expr: ast.AST | None, function: Function | None, depth: int = 0
) -> tuple[Origin, str]:
    if expr is None or depth > 12:
        return "unknown", ""
    text = const_str(expr)
    if text is not None:
        if text.startswith(TEMP_PREFIXES) or text == ":memory:":
            return "temp", text
        return "literal", text
    if isinstance(expr, ast.JoinedStr):
        first = expr.values[0] if expr.values else None
        if isinstance(first, ast.FormattedValue):
            return path_origin(src, first.value, function, depth + 1)
        return path_origin(src, first, function, depth + 1)
    if isinstance(expr, ast.BinOp):
        return path_origin(src, expr.left, function, depth + 1)
    if isinstance(expr, ast.Call):
        name = src.call_name(expr) or ""
        if name.startswith("tempfile."):
            return "temp", name
        if name in ("os.getcwd", "pathlib.Path.cwd", "Path.cwd"):
            return "literal", "."
        if name.startswith(("os.environ", "os.getenv")):
            return "env", name
        if name in PASS_THROUGH:
            return (
                path_origin(src, expr.args[0], function, depth + 1)
                if expr.args
                else ("literal", ".")
            )
        if isinstance(expr.func, ast.Attribute) and expr.func.attr in PASS_THROUGH_METHODS:
            return path_origin(src, expr.func.value, function, depth + 1)
        return "unknown", ""
    if isinstance(expr, ast.Attribute) and expr.attr in ("parent", "parents"):
        return path_origin(src, expr.value, function, depth + 1)
    if isinstance(expr, ast.Subscript):
        base = src.qualname(expr.value) or ""
        if base.startswith("os.environ"):
            return "env", base
        return "unknown", ""
    if isinstance(expr, ast.Name):
        if expr.id == "__file__":
            return "source", "__file__"
        if function is not None and expr.id in src.local_names(function):
            if expr.id in function.params:
                return "unknown", ""
            values = src.assignments_in(function, expr.id)
            if len(values) == 1:
                return path_origin(src, values[0], function, depth + 1)
            return "unknown", ""
        if expr.id in src.constants:
            return path_origin(src, src.constants[expr.id], None, depth + 1)
    return "unknown", ""


def on_local_disk(origin: Origin) -> bool:
    return origin in ("literal", "source")
