"""CFG003 debug-enabled: debug mode switched on in code rather than by environment."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import PurePosixPath

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, const_str, target_name

ID = "CFG003"
DEV_WORDS = ("dev", "local", "test", "debug")
WEB_DEBUG_CALLS = frozenset(
    {"FastAPI", "Starlette", "Flask", "Quart", "Sanic", "Litestar", "run", "run_simple", "serve"}
)
WEB_FRAMEWORKS = frozenset(
    {
        "fastapi",
        "starlette",
        "flask",
        "quart",
        "sanic",
        "litestar",
        "werkzeug",
        "uvicorn",
        "aiohttp",
    }
)
BASE_SETTINGS = frozenset({"base", "common", "defaults", "default", "shared", "base_settings"})


def check(src: PySource) -> Iterator[SourceHit]:
    stem = PurePosixPath(src.filename).stem.lower()
    if any(word in stem for word in DEV_WORDS):
        return
    # settings/base.py, common.py: the environment's own module imports it and sets DEBUG.
    if stem in BASE_SETTINGS and (src.is_settings or "settings" in src.parts[:-1]):
        return
    for node in src.of_type(ast.Assign, ast.Call):
        if isinstance(node, ast.Assign) and _is_true(node.value):
            for target in node.targets:
                if _debug_target(src, node, target):
                    yield SourceHit.at(node, "debug mode is switched on in code")
        elif isinstance(node, ast.Call) and _web_call(src, node):
            for kw in node.keywords:
                if kw.arg in ("debug", "DEBUG") and _is_true(kw.value):
                    yield SourceHit.at(
                        kw, f"{_called(node)}(debug=True) switches debug mode on in code"
                    )


def _debug_target(src: PySource, stmt: ast.Assign, target: ast.expr) -> bool:
    name = target_name(target)
    if isinstance(target, ast.Name):
        # Module level (settings) or a config class other than a development one.
        cls = _enclosing_class(src, stmt)
        if cls is not None and any(w in cls.name.lower() for w in DEV_WORDS):
            return False
        return name == "DEBUG" and (cls is not None or stmt in src.tree.body)
    if isinstance(target, ast.Attribute):
        return target.attr == "debug"  # app.debug = True
    if isinstance(target, ast.Subscript):
        return const_str(target.slice) == "DEBUG"  # app.config["DEBUG"] = True
    return False


def _enclosing_class(src: PySource, node: ast.AST) -> ast.ClassDef | None:
    parent = src.parent(node)
    return parent if isinstance(parent, ast.ClassDef) else None


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _called(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return getattr(func, "id", "call")


def _web_call(src: PySource, call: ast.Call) -> bool:
    """A web framework's app or server (`FastAPI(debug=True)`, `app.run(debug=True)`), not a
    library's own debug switch (`Apprise(debug=True)` only logs more)."""
    name = src.call_name(call) or ""
    return name.rsplit(".", 1)[-1] in WEB_DEBUG_CALLS or name.split(".")[0] in WEB_FRAMEWORKS
