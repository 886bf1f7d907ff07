"""SLS006 thread-per-request: a request handler starts a new thread or process each time."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource

ID = "SLS006"

SPAWNERS = frozenset(
    {
        "threading.Thread",
        "threading.Timer",
        "multiprocessing.Process",
        "_thread.start_new_thread",
        "concurrent.futures.ThreadPoolExecutor",
        "concurrent.futures.ProcessPoolExecutor",
    }
)


def check(src: PySource) -> Iterator[SourceHit]:
    seen: set[int] = set()
    for function in src.reachable(src.handlers()):
        singletons = src.global_names(function)
        for node in src.body_nodes(function.node):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in singletons for t in node.targets
            ):
                seen.update(id(n) for n in ast.walk(node.value))  # started once, kept global
            if not isinstance(node, ast.Call) or id(node) in seen:
                continue
            name = src.call_name(node) or ""
            if name in SPAWNERS:
                seen.add(id(node))
                what = name.rsplit(".", 1)[-1]
                yield SourceHit.at(
                    node,
                    f"{what}() in {function.name}() starts a new one on every request: "
                    "unbounded under load, and its work is lost when the replica stops",
                )
