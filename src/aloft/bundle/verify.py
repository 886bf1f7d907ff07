"""Before an artifact is reported built: does it hold what the config says it runs?

Each entry point (`[tool.aloft] app`, each Lambda handler) is imported from the artifact's own
trees in a subprocess of the target's Python, with the host's site-packages kept off the path, so
a module missing from the artifact fails here as it would at cold start. Without a matching
interpreter (or for another CPU), the file listing is checked instead: the module's file must be
there, and a module with source must define the object at its top level.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import subprocess
from pathlib import Path

from aloft.exceptions import ConfigError

_IMPORT = r"""
import importlib, json, sys
roots, module, attr = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.path[:0] = roots
try:
    value = importlib.import_module(module)
    for part in attr.split("."):
        value = getattr(value, part)
    print(json.dumps({"ok": True}))
except ImportError as exc:
    print(json.dumps({"kind": "import", "detail": f"{type(exc).__name__}: {exc}"}))
except AttributeError as exc:
    print(json.dumps({"kind": "attribute", "detail": str(exc)}))
except BaseException as exc:
    print(json.dumps({"kind": "other", "detail": f"{type(exc).__name__}: {exc}"[:200]}))
"""
_IMPORT_TIMEOUT = 60.0


@dataclasses.dataclass(frozen=True)
class Listing:
    """An artifact's files by their path in it, and top-level names installed beside them."""

    files: dict[str, Path]  # artifact path (posix, relative) -> the file on this machine
    installed: frozenset[str] = frozenset()  # e.g. a cached dependency layer's top-level names

    @classmethod
    def of_trees(cls, roots: list[Path]) -> Listing:
        files: dict[str, Path] = {}
        for root in reversed(roots):  # the first root wins, as on sys.path
            for path in root.rglob("*"):
                if path.is_file():
                    files[path.relative_to(root).as_posix()] = path
        return cls(files)


@dataclasses.dataclass(frozen=True)
class EntryPoint:
    module: str
    attr: str
    label: str  # where the config names it, for the error

    @classmethod
    def app(cls, spec: str) -> EntryPoint:
        module, _, attr = spec.partition(":")
        # `module:create_app()` names a factory; the artifact must hold the function.
        return cls(module, attr.removesuffix("()"), f"[tool.aloft] app = {spec!r}")

    @classmethod
    def handler(cls, handler: str, function: str) -> EntryPoint:
        module, _, attr = handler.rpartition(".")
        return cls(module, attr, f"function {function} handler = {handler!r}")


def check(
    artifact: str,
    entries: list[EntryPoint],
    listing: Listing,
    *,
    import_roots: list[Path] | None = None,
    interpreter: Path | None = None,
    environment: dict[str, str] | None = None,
) -> str:
    """Raise ConfigError naming the first entry point `artifact` does not hold; return how it
    was checked ("import" or "file listing"). The import needs `import_roots` and a target
    `interpreter`."""
    if not listing.files:
        raise ConfigError(
            f"{artifact}: no files at all; check [tool.aloft] include/exclude and .gitignore"
        )
    importing = interpreter is not None and import_roots is not None
    how = "import" if importing else "file listing"
    for entry in dict.fromkeys(entries):
        if not entry.module or not entry.attr:
            raise ConfigError(f"{entry.label}: name a module and an object in it")
        _check_listing(artifact, entry, listing)
        if interpreter is None or import_roots is None:
            continue
        stopped = _imports(artifact, entry, import_roots, interpreter, environment)
        if stopped:
            how = f"file listing (importing {entry.module} here stopped at {stopped})"
    return how


def _module_file(module: str, listing: Listing) -> Path | None:
    """The module's source (or a stand-in path when only bytecode, an extension or a namespace
    folder shows it is there), or None."""
    parts = module.split(".")
    base = "/".join(parts)
    for rel in (f"{base}.py", f"{base}/__init__.py", f"{base}.pyc", f"{base}/__init__.pyc"):
        if rel in listing.files:
            return listing.files[rel]
    if parts[0] in listing.installed:
        return Path(base)
    prefix = base + "/"
    extension = re.compile(re.escape(base) + r"\.[^/]*\.so$")
    for rel in listing.files:
        if rel.startswith(prefix) or extension.match(rel):
            return Path(base)
    return None


def _check_listing(artifact: str, entry: EntryPoint, listing: Listing) -> None:
    found = _module_file(entry.module, listing)
    if found is None:
        raise ConfigError(
            f"{artifact}: holds no module {entry.module} (named by {entry.label}); fix the name, "
            "or the file rule ([tool.aloft] include/exclude, .gitignore) that left it out"
        )
    if found.suffix != ".py" or not found.is_file():
        return
    top = entry.attr.split(".")[0]
    names = _top_level_names(found)
    if names is not None and top not in names:
        raise ConfigError(
            f"{artifact}: module {entry.module} ({found.name}) defines no {top!r} "
            f"(named by {entry.label}); fix the name"
        )


def _top_level_names(path: Path) -> set[str] | None:
    """Names bound anywhere in a module (lenient), or None when they cannot be known statically."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    if "__getattr__" in names:
        return None
    return names


def _imports(
    artifact: str,
    entry: EntryPoint,
    roots: list[Path],
    interpreter: Path,
    environment: dict[str, str] | None,
) -> str:
    """ "" if the import succeeded; else what the app raised that is unrelated to packaging (a
    missing setting, an unreachable service), and the listing check stands."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "LANG": "C.UTF-8"}
    env.update(environment or {})
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        run = subprocess.run(
            [
                str(interpreter),
                "-S",
                "-c",
                _IMPORT,
                json.dumps([str(r) for r in roots]),
                entry.module,
                entry.attr,
            ],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd="/",
            timeout=_IMPORT_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"a {_IMPORT_TIMEOUT:.0f} s timeout"
    lines = run.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        result = {}
    if result.get("ok"):
        return ""
    kind = result.get("kind")
    if kind == "import":
        raise ConfigError(
            f"{artifact}: importing {entry.module} (named by {entry.label}) with Python "
            f"{interpreter} fails: {result['detail']}; add the dependency with `uv add` or fix "
            "the file rule ([tool.aloft] include/exclude)"
        )
    if kind == "attribute":
        raise ConfigError(
            f"{artifact}: {entry.module} has no {entry.attr!r} (named by {entry.label}): "
            f"{result['detail']}; fix the name"
        )
    detail = str(result.get("detail") or (run.stderr.strip().splitlines() or ["a crash"])[-1])
    return detail[:160]
