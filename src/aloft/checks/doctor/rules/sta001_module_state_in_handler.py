"""STA001 module-state-in-handler: a module-level container written while serving requests."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
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
FRAMEWORK_OBJECTS = frozenset(
    {
        "fastapi.FastAPI",
        "fastapi.APIRouter",
        "starlette.applications.Starlette",
        "flask.Flask",
        "flask.Blueprint",
        "quart.Quart",
        "sanic.Sanic",
    }
)
CONTAINER_NAME = re.compile(r"(?i)(cache|registry|store|memo|counter|seen|pending)")
KINDS = re.compile(r"(?i)(session|cache|rate|limit|count|visit|hit|user|token|cart)")


def check(src: PySource) -> Iterator[SourceHit]:
    containers = {name for name, value in src.constants.items() if _mutable(src, value)}
    imported = _project_imports(src)
    frameworks = {
        name
        for name, value in src.constants.items()
        if isinstance(value, ast.Call) and src.call_name(value) in FRAMEWORK_OBJECTS
    }
    yield from _framework_writes(src, frameworks)
    containers |= imported
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
                yield SourceHit.at(node, _message(name, function))


def _project_imports(src: PySource) -> set[str]:
    """Names imported from the project's own modules (`from .cache import RESULTS`): a module's
    container written from another module is the same per-process state."""
    names: set[str] = set()
    package = src.module.split(".")[0]
    for node in src.of_type(ast.ImportFrom):
        if not isinstance(node, ast.ImportFrom):
            continue
        local = node.level > 0 or (node.module or "").split(".")[0] == package
        if local and src.enclosing_function(node) is None:
            # Only names that read as containers: a database session's .add() is no cache write.
            names.update(
                a.asname or a.name
                for a in node.names
                if a.name != "*" and (a.name.isupper() or CONTAINER_NAME.search(a.name))
            )
    return names


def _framework_writes(src: PySource, frameworks: set[str]) -> Iterator[SourceHit]:
    """`app.state.visits += 1`, `app.config["LAST"] = ...` in a handler: per-process state on a
    module-level framework object."""
    if not frameworks:
        return
    for function in src.reachable(src.handlers()):
        local = src.local_names(function)
        for node in src.body_nodes(function.node):
            if not isinstance(node, (ast.Assign, ast.AugAssign)):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                root = target
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    root = root.value
                if (
                    target is not root
                    and isinstance(root, ast.Name)
                    and root.id in frameworks
                    and root.id not in local
                ):
                    yield SourceHit.at(
                        node,
                        f"{root.id} (a module-level {_kind(src, root.id)}) is written by request "
                        f"handler {function.name}(); each replica and worker keeps its own",
                    )


def _kind(src: PySource, name: str) -> str:
    value = src.constants[name]
    called = src.call_name(value) if isinstance(value, ast.Call) else None
    return (called or "object").rsplit(".", 1)[-1]


def _memoized(src: PySource, function: Function, containers: set[str]) -> set[str]:
    """Containers the function uses as a memo: it looks a key up (`C.get(k)`, `C[k]`, `k in C`)
    and stores under that same key. Each replica computing the same derived value (a file's
    fingerprint, a parsed template) is harmless; only state that differs per replica is not."""
    read: dict[tuple[str, str], int] = {}
    stored: dict[tuple[str, str], int] = {}

    def note(table: dict[tuple[str, str], int], key: tuple[str, str], line: int) -> None:
        table[key] = min(line, table.get(key, line))

    for node in src.body_nodes(function.node):
        line = getattr(node, "lineno", 0)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.args
        ):
            note(read, (node.func.value.id, ast.dump(node.args[0])), line)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            pair = (node.value.id, ast.dump(node.slice))
            note(stored if isinstance(node.ctx, ast.Store) else read, pair, line)
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], (ast.In, ast.NotIn))
            and isinstance(node.comparators[0], ast.Name)
        ):
            note(read, (node.comparators[0].id, ast.dump(node.left)), line)
    # A memo looks the key up first, then fills it in.
    return {
        name
        for (name, key), line in stored.items()
        if name in containers and read.get((name, key), line) < line
    }


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
