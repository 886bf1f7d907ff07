"""Finding a project's web app by reading its sources (`ast`), never by importing them.

What counts as an app: a module-level object made by a known framework constructor (FastAPI(),
Starlette(), Flask(), Django's get_wsgi_application()/get_asgi_application(), also wrapped in
middleware), or an app factory (`create_app`/`make_app` returning one), which the runtime calls
as 'module:create_app()'.
"""

from __future__ import annotations

import ast
import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

Interface = Literal["asgi", "wsgi"]

# Fully qualified constructor -> (framework, interface).
CONSTRUCTORS: dict[str, tuple[str, Interface]] = {
    "fastapi.FastAPI": ("fastapi", "asgi"),
    "fastapi.applications.FastAPI": ("fastapi", "asgi"),
    "starlette.applications.Starlette": ("starlette", "asgi"),
    "flask.Flask": ("flask", "wsgi"),
    "flask.app.Flask": ("flask", "wsgi"),
    "django.core.wsgi.get_wsgi_application": ("django", "wsgi"),
    "django.core.asgi.get_asgi_application": ("django", "asgi"),
}
# The names Flask's own CLI looks for; a factory must be callable without arguments.
FACTORY_NAMES = ("create_app", "make_app")
APP_NAMES = ("app", "application")
# Folders that hold no app code (environments, tooling, tests) and are not worth parsing.
SKIP_DIRS = frozenset(
    {
        "__pycache__",
        "node_modules",
        "site-packages",
        "venv",
        "env",
        "build",
        "dist",
        "tests",
        "test",
        "docs",
        "migrations",
    }
)
MAX_FILES = 5000
MAX_FILE_BYTES = 2_000_000


@dataclasses.dataclass(frozen=True)
class AppCandidate:
    """One place the app could be: `module:attr` (attr ending in '()' for a factory)."""

    module: str
    attr: str
    framework: str
    interface: Interface
    path: Path
    line: int

    @property
    def spec(self) -> str:
        return f"{self.module}:{self.attr}"

    @property
    def factory(self) -> bool:
        return self.attr.endswith("()")


@dataclasses.dataclass(frozen=True)
class Detection:
    """What detection found in a project, and what it could not tell."""

    root: Path
    candidates: tuple[AppCandidate, ...]
    django_settings: str | None = None
    files_read: int = 0
    unreadable: tuple[Path, ...] = ()

    @property
    def app(self) -> AppCandidate | None:
        return self.candidates[0] if self.candidates else None

    def missing(self) -> list[str]:
        """What could not be detected, one short sentence each."""
        notes: list[str] = []
        if self.app is None:
            notes.append(
                f"no app object: read {self.files_read} Python files looking for FastAPI(), "
                "Starlette(), Flask(), a create_app()/make_app() factory or Django's "
                "get_wsgi_application()/get_asgi_application() at module level"
            )
        if self.app is not None and self.app.framework == "django" and not self.django_settings:
            notes.append(
                "Django's settings module: no DJANGO_SETTINGS_MODULE default in manage.py, "
                "wsgi.py or asgi.py; set DJANGO_SETTINGS_MODULE in the environment"
            )
        notes.extend(
            f"{path}: not parsed (syntax newer than this Python, or not UTF-8)"
            for path in self.unreadable
        )
        return notes


def detect(root: Path) -> Detection:
    """Read the project's modules under `root` (and its src/ folder) and rank the app candidates."""
    root = root.resolve()
    modules: list[_Module] = []
    unreadable: list[Path] = []
    for path, name in _python_files(root):
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            unreadable.append(path)
            continue
        modules.append(_Module(name, path, tree, path.name == "__init__.py"))
    found: list[AppCandidate] = []
    factories: dict[str, tuple[str, Interface]] = {}
    for module in modules:
        found.extend(module.objects(root, {}))
        for name, kind in module.factories():
            factories[f"{module.name}.{name}"] = kind
            found.append(module.candidate(root, name + "()", kind))
    # Second pass: `app = create_app()` at module level (e.g. in wsgi.py) is an app object too.
    if factories:
        for module in modules:
            found.extend(module.objects(root, factories))
    unique = {candidate.spec: candidate for candidate in found}
    ranked = sorted(unique.values(), key=_rank)
    settings = _django_settings(modules)
    return Detection(root, tuple(ranked), settings, len(modules), tuple(unreadable))


