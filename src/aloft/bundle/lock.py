"""The project's locked run-time dependencies, read once from uv.lock for every artifact.

`uv export` gives the pinned set for the project (a workspace member gets its own set, with the
lock at the workspace root). Index packages are installed as wheels for the target; local
projects (workspace siblings, path dependencies) are built into wheels here; git dependencies
are refused in one line. The runtime is never taken from the lock: aloft installs its own copy,
the one this tooling was tested with.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from aloft.exceptions import ConfigError, OperationFailed
from aloft.workspace import project_lock

RUNTIME = "aloft-runtime"
ASGI_FRAMEWORKS = {"starlette", "fastapi", "quart", "litestar", "sanic", "channels", "aiohttp"}
ASGI_SERVER = ("gunicorn", "uvicorn", "uvicorn-worker")
WSGI_SERVER = ("gunicorn",)
_LOCAL_SKIP = {".venv", "venv", "__pycache__", ".git", "dist", "build", "node_modules"}


@dataclasses.dataclass(frozen=True)
class LocalProject:
    """A project the lock installs from a folder: a workspace sibling or a path dependency."""

    name: str
    path: Path

    def digest(self) -> str:
        """Of its files, so a changed sibling rebuilds the dependency layer."""
        sha = hashlib.sha256()
        for file in sorted(self.path.rglob("*")):
            rel = file.relative_to(self.path)
            if any(part in _LOCAL_SKIP or part.endswith(".egg-info") for part in rel.parts):
                continue
            if file.is_file():
                sha.update(rel.as_posix().encode() + b"\0" + file.read_bytes())
        return sha.hexdigest()


@dataclasses.dataclass(frozen=True)
class Locked:
    """What the lock says to install, split by how it is installed."""

    lock: Path
    requirements: tuple[str, ...]  # pinned index packages, `name==version ; marker`
    local: tuple[LocalProject, ...]

    def names(self) -> set[str]:
        return {requirement_name(line) for line in self.requirements} | {p.name for p in self.local}

    def without_servers(self, project: str) -> Locked:
        """Only what the app needs without the runtime's server extras (gunicorn, uvicorn):
        what a Lambda function runs, where the runtime serves events, not HTTP."""
        needed = _needed_without_runtime(self.lock, normalise(project))
        return Locked(
            self.lock,
            tuple(r for r in self.requirements if requirement_name(r) in needed),
            tuple(p for p in self.local if p.name in needed),
        )

    def fingerprint(self) -> str:
        sha = hashlib.sha256("\n".join(self.requirements).encode())
        for project in self.local:
            sha.update(f"\0{project.name}\0{project.digest()}".encode())
        return sha.hexdigest()


def uv() -> str:
    found = shutil.which("uv")
    if not found:
        raise OperationFailed("uv not found on PATH: aloft reads uv.lock with it; install uv")
    return found


def find_lock(root: Path) -> Path:
    """The project's uv.lock: beside pyproject.toml, or at the root of its uv workspace."""
    lock = project_lock(root)
    if lock is not None:
        return lock
    if (root / "requirements.txt").is_file():
        raise ConfigError(
            f"{root}: only requirements.txt, no uv.lock; create one with "
            "`uv add -r requirements.txt` (it writes uv.lock), then run aloft again"
        )
    raise ConfigError(f"{root}/uv.lock: missing; run `uv lock` in {root} to pin the dependencies")


