"""STA001 module-state-in-handler: a module-level container written while serving requests."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from aloft.checks.doctor.rules import Hit
from aloft.checks.doctor.source import Function, PySource

ID = "STA001"

MUTABLE_FACTORIES = frozenset(
    {
        "dict",
        "list",
        "set",
        "collections.defaultdict",
        "collections.OrderedDict",
        "collections.Counter",
        "collections.deque",
        "cachetools.TTLCache",
        "cachetools.LRUCache",
        "cachetools.Cache",
    }
)
MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "add",
        "update",
        "setdefault",
        "pop",
        "popitem",
        "remove",
        "discard",
        "clear",
        "appendleft",
        "__setitem__",
    }
)
KINDS = re.compile(r"(?i)(session|cache|rate|limit|count|visit|hit|user|token|cart)")


def check(src: PySource) -> Iterator[Hit]:
    containers = {name for name, value in src.constants.items() if _mutable(src, value)}
    if not containers:
        return
    seen: set[tuple[int, str]] = set()
    for function in src.reachable(src.handlers()):
        local = src.local_names(function)
        memos = _memoized(src, function, containers)
        for node in src.body_nodes(function.node):
            name = _written(node, local)
            if name in containers and name not in memos and (node.lineno, name) not in seen:  # type: ignore[attr-defined]
                seen.add((node.lineno, name))  # type: ignore[attr-defined]
                yield Hit.at(node, _message(name, function))


def _memoized(src: PySource, function: Function, containers: set[str]) -> set[str]:
    """Containers the function uses as a memo: it looks a key up (`C.get(k)`, `C[k]`, `k in C`)
    and stores under that same key. Each replica computing the same derived value (a file's
    fingerprint, a parsed template) is harmless; only state that differs per replica is not."""
    read: set[tuple[str, str]] = set()
    stored: set[tuple[str, str]] = set()
    for node in src.body_nodes(function.node):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.args
        ):
            read.add((node.func.value.id, ast.dump(node.args[0])))
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            pair = (node.value.id, ast.dump(node.slice))
            (stored if isinstance(node.ctx, ast.Store) else read).add(pair)
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], (ast.In, ast.NotIn))
            and isinstance(node.comparators[0], ast.Name)
        ):
            read.add((node.comparators[0].id, ast.dump(node.left)))
    return {name for name, key in stored & read if name in containers}


def _mutable(src: PySource, value: ast.expr) -> bool:
    if isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    return isinstance(value, ast.Call) and src.call_name(value) in MUTABLE_FACTORIES


def _written(node: ast.AST, local: set[str]) -> str | None:
    """The global container name this statement writes, if any."""
    target: ast.expr | None = None
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            if isinstance(t, ast.Subscript):
                target = t.value
            elif isinstance(node, ast.AugAssign) and isinstance(t, ast.Name):
                target = t  # counter list += [...] on a global
    elif isinstance(node, ast.Delete):
        target = next((t.value for t in node.targets if isinstance(t, ast.Subscript)), None)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in MUTATORS
    ):
        target = node.func.value
    if isinstance(target, ast.Subscript):  # STORE[user][key] = value
        target = target.value
    if isinstance(target, ast.Name) and target.id not in local:
        return target.id
    return None


def _message(name: str, function: Function) -> str:
    what = "module-level container"
    match = KINDS.search(name)
    if match:
        what = f"in-process {match.group(1).lower()} store"
    return (
        f"{what} {name} is written by request handler {function.name}(); "
        "each replica keeps its own copy"
    )
