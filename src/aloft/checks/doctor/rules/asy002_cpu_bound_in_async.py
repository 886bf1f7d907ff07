"""ASY002 cpu-bound-in-async: password hashing or large loops that never await, inside async def."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import CPU_HEAVY
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource

ID = "ASY002"
BIG_LOOP = 100_000


def check(src: PySource) -> Iterator[SourceHit]:
    for function in src.functions:
        if not function.is_async:
            continue
        for node in src.body_nodes(function.node):
            if isinstance(node, ast.Call):
                name = src.call_name(node) or ""
                if name in CPU_HEAVY:
                    yield SourceHit.at(
                        node,
                        f"{CPU_HEAVY[name]} runs on the event loop in async def {function.name}",
                    )
            elif isinstance(node, ast.For) and _big_range(node.iter) and not _awaits(node):
                yield SourceHit.at(
                    node,
                    f"{_big_range(node.iter):,}-step loop without an await in {function.name}()",
                )
            elif (
                isinstance(node, ast.While)
                and _always_true(node.test)
                and not _awaits(node)
                and not _exits(node)
            ):
                yield SourceHit.at(
                    node,
                    f"while True loop without an await never yields the loop in {function.name}()",
                )


def _big_range(node: ast.expr) -> int:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and node.args
    ):
        stop = node.args[-1] if len(node.args) <= 2 else node.args[1]
        value = _int(stop)
        if value is not None and value >= BIG_LOOP:
            return value
    return 0


def _int(node: ast.expr) -> int | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Pow)):
        left, right = _int(node.left), _int(node.right)
        if left is not None and right is not None and right < 64:
            return left * right if isinstance(node.op, ast.Mult) else left**right
    return None


def _always_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def _awaits(node: ast.AST) -> bool:
    return any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for n in ast.walk(node))


def _exits(node: ast.While) -> bool:
    return any(isinstance(n, (ast.Break, ast.Return, ast.Raise)) for n in ast.walk(node))
