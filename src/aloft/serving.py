"""Starting the runtime's server for a project: pick the app's interpreter, hand it the config.

The tooling never serves requests itself; it resolves the config into ALOFT_* variables and
replaces itself with `python -m aloft.runtime serve`, so signals reach the server directly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from aloft import pythons
from aloft.config import ResolvedConfig
from aloft.config.loader import DEFAULT
from aloft.exceptions import ConfigError, OperationFailed
from aloft.runtime.options import ServeOptions
from aloft.workspace import project_lock

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - exercised on 3.10 only
    pass


def app_environment(root: Path) -> Path:
    """The app's virtual environment as uv places it: UV_PROJECT_ENVIRONMENT, else the .venv beside
    the lock (a workspace member's is the workspace's), else the project's own .venv."""
    lock = project_lock(root)
    base = lock.parent if lock is not None else root
    configured = os.environ.get("UV_PROJECT_ENVIRONMENT")
    if configured:
        return base / configured  # an absolute value replaces base
    return base / ".venv"


def sync_command(root: Path, python: Path | None = None) -> list[str]:
    """`uv sync` for running the app: production dependencies, removing nothing.

    --no-dev keeps the served environment the one production gets; --inexact keeps what is there
    beyond it, above all aloft itself when it is one of the app's dev dependencies (an exact sync
    would uninstall the running tool). `python` is the interpreter to build the env with."""
    interpreter = ["--python", str(python)] if python is not None else []
    return [
        *("uv", "sync", "--frozen", "--quiet", "--no-dev", "--inexact"),
        *interpreter,
        *("--project", str(root)),
    ]


def app_python(root: Path, python: Path | None = None) -> Path:
    """The interpreter of the app's environment: given, else its .venv (synced from uv.lock).

    Whichever it is must satisfy the project's requires-python (a ConfigError otherwise)."""
    chosen = python or _environment_python(root)
    pythons.check_interpreter(pythons.project_python(root / "pyproject.toml"), chosen)
    return chosen


def _environment_python(root: Path) -> Path:
    lock = project_lock(root)
    if lock is not None and shutil.which("uv"):
        # The project's own version, found where uv may not look (pyenv hides it behind shims).
        project = pythons.project_python(root / "pyproject.toml")
        found = pythons.find_interpreter(project.version) if project.version else None
        done = subprocess.run(
            sync_command(root, found),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            detail = (done.stderr.strip().splitlines() or ["uv sync failed"])[-1]
            raise OperationFailed(f"{lock}: cannot sync the app's environment: {detail}")
    venv_python = app_environment(root) / "bin" / "python"
    if venv_python.exists():
        return venv_python
    return Path(sys.executable)


def server_command(python: Path) -> list[str]:
    return [str(python), "-m", "aloft.runtime", "serve"]


def server_env(resolved: ResolvedConfig, serve: ServeOptions) -> dict[str, str]:
    if not serve.app:
        raise ConfigError(
            f'{resolved.pyproject} [tool.aloft] app is not set; add app = "module:attribute"'
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    env.update(resolved.config.runtime_env(serve))
    return env


def launch(resolved: ResolvedConfig, serve: ServeOptions, *, python: Path | None = None) -> None:
    env = server_env(resolved, serve)
    interpreter = app_python(resolved.root, python)
    check = subprocess.run(
        [str(interpreter), "-c", "import aloft.runtime"], env=env, capture_output=True, check=False
    )
    if check.returncode != 0:
        raise ConfigError(
            f"{resolved.pyproject}: the app's environment ({interpreter}) lacks aloft-runtime; "
            "add it with `uv add 'aloft-runtime[asgi]'` (or [wsgi] for a WSGI app)"
        )
    os.chdir(resolved.root)
    command = server_command(interpreter)
    os.execve(command[0], command, env)


LOOPBACK = "127.0.0.1"
# Files and variables container runtimes and Kubernetes leave in every container.
_CONTAINER_MARKS = ("/.dockerenv", "/run/.containerenv")


def in_container() -> bool:
    return (
        any(os.path.exists(mark) for mark in _CONTAINER_MARKS)
        or bool(os.environ.get("container"))  # noqa: SIM112 - podman and systemd-nspawn set it
        or bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
    )


def development_host(resolved: ResolvedConfig, override: str | None) -> tuple[str, str | None]:
    """(host, note) for `aloft run`: outside a container, unless a host was asked for, listen on
    loopback only, so a development server is not reachable from the network by default."""
    if override:
        return override, None
    if resolved.origin("host") != DEFAULT or in_container():
        return resolved.config.serve.host, None
    return LOOPBACK, (
        f"listening on {LOOPBACK} only (outside a container); --host 0.0.0.0 or"
        " [tool.aloft] host to listen on every interface"
    )
