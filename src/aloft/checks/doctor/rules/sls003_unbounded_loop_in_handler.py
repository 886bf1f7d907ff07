"""SLS003 unbounded-loop-in-handler: a Lambda handler looping over external calls with no bound."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import CLIENT_CONSTRUCTORS
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import Function, PySource

ID = "SLS003"
NETWORK_MODULES = ("requests.", "httpx.", "urllib.request.", "urllib3.")
DEADLINE = "get_remaining_time_in_millis"


def check(src: PySource) -> Iterator[SourceHit]:
    functions = src.reachable(src.handlers("lambda"))
    if any(_mentions_deadline(f) for f in functions):
        return
    module_clients = _clients(src, None)
    for function in functions:
        clients = module_clients | _clients(src, function)
        for node in src.body_nodes(function.node):
            if (
                isinstance(node, ast.While)
                and not _bounded(node.test)
                and _calls_out(src, node, clients)
            ):
                yield SourceHit.at(
                    node,
                    f"loop over external calls in {function.name}() has no bound or deadline check",
                )


def _mentions_deadline(function: Function) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == DEADLINE for n in ast.walk(function.node))


def _clients(src: PySource, function: Function | None) -> set[str]:
    return src.names_bound_to(function, CLIENT_CONSTRUCTORS)


def _bounded(test: ast.expr) -> bool:
    """`while page < MAX_PAGES` or `while attempts <= 3`: a counted loop."""
    return any(
        isinstance(n, ast.Compare)
        and any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in n.ops)
        for n in ast.walk(test)
    )


def _calls_out(src: PySource, loop: ast.While, clients: set[str]) -> bool:
    for node in ast.walk(loop):
        if not isinstance(node, ast.Call):
            continue
        name = src.call_name(node) or ""
        if name.startswith(NETWORK_MODULES):
            return True
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in clients
        ):
            return True
    return False
