"""ASY001 blocking-call-in-async: sleeping, sync HTTP, sync drivers or subprocess waits in async
def."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aloft.checks.doctor.knowledge import BLOCKING_CALLS, BLOCKING_MODULES, HTTPX_SYNC, SYNC_CLIENTS
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import Function, PySource, argument, const_str

if TYPE_CHECKING:
    from aloft.checks.doctor.engine import ProjectIndex

ID = "ASY001"
# Start-up and shutdown hooks run before the first request or after the last: a blocking call
# there delays readiness, it does not stall requests.
START_UP = frozenset({"lifespan", "startup", "on_startup", "shutdown", "on_shutdown", "main"})
READ_METHODS = frozenset({"read", "readlines", "read_text", "read_bytes"})


def check(src: PySource) -> Iterator[SourceHit]:
    if src.is_script:
        return  # a command-line program's event loop serves no one else while it waits
    if not any(f.is_async for f in src.functions):
        return
    module_clients = _sync_clients(src, None)
    attribute_clients = _attribute_clients(src)
    helpers = _Helpers(src, module_clients, attribute_clients)
    for function in src.functions:
        if not function.is_async or function.name in START_UP:
            continue
        clients = module_clients | _sync_clients(src, function)
        local = src.local_names(function)
        for node in src.body_nodes(function.node):
            if not isinstance(node, ast.Call):
                continue
            reason = _blocking(src, node, clients, local) or _attribute_client_call(
                node, function, attribute_clients
            )
            if reason is None and not _awaited(src, node):
                reason = helpers.reason(node, function, local)
            if reason:
                yield SourceHit.at(node, f"{reason} (in async def {function.name})")


@dataclasses.dataclass(frozen=True)
class Summary:
    """What other modules need: this module's blocking top-level functions, and the calls its
    async functions make to functions of other modules (by qualified name)."""

    blocking: dict[str, str]
    calls: list[tuple[SourceHit, str, str]]  # (where, qualified callee, async caller)


def summarise(src: PySource) -> Summary:
    helpers = _Helpers(src, _sync_clients(src, None), _attribute_clients(src))
    blocking: dict[str, str] = {}
    for function in src.functions:
        if function.top_level and not function.is_async:
            reason = helpers.blocks(function)
            if reason:
                blocking[function.name] = reason
    calls: list[tuple[SourceHit, str, str]] = []
    if not src.is_script:
        for function in src.functions:
            if not function.is_async or function.name in START_UP:
                continue
            local = src.local_names(function)
            for node in src.body_nodes(function.node):
                if (
                    isinstance(node, ast.Call)
                    and not _awaited(src, node)
                    and helpers.target(node, function, local) is None
                    and not (isinstance(node.func, ast.Name) and node.func.id in local)
                ):
                    name = src.call_name(node)
                    if name and "." in name and name.split(".")[0] not in BLOCKING_MODULES:
                        calls.append((SourceHit.at(node, ""), name, function.name))
    return Summary(blocking, calls)


def check_project(index: ProjectIndex) -> Iterator[tuple[str, SourceHit]]:
    """Blocking helpers of one module called from async code in another."""
    for facts in index.modules.values():
        summary = facts.summaries.get(ID)
        if not isinstance(summary, Summary):
            continue
        for where, qualified, caller in summary.calls:
            module, _, name = qualified.rpartition(".")
            other = index.modules.get(module)
            theirs = other.summaries.get(ID) if other else None
            if not isinstance(theirs, Summary) or name not in theirs.blocking:
                continue
            message = f"{qualified}() blocks: {theirs.blocking[name]} (in async def {caller})"
            yield facts.rel, dataclasses.replace(where, message=message)


class _Helpers:
    """The module's synchronous functions and methods that block, directly or through each
    other, so `await`-less calls to them from async code are caught at the call site."""

    def __init__(self, src: PySource, clients: set[str], attributes: dict[str, set[str]]) -> None:
        self.src = src
        self.clients = clients
        self.attributes = attributes
        self.by_name = {f.name: f for f in src.functions if f.top_level and not f.is_async}
        self.methods: dict[tuple[str | None, str], Function] = {
            (f.class_name, f.name): f for f in src.functions if f.class_name and not f.is_async
        }
        # Module-level objects built from the module's own classes: `repo = OrderRepo()`.
        classes = {c.name for c in src.of_type(ast.ClassDef)}
        self.instances = {
            name: value.func.id
            for name, value in src.constants.items()
            if isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in classes
        }
        self.memo: dict[int, str | None] = {}

    def target(self, call: ast.Call, caller: Function, local: set[str]) -> Function | None:
        func = call.func
        if isinstance(func, ast.Name) and func.id not in local:
            return self.by_name.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = func.value.id
            if owner in ("self", "cls"):
                return self.methods.get((caller.class_name, func.attr))
            if owner in self.instances and owner not in local:
                return self.methods.get((self.instances[owner], func.attr))
        return None

    def reason(self, call: ast.Call, caller: Function, local: set[str]) -> str | None:
        callee = self.target(call, caller, local)
        if callee is None:
            return None
        inner = self.blocks(callee)
        return f"{callee.name}() blocks: {inner}" if inner else None

    def blocks(self, function: Function) -> str | None:
        """Why `function` blocks, or None; depth-first with an explicit stack, each once."""
        key = id(function.node)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None  # a cycle does not block by itself
        clients = self.clients | _sync_clients(self.src, function)
        local = self.src.local_names(function)
        found: str | None = None
        for node in self.src.body_nodes(function.node):
            if not isinstance(node, ast.Call):
                continue
            found = _blocking(self.src, node, clients, local) or _attribute_client_call(
                node, function, self.attributes
            )
            if found is None:
                callee = self.target(node, function, local)
                if callee is not None and callee is not function:
                    inner = self.blocks(callee)
                    found = f"{callee.name}() -> {inner}" if inner else None
            if found:
                break
        self.memo[key] = found
        return found


def _awaited(src: PySource, call: ast.Call) -> bool:
    return isinstance(src.parent(call), ast.Await)


def _attribute_clients(src: PySource) -> dict[str, set[str]]:
    """Class name -> attributes bound to a synchronous client (`self.s = requests.Session()`)."""
    found: dict[str, set[str]] = {}
    client_modules = {name.split(".")[0] for name in SYNC_CLIENTS}
    if not any(q.split(".")[0] in client_modules for q in src.imports.values()):
        return found
    for function in src.functions:
        if function.class_name is None:
            continue
        for node in src.body_nodes(function.node):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                if src.call_name(node.value) not in SYNC_CLIENTS:
                    continue
                for target in node.targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        found.setdefault(function.class_name, set()).add(target.attr)
    return found


def _attribute_client_call(
    call: ast.Call, function: Function, attributes: dict[str, set[str]]
) -> str | None:
    """`self.session.get(...)` where `self.session` holds a synchronous client."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Attribute)
        and isinstance(func.value.value, ast.Name)
        and func.value.value.id == "self"
        and func.value.attr in attributes.get(function.class_name or "", set())
        and func.attr != "close"
    ):
        return f"self.{func.value.attr}.{func.attr}() calls a synchronous client"
    return None


def _sync_clients(src: PySource, function: Function | None) -> set[str]:
    """Names bound to synchronous clients (module level, or locals of `function`)."""
    return src.names_bound_to(function, SYNC_CLIENTS)


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
