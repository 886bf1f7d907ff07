"""SLS002 thread-at-import: threads, processes or schedulers started when the module is imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource

ID = "SLS002"

STARTABLE = frozenset(
    {
        "threading.Thread",
        "threading.Timer",
        "multiprocessing.Process",
        "multiprocessing.Pool",
        "apscheduler.schedulers.background.BackgroundScheduler",
        "sched.scheduler",
    }
)
SPAWNING = frozenset({"multiprocessing.Pool", "_thread.start_new_thread", "subprocess.Popen"})
# Pools created at import: their threads or processes exist before the server forks its workers
# (they do not survive fork) and are frozen between Lambda invocations.
POOLS = frozenset(
    {
        "concurrent.futures.ThreadPoolExecutor",
        "concurrent.futures.ProcessPoolExecutor",
        "concurrent.futures.thread.ThreadPoolExecutor",
        "multiprocessing.pool.ThreadPool",
        "multiprocessing.pool.Pool",
    }
)


def check(src: PySource) -> Iterator[SourceHit]:
    started: dict[str, str] = {}  # module-level name -> what it holds
    pools_at_import: set[str] = set()
    for stmt in _import_time_statements(src):
        for node in _walk_statement(stmt):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                kind = _startable(src, node.value)
                if kind:
                    started.update({t.id: kind for t in node.targets if isinstance(t, ast.Name)})
            if not isinstance(node, ast.Call):
                continue
            name = src.call_name(node) or ""
            if name in SPAWNING:
                yield SourceHit.at(node, f"{name}() starts work at import time")
                continue
            if name in POOLS:
                # A pool starts no thread until work is submitted: flag it when that happens here.
                pools_at_import.update(_bound_names(src, node))
                continue
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("submit", "map", "apply_async", "map_async")
                and isinstance(func.value, ast.Name)
                and func.value.id in pools_at_import
            ):
                yield SourceHit.at(node, f"work submitted to pool {func.value.id} at import time")
                continue
            if isinstance(func, ast.Attribute) and func.attr == "start":
                receiver = func.value
                kind = _startable(src, receiver) if isinstance(receiver, ast.Call) else None
                if kind is None and isinstance(receiver, ast.Name):
                    kind = started.get(receiver.id)
                if kind:
                    yield SourceHit.at(node, f"{kind} started at import time")


def _bound_names(src: PySource, call: ast.Call) -> set[str]:
    parent = src.parent(call)
    if isinstance(parent, ast.Assign):
        return {t.id for t in parent.targets if isinstance(t, ast.Name)}
    return set()


def _startable(src: PySource, call: ast.Call) -> str | None:
    name = src.call_name(call) or ""
    return name.rsplit(".", 1)[-1] if name in STARTABLE else None


def _import_time_statements(src: PySource) -> Iterator[ast.stmt]:
    """Module-level statements (and class bodies) that run on import, not under a main guard."""
    stack = list(src.tree.body)
    while stack:
        stmt = stack.pop(0)
        if src.in_main_guard(stmt) or isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(stmt, ast.ClassDef):
            stack.extend(stmt.body)
            continue
        yield stmt


def _walk_statement(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The statement's nodes in source order, not entering functions or lambdas defined in it."""
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        yield node
        children = [
            c
            for c in ast.iter_child_nodes(node)
            if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))
        ]
        stack.extend(reversed(children))
