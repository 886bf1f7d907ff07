"""What doctor knows about one Python file, computed once and shared by every rule.

Rules ask questions in the user's terms ("which functions are request handlers?", "what does this
name refer to?", "where can this path come from?") instead of each walking the tree its own way.
The answers stay local to the file: a summary (`imports`) is all that outlives it.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Literal, TypeVar

# Decorator attributes that register a web route: FastAPI/Starlette routers, Flask apps/blueprints.
ROUTE_DECORATORS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "trace",
        "route",
        "api_route",
        "websocket",
    }
)
# Calls that register a function as a route by reference: Starlette and Django URL tables.
ROUTE_TABLES = frozenset(
    {
        "starlette.routing.Route",
        "starlette.routing.WebSocketRoute",
        "django.urls.path",
        "django.urls.re_path",
    }
)
VIEW_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "dispatch"})
EVENT_NAMES = frozenset({"event", "_event", "evt"})
CONTEXT_NAMES = frozenset({"context", "_context", "ctx", "_ctx", "lambda_context"})
SCRIPT_NAMES = frozenset(
    {
        "manage.py",
        "setup.py",
        "noxfile.py",
        "fabfile.py",
        "conftest.py",
        "__main__.py",
        "tasks.py",
        # One-off data migrations and build hooks run by a person or a packager, not a request.
        "migrate.py",
        "_build.py",
        "hatch_build.py",
    }
)
# Folders of command-line tools, management commands and schema migrations (Alembic keeps its
# revisions under alembic/ or migrations/versions/): not service code.
SCRIPT_DIRS = frozenset(
    {
        "scripts",
        "bin",
        "tools",
        "commands",
        "management",
        "alembic",
        "migrations",
        "migration",
        "cli",
    }
)
SETTINGS_SUFFIXES = ("Settings", "Config", "Configuration")
# Modules that parse a command line are command-line programs.
CLI_MODULES = frozenset({"argparse", "click", "typer", "getopt", "optparse", "docopt", "fire"})

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
T = TypeVar("T", bound=ast.AST)
HandlerKind = Literal["route", "view", "lambda"]


@dataclasses.dataclass
class Function:
    node: FunctionNode
    name: str
    class_name: str | None
    kind: HandlerKind | None
    top_level: bool

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def params(self) -> list[str]:
        args = self.node.args
        return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


@dataclasses.dataclass(frozen=True)
class ProbePaths:
    """The paths aloft's runtime answers itself (from [tool.aloft], else the defaults)."""

    health: str = "/healthz"
    ready: str = "/readyz"
    metrics: str = "/metrics"


