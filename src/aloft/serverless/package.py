"""`aloft lambda package`: reproducible zips for the target architecture and Python.

Dependencies come from the project's uv.lock, as manylinux wheels for the target (never the
build machine's), stripped of what never runs on Lambda; the app's source goes in a small
function zip, the dependencies (optionally) in a layer zip. aloft's runtime is copied in from
this installation: it is standard library only, and the production servers it would pull in as
extras (gunicorn, uvicorn) are not needed on Lambda. Bytecode is precompiled (unchecked-hash
.pyc: Lambda's file system is read-only, so without it every cold start compiles again), with
the file names it will have on Lambda and a fixed hash seed, so the zips are byte-reproducible.
By default dependencies ship as bytecode only, without the column tables of PEP 657 (their
tracebacks keep file and line, lose the source text and the ^^^ markers); the app's own code
keeps its source and full tracebacks.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from aloft import pythons
from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError, OperationFailed
from aloft.serverless.model import Stack, build_stack

# AWS Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
# read 2026-11): a zip uploaded directly, and a function plus its layers once unzipped.
MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024
_PLATFORMS = {"x86_64": "x86_64-manylinux2014", "arm64": "aarch64-manylinux2014"}
_STAMP = (1980, 1, 1, 0, 0, 0)  # the earliest zip date: the same bytes on every build
# Where Lambda puts each zip: a layer's python/ folder and the function's code.
LAYER_ROOT = "/opt/python"
TASK_ROOT = "/var/task"
# Files that never run: type stubs, C sources, build metadata, tests and caches.
_DROP_SUFFIXES = (".pyi", ".pyc", ".pyo", ".c", ".h", ".pyx", ".pxd", ".cpp")
_DROP_NAMES = {"py.typed", "RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
_DROP_DIRS = {"__pycache__", "tests", "test", "testing_data", "benchmarks", "docs"}
_PROJECT_SKIP = {
    ".venv",
    "venv",
    ".git",
    "dist",
    "build",
    "tests",
    "test",
    "node_modules",
    ".aloft",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "__pycache__",
}


@dataclass(frozen=True)
class ZipReport:
    path: Path
    files: int
    zipped: int
    unzipped: int
    sha256: str


@dataclass
class PackageResult:
    function: ZipReport
    layer: ZipReport | None
    python: str
    architecture: str
    bytecode: bool
    largest: list[tuple[str, int]] = field(default_factory=list)  # top-level packages by size

    @property
    def unzipped(self) -> int:
        return self.function.unzipped + (self.layer.unzipped if self.layer else 0)


def _lock_graph(lock: Path, skip: set[str]) -> set[str]:
    """Names of the packages the project needs at run time (its dependencies, transitively)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with lock.open("rb") as fh:
        packages = tomllib.load(fh).get("package", [])
    deps: dict[str, set[str]] = {}
    root = ""
    for package in packages:
        name = package["name"]
        edges = {d["name"] for d in package.get("dependencies", [])}
        for extra in package.get("optional-dependencies", {}).values():
            edges |= {d["name"] for d in extra}
        deps.setdefault(name, set()).update(edges)
        source = package.get("source", {})
        if source.get("virtual") == "." or source.get("editable") == ".":
            root = name
    if not root:
        raise ConfigError(f"{lock}: no root project found; run `uv lock` in the project")
    needed: set[str] = set()
    todo = [d for d in deps[root] if d not in skip]
    while todo:
        name = todo.pop()
        if name in needed or name in skip:
            continue
        needed.add(name)
        todo.extend(deps.get(name, ()))
    return needed


