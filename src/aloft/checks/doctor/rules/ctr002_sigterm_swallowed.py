"""CTR002 sigterm-swallowed: SIGTERM ignored, or handled by a function that never stops the
process."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource

ID = "CTR002"
STOPPERS = frozenset(
    {
        "exit",
        "_exit",
        "stop",
        "shutdown",
        "set",
        "cancel",
        "close",
        "kill",
        "terminate",
        "call_soon_threadsafe",
        "create_task",
        "raise_signal",
    }
)
LOG_CALLS = frozenset(
    {"print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)


def check(src: PySource) -> Iterator[SourceHit]:
    defs = {f.name: f.node for f in src.functions}
    for node in src.of_type(ast.Call):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        name = src.call_name(node) or ""
        is_signal = name == "signal.signal" or (
            isinstance(node.func, ast.Attribute) and node.func.attr == "add_signal_handler"
        )
        if not is_signal or not (src.qualname(node.args[0]) or "").endswith("SIGTERM"):
            continue
        handler = node.args[1]
        if src.qualname(handler) == "signal.SIG_IGN":
            yield SourceHit.at(
                node,
                "SIGTERM is ignored (SIG_IGN); the pod is killed at the end of its grace period",
            )
        elif isinstance(handler, ast.Lambda) and _swallows([ast.Expr(handler.body)]):
            yield SourceHit.at(node, "SIGTERM handler does nothing that stops the process")
        elif (
            isinstance(handler, ast.Name)
            and handler.id in defs
            and _swallows(defs[handler.id].body)
        ):
            yield SourceHit.at(
                node,
                f"SIGTERM handler {handler.id}() only logs or passes; the process keeps running",
            )


def _swallows(body: list[ast.stmt]) -> bool:
    """A handler that only passes, logs or returns, so the signal changes nothing."""
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Return) and stmt.value is None):
            continue
        if isinstance(stmt, ast.Expr):
            value = stmt.value
            if isinstance(value, ast.Constant):
                continue  # docstring, `...`, or a lambda returning None
            if isinstance(value, ast.Call):
                called = (
                    value.func.attr
                    if isinstance(value.func, ast.Attribute)
                    else getattr(value.func, "id", "")
                )
                if called in LOG_CALLS and called not in STOPPERS:
                    continue
        return False
    return True
