"""CTR003 local-config-file: configuration read from a fixed local path, not the environment."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from aloft.checks.doctor.paths import path_origin
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, argument, const_str

ID = "CTR003"

CONFIG_FILE = re.compile(
    r"(?i)^(\.env(\..+)?|.*(config|settings|secrets?|credentials?|conf)[^/]*\.(ini|cfg|conf|ya?ml|toml|json|env)|.*\.(ini|cfg|conf))$"
)


def check(src: PySource) -> Iterator[SourceHit]:
    for node in src.of_type(ast.Call):
        if not isinstance(node, ast.Call) or src.in_main_guard(node):
            continue
        target = _read_path(src, node)
        if target is None:
            continue
        origin, text = path_origin(src, target, src.enclosing_function(node))
        if origin == "literal" and CONFIG_FILE.match(PurePosixPath(text).name):
            yield SourceHit.at(node, f"reads config from the local file {text!r}")


def _read_path(src: PySource, call: ast.Call) -> ast.expr | None:
    name = src.call_name(call) or ""
    func = call.func
    if name in ("open", "io.open"):
        mode = const_str(argument(call, 1, "mode")) or "r"
        return argument(call, 0, "file") if "r" in mode and "+" not in mode else None
    if isinstance(func, ast.Attribute):
        if func.attr in ("read", "read_file") and call.args and _is_config_parser(src, func.value):
            return call.args[0]
        if func.attr in ("read_text", "read_bytes") and not call.args:
            return func.value
    return None


def _is_config_parser(src: PySource, node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return (src.call_name(node) or "").startswith("configparser.")
    if isinstance(node, ast.Name):
        value = src.constants.get(node.id)
        function_values = []
        for function in src.functions:
            function_values += src.assignments_in(function, node.id)
        return any(
            isinstance(v, ast.Call) and (src.call_name(v) or "").startswith("configparser.")
            for v in [value, *function_values]
            if v is not None
        )
    return False