class PySource:
    def __init__(
        self, rel: str, text: str, tree: ast.Module, probes: ProbePaths | None = None
    ) -> None:
        self.rel = rel
        self.text = text
        self.tree = tree
        self.probes = probes or ProbePaths()
        posix = PurePosixPath(rel)
        self.filename = posix.name
        self.parts = posix.parts
        self.module = ".".join(posix.with_suffix("").parts).removesuffix(".__init__")
        self._bodies: dict[int, list[ast.AST]] = {}
        self._locals: dict[int, set[str]] = {}

    # ---- names ------------------------------------------------------------------------------

    @functools.cached_property
    def imports(self) -> dict[str, str]:
        """Local name -> the qualified name it was imported as (`np` -> `numpy`)."""
        names: dict[str, str] = {}
        statements = sorted(self.of_type(ast.Import, ast.ImportFrom), key=lambda n: n.lineno)
        for node in statements:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        names[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node)
                for alias in node.names:
                    if alias.name != "*":
                        names[alias.asname or alias.name] = (
                            f"{base}.{alias.name}" if base else alias.name
                        )
        return names

    @functools.cached_property
    def top_level_imports(self) -> list[tuple[ast.stmt, str]]:
        """Imports that run at import time (module level, also inside if/try), with their module."""
        found: list[tuple[ast.stmt, str]] = []
        for stmt in self._module_statements():
            if isinstance(stmt, ast.Import):
                found += [(stmt, alias.name) for alias in stmt.names]
            elif isinstance(stmt, ast.ImportFrom):
                base = self._absolute(stmt)
                found.append((stmt, base))
                # `from pkg import mod` may import a submodule.
                found += [
                    (stmt, f"{base}.{alias.name}")
                    for alias in stmt.names
                    if base and alias.name != "*"
                ]
        return found

    def _module_statements(self) -> Iterator[ast.stmt]:
        stack = list(reversed(self.tree.body))
        while stack:
            stmt = stack.pop()
            if self.in_main_guard(stmt):
                continue
            yield stmt
            if isinstance(stmt, (ast.If, ast.Try, ast.With)):
                children = [
                    *stmt.body,
                    *getattr(stmt, "orelse", []),
                    *getattr(stmt, "finalbody", []),
                ]
                for handler in getattr(stmt, "handlers", []):
                    children += handler.body
                stack += reversed(children)

    def _absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        package = self.module.split(".")
        if self.filename != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        return ".".join([*package, *([node.module] if node.module else [])])

    def qualname(self, node: ast.AST) -> str | None:
        """The dotted name an expression refers to through the file's imports, or None.

        Names that were not imported resolve to themselves (builtins such as `open`, or a
        module-level object such as `app`); calls and subscripts do not resolve.
        """
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def call_name(self, node: ast.AST) -> str | None:
        return self.qualname(node.func) if isinstance(node, ast.Call) else None

    # ---- module-level facts -----------------------------------------------------------------

    @functools.cached_property
    def constants(self) -> dict[str, ast.expr]:
        """Module-level `NAME = value` bindings (the last one wins)."""
        values: dict[str, ast.expr] = {}
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign) and stmt.value and isinstance(stmt.target, ast.Name)
            ):
                values[stmt.target.id] = stmt.value
        return values

    @functools.cached_property
    def _main_guards(self) -> list[tuple[int, int]]:
        spans = []
        for stmt in self.tree.body:
            if isinstance(stmt, ast.If) and _is_main_test(stmt.test):
                spans.append((stmt.lineno, stmt.end_lineno or stmt.lineno))
        return spans

    def in_main_guard(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", 0)
        return any(start <= line <= end for start, end in self._main_guards)

    @property
    def is_script(self) -> bool:
        """A command-line entry point rather than service code (print is its interface)."""
        if self.filename in SCRIPT_NAMES or SCRIPT_DIRS.intersection(self.parts[:-1]):
            return True
        if any(self.imports.get(n, "").split(".")[0] in CLI_MODULES for n in self.imports):
            return True
        # A module that takes its arguments from the command line (`sys.argv[1]`) is a program;
        # settings that only test for a flag (`"test" in sys.argv`) are not.
        return self.imports.get("sys") == "sys" and any(
            isinstance(node.value, ast.Attribute)
            and node.value.attr == "argv"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "sys"
            for node in self.of_type(ast.Subscript)
        )

    @property
    def is_settings(self) -> bool:
        """A Django-style settings module for a non-development environment."""
        stem = PurePosixPath(self.filename).stem
        in_settings = (
            "settings" in stem
            or "settings" in self.parts[:-1]
            or stem in {"config", "production", "prod"}
        )
        dev_like = any(word in stem for word in ("dev", "local", "test"))
        return in_settings and not dev_like

    @property
    def is_dev_settings(self) -> bool:
        """Settings for tests, CI or a developer's machine (settings/test.py, settings_dev.py)."""
        stem = PurePosixPath(self.filename).stem.lower()
        in_settings = "settings" in stem or "settings" in self.parts[:-1] or "config" in stem
        return in_settings and any(w in stem for w in ("dev", "local", "test", "ci", "debug"))

    @functools.cached_property
    def _index(
        self,
    ) -> tuple[dict[type, list[ast.AST]], dict[int, ast.AST], dict[int, list[ast.AST]]]:
        """One walk of the tree: its nodes by type, each node's parent and its children (kept,
        so later walks of function bodies do not take nodes apart again)."""
        by_type: dict[type, list[ast.AST]] = {}
        parents: dict[int, ast.AST] = {}
        kids: dict[int, list[ast.AST]] = {}
        stack: list[ast.AST] = [self.tree]
        while stack:
            node = stack.pop()
            by_type.setdefault(type(node), []).append(node)
            below = children(node)
            kids[id(node)] = below
            for child in below:
                parents[id(child)] = node
            stack.extend(below)
        return by_type, parents, kids

    def of_type(self, *types: type[T]) -> list[T]:
        """Every node of the given types, in no particular order."""
        by_type = self._index[0]
        found: list[T] = []
        for kind in types:
            found += by_type.get(kind, [])  # type: ignore[arg-type]
        return found

    @functools.cached_property
    def docstrings(self) -> frozenset[int]:
        """ids of string constants that are docstrings or bare string statements."""
        return frozenset(
            id(node.value)
            for node in self.of_type(ast.Expr)
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        )

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self._index[1].get(id(node))

    def dict_key_of(self, value: ast.AST) -> str | None:
        """The string key `value` is stored under in a dict literal (`{"class": value}`), if any."""
        parent = self.parent(value)
        if isinstance(parent, ast.Dict):
            for key, item in zip(parent.keys, parent.values, strict=True):
                if item is value:
                    return const_str(key)
        return None

    @functools.cached_property
    def settings_classes(self) -> frozenset[int]:
        """ids of settings classes: pydantic `BaseSettings` and classes named like settings
        (`*Settings`, `*Config`), and their subclasses in this module. Their field values are
        defaults that the environment or a config file overrides."""
        classes = self.of_type(ast.ClassDef)
        by_name = {c.name: c for c in classes}
        found: set[int] = set()

        def is_settings(cls: ast.ClassDef, depth: int = 0) -> bool:
            if cls.name.endswith(SETTINGS_SUFFIXES):
                return True
            for base in cls.bases:
                name = self.qualname(base) or ""
                last = name.rsplit(".", 1)[-1]
                if last.endswith(SETTINGS_SUFFIXES):
                    return True
                parent = by_name.get(last)
                if (
                    parent is not None
                    and parent is not cls
                    and depth < 20
                    and is_settings(parent, depth + 1)
                ):
                    return True
            return False

        for cls in classes:
            if is_settings(cls):
                found.add(id(cls))
        return frozenset(found)

    def settings_default(self, node: ast.AST) -> bool:
        """Whether `node` is (inside) a field default of a settings class."""
        current = self.parent(node)
        while current is not None and not isinstance(current, ast.stmt):
            current = self.parent(current)
        if not isinstance(current, (ast.Assign, ast.AnnAssign)):
            return False
        return id(self.parent(current)) in self.settings_classes

    # ---- functions and handlers -------------------------------------------------------------

    @functools.cached_property
    def functions(self) -> list[Function]:
        table_routes = self._route_table_targets()
        is_views = self.filename == "views.py" or "views" in self.parts[:-1]
        found: list[Function] = []
        kids = self._index[2]
        # An explicit stack, not recursion: a long elif chain nests a thousand levels deep.
        # Popped in source order (pre-order), as a recursive walk would meet them.
        stack: list[tuple[ast.AST, ast.ClassDef | None, bool]] = [(self.tree, None, True)]
        while stack:
            node, class_node, top = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                kind = self._handler_kind(node, class_node, top, is_views, table_routes)
                found.append(
                    Function(node, node.name, class_node.name if class_node else None, kind, top)
                )
                class_node, top = None, False
            below: list[tuple[ast.AST, ast.ClassDef | None, bool]] = []
            for child in kids.get(id(node)) or children(node):
                if isinstance(child, ast.ClassDef):
                    below.append((child, child, False))
                elif isinstance(child, ast.stmt):
                    below.append((child, class_node, top))
            stack.extend(reversed(below))
        return found

    def _route_table_targets(self) -> set[str]:
        targets = set()
        for node in self.of_type(ast.Call):
            if self.call_name(node) in ROUTE_TABLES and len(node.args) >= 2:
                endpoint = node.args[1]
                if isinstance(endpoint, ast.Name):
                    targets.add(endpoint.id)
        return targets

    def _handler_kind(
        self,
        node: FunctionNode,
        class_node: ast.ClassDef | None,
        top: bool,
        is_views: bool,
        table_routes: set[str],
    ) -> HandlerKind | None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if (
                isinstance(target, ast.Attribute)
                and target.attr in ROUTE_DECORATORS
                and isinstance(decorator, ast.Call)
            ):
                return "route"
            if isinstance(target, ast.Name) and target.id == "api_view":
                return "view"
        if top and node.name in table_routes:
            return "route"
        params = [a.arg for a in node.args.args]
        if top and len(params) == 2 and params[0] in EVENT_NAMES and params[1] in CONTEXT_NAMES:
            return "lambda"
        if is_views:
            if top and params[:1] == ["request"]:
                return "view"
            if class_node is not None and node.name in VIEW_METHODS and params[1:2] == ["request"]:
                return "view"
        return None

    def handlers(self, *kinds: HandlerKind) -> list[Function]:
        return [f for f in self.functions if f.kind and (not kinds or f.kind in kinds)]

    def reachable(self, roots: list[Function]) -> list[Function]:
        """`roots` plus the module's functions they call, directly or through each other."""
        by_name = {f.name: f for f in self.functions if f.top_level}
        methods: dict[tuple[str | None, str], Function] = {
            (f.class_name, f.name): f for f in self.functions if f.class_name
        }
        seen: dict[int, Function] = {}
        stack = list(roots)
        while stack:
            function = stack.pop()
            if id(function.node) in seen:
                continue
            seen[id(function.node)] = function
            local = self.local_names(function)
            for node in self.body_nodes(function.node):
                if not isinstance(node, ast.Call):
                    continue
                callee = node.func
                if isinstance(callee, ast.Name) and callee.id in by_name and callee.id not in local:
                    stack.append(by_name[callee.id])
                elif (
                    isinstance(callee, ast.Attribute)
                    and isinstance(callee.value, ast.Name)
                    and callee.value.id in ("self", "cls")
                    and (function.class_name, callee.attr) in methods
                ):
                    stack.append(methods[(function.class_name, callee.attr)])
        return list(seen.values())

    def body_nodes(self, node: ast.AST) -> list[ast.AST]:
        """Every node in a function's body, not entering nested functions, lambdas or classes."""
        cached = self._bodies.get(id(node))
        if cached is None:
            nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
            kids = self._index[2]
            cached = []
            stack: list[ast.AST] = [
                n for n in getattr(node, "body", []) if not isinstance(n, nested)
            ]
            while stack:
                current = stack.pop()
                cached.append(current)
                below = kids.get(id(current))
                if below is None:
                    below = children(current)
                stack.extend(c for c in below if not isinstance(c, nested))
            self._bodies[id(node)] = cached
        return cached

    def local_names(self, function: Function) -> set[str]:
        """Names local to a function: its parameters and what it assigns, less `global` names."""
        cached = self._locals.get(id(function.node))
        if cached is not None:
            return cached
        names = set(function.params)
        args = function.node.args
        names.update(a.arg for a in (args.vararg, args.kwarg) if a)
        declared_global: set[str] = set()
        for node in self.body_nodes(function.node):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                declared_global.update(node.names)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
        self._locals[id(function.node)] = names - declared_global
        return self._locals[id(function.node)]

    def global_names(self, function: Function) -> set[str]:
        """Names `function` declares global: what it assigns them is kept, not made per call."""
        names: set[str] = set()
        for node in self.body_nodes(function.node):
            if isinstance(node, ast.Global):
                names.update(node.names)
        return names

    def names_bound_to(self, function: Function | None, calls: frozenset[str]) -> set[str]:
        """Names assigned a call of one of `calls`: module constants when `function` is None, else
        the function's own plain assignments."""
        bindings = (
            self.constants.items()
            if function is None
            else (
                (target.id, node.value)
                for node in self.body_nodes(function.node)
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            )
        )
        return {
            name
            for name, value in bindings
            if isinstance(value, ast.Call) and self.call_name(value) in calls
        }

    def assignments_in(self, function: Function | None, name: str) -> list[ast.expr]:
        """Values assigned to `name` inside `function` (or at module level when None)."""
        scope: ast.AST = function.node if function else self.tree
        nodes = self.body_nodes(scope) if function else self.tree.body
        values: list[ast.expr] = []
        for node in nodes:
            if isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    values.append(node.value)
            elif isinstance(node, ast.AnnAssign):
                if isinstance(node.target, ast.Name) and node.target.id == name and node.value:
                    values.append(node.value)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name:
                        values.append(item.context_expr)
        return values

    @functools.cached_property
    def _functions_by_node(self) -> dict[int, Function]:
        return {id(f.node): f for f in self.functions}

    def enclosing_function(self, node: ast.AST) -> Function | None:
        current = self.parent(node)
        while current is not None:
            function = self._functions_by_node.get(id(current))
            if function is not None:
                return function
            current = self.parent(current)
        return None


def children(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` without its generators: the walk every rule shares is the hot loop
    of a run, about twice as fast this way."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            out.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def _is_main_test(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    if len(call.args) > position and not any(
        isinstance(a, ast.Starred) for a in call.args[: position + 1]
    ):
        return call.args[position]
    return keyword(call, name)


def target_name(node: ast.AST) -> str | None:
    """The name a value is bound to: `x`, `obj.x`, or a `"x"` dict key / subscript."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return const_str(node.slice)
    return const_str(node)