def _requirements(root: Path, needed: set[str]) -> list[str]:
    export = subprocess.run(
        [
            "uv",
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--all-extras",
            "--format",
            "requirements-txt",
            "--project",
            str(root),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if export.returncode != 0:
        raise OperationFailed(f"{root}/uv.lock: uv export failed: {export.stderr.strip()[:300]}")
    lines = []
    for line in export.stdout.splitlines():
        text = line.strip()
        if not text or text.startswith(("#", "-e", "./", "../")):
            continue
        name = re.split(r"[=<>!~;\[ ]", text, maxsplit=1)[0].lower().replace("_", "-")
        if name in needed:
            lines.append(text)
    return lines


def _install(requirements: list[str], target: Path, python: str, architecture: str) -> None:
    if not requirements:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(requirements) + "\n")
    try:
        run = subprocess.run(
            [
                "uv",
                "pip",
                "install",
                "--quiet",
                # Copies, not hard links into uv's cache: stripping a linked library would
                # change the cached wheel for every later install on this machine.
                "--link-mode",
                "copy",
                "--no-deps",
                "--target",
                str(target),
                "--python-platform",
                _PLATFORMS[architecture],
                "--python-version",
                python,
                "--only-binary",
                ":all:",
                "--no-compile",
                "-r",
                fh.name,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(fh.name)
    if run.returncode != 0:
        raise OperationFailed(
            f"installing the dependencies for {architecture} Python {python} failed "
            f"(a package without a manylinux wheel?): {run.stderr.strip()[-400:]}"
        )


def _strip(tree: Path, architecture: str) -> None:
    for dirpath, dirnames, filenames in os.walk(tree, topdown=True):
        here = Path(dirpath)
        for name in list(dirnames):
            # A package's tests are dropped, never a top-level package that happens to be one.
            # A dotted folder cannot be imported: it holds tool files (e.g. fastapi/.agents).
            if (name in _DROP_DIRS or name.startswith(".")) and here != tree:
                shutil.rmtree(here / name)
                dirnames.remove(name)
        if here == tree and "bin" in dirnames:
            shutil.rmtree(here / "bin")
            dirnames.remove("bin")
        for name in filenames:
            if (
                name.endswith(_DROP_SUFFIXES)
                or name in _DROP_NAMES
                or (here == tree and name.startswith("."))  # the installer's .lock
            ):
                (here / name).unlink()
            elif name == "METADATA" and here.name.endswith(".dist-info"):
                _trim_metadata(here / name)
    strip = shutil.which("strip")
    host = os.uname().machine
    if strip and host == ("x86_64" if architecture == "x86_64" else "aarch64"):
        libraries = [str(p) for p in tree.rglob("*.so*") if p.is_file()]
        if libraries:
            subprocess.run(
                [strip, "--strip-unneeded", *libraries], capture_output=True, check=False
            )


def _trim_metadata(path: Path) -> None:
    """Keep METADATA's headers, drop its body (the long description: a README or changelog).

    importlib.metadata reads the headers (version, requires, entry points live beside); the body
    is only ever shown by package indexes. pydantic's alone is a 140 kB changelog.
    """
    data = path.read_bytes()
    end = data.find(b"\n\n")
    if end != -1 and end + 2 < len(data):
        path.write_bytes(data[: end + 1])


def _copy_runtime(target: Path) -> None:
    import aloft.runtime

    source = Path(aloft.runtime.__file__).parent
    shutil.copytree(
        source, target / "aloft" / "runtime", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )


def _copy_app(root: Path, target: Path, include: list[str], exclude: list[str]) -> None:
    def excluded(rel: str) -> bool:
        return any(fnmatch.fnmatch(rel, pattern) for pattern in exclude)

    for entry in sorted(root.iterdir()):
        rel = entry.name
        if rel in _PROJECT_SKIP or rel.startswith(".") or excluded(rel):
            continue
        if entry.is_dir() and (entry / "__init__.py").is_file():
            shutil.copytree(
                entry,
                target / rel,
                ignore=lambda d, names: [
                    n
                    for n in names
                    if n in _PROJECT_SKIP
                    or n.endswith((".pyc", ".pyo"))
                    or excluded(os.path.relpath(os.path.join(d, n), root))
                ],
            )
        elif entry.suffix == ".py" and rel not in ("setup.py", "conftest.py"):
            shutil.copy2(entry, target / rel)
    for pattern in include:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                dest = target / path.relative_to(root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)


def _target_python(version: str, root: Path) -> str | None:
    """An interpreter of the target version (the app's .venv first), to precompile bytecode it
    will accept; None ships sources, never bytecode for another version."""
    found = pythons.find_interpreter(version, root)
    return str(found) if found is not None else None


# Run by the target interpreter: compile every module of a tree, in a fixed order, recording
# the file name it will have on Lambda. Bytecode-only modules get x.pyc beside x.py (importable
# once the source is gone); the others, and every package __init__, go to __pycache__.
_COMPILE = r"""
import importlib.util, os, py_compile, sys
tree, deployed, legacy = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
for folder, dirs, files in sorted(os.walk(tree)):
    for name in sorted(files):
        if not name.endswith(".py"):
            continue
        source = os.path.join(folder, name)
        rel = os.path.relpath(source, tree)
        sourceless = legacy and name != "__init__.py"
        target = source + "c" if sourceless else importlib.util.cache_from_source(source)
        py_compile.compile(
            source, target, dfile=deployed + "/" + rel, quiet=2, invalidation_mode=mode
        )
"""


def _compile(
    tree: Path, python: str, deployed: str, bytecode_only: bool = False, debug_ranges: bool = True
) -> None:
    """Precompile `tree` as it will sit at `deployed` on Lambda (unchecked-hash .pyc).

    The recorded file names are the deployed ones, not this build's scratch folder, and the hash
    seed is fixed: both would otherwise change the bytes on every build. Without `debug_ranges`
    the column tables (PEP 657, about a quarter of a .pyc) are left out; line numbers stay.
    With `bytecode_only`, package `__init__` modules still keep their source: lazy-import
    helpers read it (anyio builds its lazy attribute map from `inspect.getsource` of its
    `__init__`, and without it imports everything eagerly, ~50 ms more for `import anyio`).
    A file that does not compile (a syntax the target rejects) stays as source only, and fails
    at import as it would have anyway.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    run = subprocess.run(
        [
            python,
            "-S",
            *([] if debug_ranges else ["-X", "no_debug_ranges"]),
            "-c",
            _COMPILE,
            str(tree),
            deployed,
            "1" if bytecode_only else "0",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if run.returncode != 0:
        raise OperationFailed(
            f"precompiling the bytecode with {python} failed: {run.stderr.strip()[-300:]}"
        )
    if bytecode_only:
        for source in tree.rglob("*.py"):
            if source.with_suffix(".pyc").is_file():
                source.unlink()


def write_zip(tree: Path, destination: Path, prefix: str = "") -> ZipReport:
    """A byte-reproducible zip: sorted entries, fixed dates and permissions."""
    files = sorted(p for p in tree.rglob("*") if p.is_file())
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    unzipped = 0
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            rel = prefix + path.relative_to(tree).as_posix()
            info = zipfile.ZipInfo(rel, date_time=_STAMP)
            mode = 0o755 if os.access(path, os.X_OK) and path.suffix in ("", ".so") else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data, compresslevel=9)
    os.replace(partial, destination)
    digest = hashlib.sha256(destination.read_bytes()).hexdigest()
    return ZipReport(destination, len(files), destination.stat().st_size, unzipped, digest)


def _largest(tree: Path, count: int = 8) -> list[tuple[str, int]]:
    sizes: dict[str, int] = {}
    for path in tree.rglob("*"):
        if path.is_file():
            top = path.relative_to(tree).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return sorted(sizes.items(), key=lambda item: -item[1])[:count]


def package(resolved: ResolvedConfig, out_dir: Path, stack: Stack | None = None) -> PackageResult:
    settings = resolved.config.lambda_
    if settings.package == "image":
        raise ConfigError(
            f'{resolved.pyproject} [tool.aloft.lambda] package = "image": there is no zip to'
            " make; build the image with `aloft build --target lambda`"
        )
    stack = stack or build_stack(resolved)
    root = resolved.root
    lock = root / "uv.lock"
    if not lock.is_file():
        raise ConfigError(f"{root}: no uv.lock; run `uv lock` so the package is reproducible")
    needed = _lock_graph(lock, skip={"aloft-runtime"})
    with tempfile.TemporaryDirectory(prefix="aloft-lambda-") as scratch:
        deps = Path(scratch) / "deps"
        app = Path(scratch) / "app"
        deps.mkdir()
        app.mkdir()
        _install(_requirements(root, needed), deps, stack.python, stack.architecture)
        _strip(deps, stack.architecture)
        _copy_runtime(deps)
        _copy_app(root, app, settings.include, settings.exclude)
        python = _target_python(stack.python, root)
        compiled = python is not None
        if python is not None:
            deployed = LAYER_ROOT if stack.layer else TASK_ROOT
            _compile(deps, python, deployed, settings.bytecode_only, debug_ranges=False)
            _compile(app, python, TASK_ROOT)
        largest = _largest(deps)
        if stack.layer:
            layer = write_zip(deps, out_dir / "layer.zip", prefix="python/")
            function = write_zip(app, out_dir / "function.zip")
        else:
            shutil.copytree(app, deps, dirs_exist_ok=True)
            layer = None
            function = write_zip(deps, out_dir / "function.zip")
    result = PackageResult(function, layer, stack.python, stack.architecture, compiled, largest)
    check_limits(result)
    return result


def check_limits(result: PackageResult) -> None:
    for report in (result.function, result.layer):
        if report is not None and report.zipped > MAX_ZIPPED:
            raise OperationFailed(
                f"{report.path.name} is {report.zipped / 2**20:.1f} MB zipped, over Lambda's "
                "50 MB direct-upload limit; deploy a container image instead "
                "(aloft build --target lambda)"
            )
    if result.unzipped > MAX_UNZIPPED:
        raise OperationFailed(
            f"the function and its layer are {result.unzipped / 2**20:.1f} MB unzipped, over "
            "Lambda's 250 MB limit; deploy a container image instead (aloft build --target lambda)"
        )