def read_lock(root: Path) -> Locked:
    lock = find_lock(root)
    _check_fresh(root, lock)
    result = subprocess.run(
        [
            uv(),
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--no-editable",
            "--no-header",
            "--no-hashes",
            "--no-annotate",
            "--format",
            "requirements-txt",
            "--project",
            str(root),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise ConfigError(
            f"{lock}: uv export failed ({(result.stderr.strip().splitlines() or [''])[-1]}); "
            "run `uv lock`"
        )
    requirements: list[str] = []
    local: list[LocalProject] = []
    for raw in result.stdout.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-e "):
            line = line[3:].strip()
        spec = line.split(";")[0].strip()
        if " @ git+" in spec or spec.startswith("git+"):
            name = requirement_name(spec)
            raise ConfigError(
                f"{lock}: git dependency {name} ({spec.split('@', 1)[-1].strip()}) cannot be "
                "built for another platform; publish it to an index, or clone it and "
                f"`uv add ./path/to/{name}` as a path dependency"
            )
        path = _local_path(spec, lock.parent)
        if path is not None:
            if normalise(path.name) == RUNTIME:
                continue  # aloft's own copy replaces it (its folder need not exist here)
            name = _project_name(path, lock)
            if name != RUNTIME:
                local.append(LocalProject(name, path))
            continue
        if requirement_name(line) != RUNTIME:
            requirements.append(line)
    return Locked(lock, tuple(requirements), tuple(local))


def _check_fresh(root: Path, lock: Path) -> None:
    # uv needs an interpreter within requires-python to check the lock; hand it the one
    # aloft.pythons finds (pyenv's shims hide real installs from uv).
    from aloft import pythons

    within = pythons.interpreter_within(pythons.project_python(root / "pyproject.toml"))
    check = subprocess.run(
        [uv(), "lock", "--check", "--offline", "--project", str(root)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "UV_PYTHON": str(within)} if within else None,
    )
    if check.returncode != 0:
        message = (check.stderr.strip().splitlines() or ["out of date"])[-1]
        if "offline" not in message.lower() and "network" not in message.lower():
            raise ConfigError(
                f"{lock}: does not match pyproject.toml ({message.removeprefix('error: ')}); "
                "run `uv lock`"
            )


def _local_path(spec: str, base: Path) -> Path | None:
    if " @ file://" in spec:
        return Path(spec.split(" @ file://", 1)[1])
    if spec.startswith("file://"):
        return Path(spec[len("file://") :])
    if spec.startswith(("./", "../", "/")):
        return (base / spec).resolve()
    return None


def _project_name(path: Path, lock: Path) -> str:
    pyproject = path / "pyproject.toml"
    if path.is_file() and path.suffix == ".whl":
        return path.name.split("-")[0].replace("_", "-").lower()
    if not pyproject.is_file():
        raise ConfigError(
            f"{lock}: path dependency {path} has no pyproject.toml; make it a project "
            "(`uv init --lib` there) or depend on a published version"
        )
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with pyproject.open("rb") as fh:
        name = str(tomllib.load(fh).get("project", {}).get("name", path.name))
    return normalise(name)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line: str) -> str:
    return normalise(re.split(r"[=<>!~;\[ @]", line.strip(), maxsplit=1)[0])


# The runtime's extras that only the HTTP server needs; its others (otel) ship to Lambda too.
SERVER_EXTRAS = frozenset({"asgi", "wsgi"})


def _needed_without_runtime(lock: Path, project: str) -> set[str]:
    """Names the project needs at run time, transitively, walking through the runtime only by
    its extras other than the server's (span export's `otel` runs on Lambda as well)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with lock.open("rb") as fh:
        packages = tomllib.load(fh).get("package", [])
    edges: dict[str, set[str]] = {}
    for package in packages:
        name = normalise(package["name"])
        found = {normalise(d["name"]) for d in package.get("dependencies", [])}
        for extra, deps in package.get("optional-dependencies", {}).items():
            if name == RUNTIME and extra in SERVER_EXTRAS:
                continue
            found |= {normalise(d["name"]) for d in deps}
        edges.setdefault(name, set()).update(found)
    if project not in edges:
        raise ConfigError(f"{lock}: no package {project!r} in the lock; run `uv lock`")
    needed: set[str] = set()
    todo = list(edges[project])
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        todo.extend(edges.get(name, ()))
    # The runtime itself ships as aloft's own files, not as a locked package.
    needed.discard(RUNTIME)
    return needed


def server_requirements(locked: Locked, interface: str) -> list[str]:
    """The production server for the app's interface, unless the lock already pins it."""
    names = locked.names()
    asgi = interface == "asgi" or (interface == "auto" and bool(names & ASGI_FRAMEWORKS))
    return [name for name in (ASGI_SERVER if asgi else WSGI_SERVER) if name not in names]
