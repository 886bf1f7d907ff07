"""Starting the runtime's server for a project: hand the app's interpreter the resolved config.

The tooling never serves requests itself; it resolves the config into ALOFT_* variables and
replaces itself with `python -m aloft.runtime serve`, so signals reach the server directly.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from aloft.config import ResolvedConfig
from aloft.config.loader import DEFAULT
from aloft.exceptions import ConfigError
from aloft.local.environment import app_python
from aloft.runtime.options import ServeOptions

LOOPBACK = "127.0.0.1"
# Files and variables container runtimes and Kubernetes leave in every container.
_CONTAINER_MARKS = ("/.dockerenv", "/run/.containerenv")


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