def _rank(candidate: AppCandidate) -> tuple[int, int, int, int, str]:
    """Best first: a ready object over a factory, Django's WSGI entry over its ASGI one, the
    conventional names (app, application), then the shallowest module."""
    leaf = candidate.module.rpartition(".")[2]
    return (
        1 if candidate.factory else 0,
        1 if candidate.framework == "django" and candidate.interface == "asgi" else 0,
        0 if candidate.attr.removesuffix("()") in (*APP_NAMES, *FACTORY_NAMES) else 1,
        0 if leaf in ("main", "app", "wsgi", "asgi", "api", "server") else 1,
        f"{candidate.module.count('.'):03d}{candidate.spec}",
    )


def _python_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, module name) for the project's own modules: src/ layout first, then the root."""
    source_roots = [root / "src", root] if (root / "src").is_dir() else [root]
    count = 0
    for base in source_roots:
        for folder, dirs, files in os.walk(base):
            here = Path(folder)
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".")
                and d not in SKIP_DIRS
                and not (here == root and d == "src" and base == root)
                and d.isidentifier()
                and not (here / d / "pyvenv.cfg").exists()
            )
            for file in sorted(files):
                if not file.endswith(".py") or not file[:-3].isidentifier():
                    continue
                path = here / file
                if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                    continue
                parts = [*here.relative_to(base).parts, file[:-3]]
                if parts[-1] == "__init__":
                    parts.pop()
                if not parts:
                    continue
                yield path, ".".join(parts)
                count += 1
                if count >= MAX_FILES:
                    return


@dataclasses.dataclass
class _Module:
    name: str
    path: Path
    tree: ast.Module
    is_package: bool

    def __post_init__(self) -> None:
        self.aliases = self._aliases()

    def _aliases(self) -> dict[str, str]:
        """Local name -> fully qualified name, from the module's imports."""
        aliases: dict[str, str] = {}
        package = self.name if self.is_package else self.name.rpartition(".")[0]
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        head = alias.name.partition(".")[0]
                        aliases[head] = head
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".") if package else []
                    parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                    base = ".".join(p for p in (*parts, base) if p)
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
        return aliases

    def qualified(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, f"{self.name}.{node.id}")
        if isinstance(node, ast.Attribute):
            base = self.qualified(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def made_by(
        self, value: ast.expr, factories: dict[str, tuple[str, Interface]]
    ) -> tuple[str, Interface] | None:
        """The (framework, interface) of the app an expression builds, also inside a wrapper
        such as WhiteNoise(get_wsgi_application())."""
        for node in ast.walk(value):
            if isinstance(node, ast.Call):
                name = self.qualified(node.func)
                if name in CONSTRUCTORS:
                    return CONSTRUCTORS[name]
                if name in factories:
                    return factories[name]
        return None

    def objects(
        self, root: Path, factories: dict[str, tuple[str, Interface]]
    ) -> Iterator[AppCandidate]:
        for statement in self.tree.body:
            if isinstance(statement, ast.Assign):
                targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
                value = statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                targets = [statement.target.id] if isinstance(statement.target, ast.Name) else []
                value = statement.value
            else:
                continue
            if not isinstance(value, ast.Call):
                continue
            kind = self.made_by(value, factories)
            if kind is None:
                continue
            for target in targets:
                yield self.candidate(root, target, kind, statement.lineno)

    def factories(self) -> Iterator[tuple[str, tuple[str, Interface]]]:
        for statement in self.tree.body:
            if not isinstance(statement, ast.FunctionDef) or statement.name not in FACTORY_NAMES:
                continue
            arguments = statement.args
            required = len(arguments.posonlyargs) + len(arguments.args) - len(arguments.defaults)
            required += sum(1 for d in arguments.kw_defaults if d is None)
            if required > 0:
                continue  # the runtime calls a factory without arguments
            for node in ast.walk(statement):
                if isinstance(node, ast.Call):
                    name = self.qualified(node.func)
                    if name in CONSTRUCTORS:
                        yield statement.name, CONSTRUCTORS[name]
                        break

    def candidate(
        self, root: Path, attr: str, kind: tuple[str, Interface], line: int | None = None
    ) -> AppCandidate:
        if line is None:
            line = next(
                (
                    s.lineno
                    for s in self.tree.body
                    if isinstance(s, ast.FunctionDef) and s.name == attr.removesuffix("()")
                ),
                1,
            )
        return AppCandidate(self.name, attr, kind[0], kind[1], self.path.relative_to(root), line)


def _django_settings(modules: list[_Module]) -> str | None:
    """The default of DJANGO_SETTINGS_MODULE that manage.py (or wsgi.py/asgi.py) sets."""
    ordered = sorted(modules, key=lambda m: (m.path.name != "manage.py", m.name))
    for module in ordered:
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("setdefault", "__setitem__")
                and len(node.args) == 2
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == "DJANGO_SETTINGS_MODULE"
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                return node.args[1].value
    return None
