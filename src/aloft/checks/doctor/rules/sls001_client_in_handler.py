"""SLS001 client-in-handler: clients and pools built on every invocation instead of once at init."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import CLIENT_CONSTRUCTORS, POOL_CONSTRUCTORS
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import Function, PySource

ID = "SLS001"
CACHES = frozenset({"functools.lru_cache", "functools.cache", "functools.cached_property"})


def check(src: PySource) -> Iterator[SourceHit]:
    lambdas = src.handlers("lambda")
    web = src.handlers("route", "view")
    seen: set[int] = set()
    for roots, constructors, where in (
        (lambdas, CLIENT_CONSTRUCTORS, "each invocation"),
        (web, POOL_CONSTRUCTORS, "each request"),
    ):
        for function in src.reachable(roots):
            if _cached(src, function):
                continue
            kept = src.global_names(function)
            for node in src.body_nodes(function.node):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in kept for t in node.targets
                ):
                    seen.update(
                        id(n) for n in ast.walk(node.value)
                    )  # lazy init into a global: created once
                if (
                    isinstance(node, ast.Call)
                    and id(node) not in seen
                    and src.call_name(node) in constructors
                ):
                    seen.add(id(node))
                    yield SourceHit.at(
                        node, f"{src.call_name(node)}() in {function.name}() runs on {where}"
                    )


def _cached(src: PySource, function: Function) -> bool:
    for decorator in function.node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if src.qualname(target) in CACHES:
            return True
    return False
