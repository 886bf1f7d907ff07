"""CFG001 hardcoded-secret: credentials and tokens written into the code."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import is_env_lookup, looks_random, secret_like
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, const_str, target_name
from aloft.runtime.secretshape import secret_in_value

ID = "CFG001"
ENUM_LIKE = re.compile(r"[A-Z]+[0-9]*(_[A-Z]+[0-9]*)+|[a-z]+([_.:-][a-z]+)+")


def check(src: PySource) -> Iterator[SourceHit]:
    reported: set[int] = set()
    for node in src.of_type(ast.Constant):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in src.docstrings
        ):
            if is_env_lookup(src, src.parent(node)):
                continue  # a default for a variable: CFG005's business
            message = _known_format(node.value)
            if message:
                reported.add(id(node))
                yield SourceHit.at(node, message)
    for binding in src.of_type(
        ast.Assign, ast.AnnAssign, ast.keyword, ast.Dict, ast.FunctionDef, ast.AsyncFunctionDef
    ):
        for name, value in _bindings(binding):
            text = const_str(value)
            if text is None or id(value) in reported or not secret_like(name):
                continue
            if looks_random(text) and not _names_itself(name, text):
                reported.add(id(value))
                yield SourceHit.at(value, f"{name} is set to a literal secret in the code")


def _names_itself(name: str | None, text: str) -> bool:
    """An enum member, error code or event name: `USER_TOKEN_GENERATED = "USER_TOKEN_GENERATED"`,
    `FORGOT_PASSWORD = "forgot_password"`, or any UPPER_SNAKE identifier. A value that names
    something is not a secret, however long."""
    if name and text.lower().replace("-", "_") == name.lower():
        return True
    return bool(ENUM_LIKE.fullmatch(text))


def _known_format(text: str) -> str | None:
    shape = secret_in_value(text)
    return f"hard-coded secret in a string literal: {shape}" if shape else None


def _bindings(node: ast.AST) -> Iterator[tuple[str | None, ast.expr]]:
    """(name, value) pairs where a value is bound to a name: assignments, keywords, dict items."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield target_name(target), node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        yield target_name(node.target), node.value
    elif isinstance(node, ast.keyword) and node.arg:
        yield node.arg, node.value
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                yield const_str(key), value
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        for arg, default in zip(
            positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
        ):
            yield arg.arg, default
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if kw_default is not None:
                yield arg.arg, kw_default
