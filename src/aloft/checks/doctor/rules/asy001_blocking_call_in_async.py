"""ASY001 blocking-call-in-async: sleeping, sync HTTP, sync drivers or subprocess waits in async
def."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import BLOCKING_CALLS, BLOCKING_MODULES, HTTPX_SYNC, SYNC_CLIENTS
from aloft.checks.doctor.rules import Hit
from aloft.checks.doctor.source import Function, PySource, argument, const_str

ID = "ASY001"
READ_METHODS = frozenset({"read", "readlines", "read_text", "read_bytes"})


def check(src: PySource) -> Iterator[Hit]:
    if src.is_script:
        return  # a command-line program's event loop serves no one else while it waits
    module_clients = _sync_clients(src, None)
    for function in src.functions:
        if not function.is_async:
            continue
        clients = module_clients | _sync_clients(src, function)
        local = src.local_names(function)
        for node in src.body_nodes(function.node):
            if isinstance(node, ast.Call):
                reason = _blocking(src, node, clients, local)
                if reason:
                    yield Hit.at(node, f"{reason} (in async def {function.name})")


def _sync_clients(src: PySource, function: Function | None) -> set[str]:
    """Names bound to synchronous clients (module level, or locals of `function`)."""
    names = set()
    bindings = (
        src.constants.items()
        if function is None
        else (
            (n.id, node.value)
            for node in src.body_nodes(function.node)
            if isinstance(node, ast.Assign)
            for n in node.targets
            if isinstance(n, ast.Name)
        )
    )
    for name, value in bindings:
        if isinstance(value, ast.Call) and src.call_name(value) in SYNC_CLIENTS:
            names.add(name)
    return names


def _blocking(src: PySource, call: ast.Call, clients: set[str], local: set[str]) -> str | None:
    name = src.call_name(call) or ""
    if name in BLOCKING_CALLS:
        return BLOCKING_CALLS[name]
    top, _, rest = name.partition(".")
    if top == "httpx" and rest in HTTPX_SYNC:
        return f"httpx.{rest}() is synchronous HTTP; use httpx.AsyncClient"
    if (
        top in BLOCKING_MODULES
        and _module_function(rest)
        and top in src.imports
        and top not in local
    ):
        return f"{name}(): {BLOCKING_MODULES[top]}"
    func = call.func
    if isinstance(func, ast.Attribute):
        receiver = func.value
        if (
            isinstance(receiver, ast.Name)
            and receiver.id in clients
            and func.attr not in ("close",)
        ):
            return f"{receiver.id}.{func.attr}() calls a synchronous client"
        if func.attr in ("wait", "communicate") and _is_popen(src, receiver):
            return f"Popen.{func.attr}() waits for the child process"
        if func.attr in READ_METHODS and _opens_file(src, receiver):
            return "reading a whole file in async def blocks on disk I/O; use asyncio.to_thread"
    return None


def _module_function(rest: str) -> bool:
    """`requests.get`, `sqlite3.connect`: a module-level function, not a class, an exception
    (`requests.exceptions.HTTPError`) or a lazy client factory (`boto3.client`)."""
    return (
        bool(rest)
        and "." not in rest
        and rest[:1].islower()
        and rest not in ("client", "resource", "session")
    )


def _is_popen(src: PySource, node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and src.call_name(node) == "subprocess.Popen"


def _opens_file(src: PySource, node: ast.AST) -> bool:
    """open(...).read() or Path(...).read_text() on a path that is not a small literal config."""
    if isinstance(node, ast.Call) and src.call_name(node) in ("open", "io.open"):
        return const_str(argument(node, 1, "mode")) in (None, "r", "rb", "rt")
    return isinstance(node, ast.Call) and src.call_name(node) in ("pathlib.Path", "Path")
