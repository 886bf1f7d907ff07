"""The acceptance suite's tools: aloft installed as the README says, commands run as a user would.

Everything here runs outside the repository: the projects live in pytest's temporary folders, the
`aloft` command is the one `uv tool install` put in a temporary bin folder, and the environment
is scrubbed of this repository's virtual environment so nothing leaks in from it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from testkit import runc_config, runc_run

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
MARKER = "<!-- acceptance: install-from-clone -->"


def readme_install_commands() -> list[str]:
    """The commands of the README's install-from-clone block, comments stripped."""
    text = README.read_text(encoding="utf-8")
    assert MARKER in text, f"{README}: the block marked {MARKER} is gone"
    block = text.split(MARKER, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()
        if command:
            commands.append(command)
    return commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Installed:
    """aloft as a user has it: wheels in `dist`, the `aloft` command in `bin`."""

    dist: Path
    bin: Path
    cache: Path
    env: dict[str, str]

    def command(self, line: str) -> str:
        """A README line with `dist` and `path/to/clone/dist` pointing at the built wheels."""
        dist = shlex.quote(str(self.dist))
        line = line.replace("path/to/clone/dist", dist)
        return re.sub(r"(?<![\w/.-])dist(?=/|\s|$)", dist, line)


def user_env(bin_dir: Path, cache: Path) -> dict[str, str]:
    """The caller's environment without this repository's venv, our variables or a Python path."""
    venv = os.environ.get("VIRTUAL_ENV", "")
    path = [
        p
        for p in os.environ.get("PATH", "").split(os.pathsep)
        if p and not (venv and p.startswith(venv)) and not p.startswith(str(REPO))
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALOFT_", "PYTHON", "UV_PROJECT", "UV_TOOL"))
        and k not in ("VIRTUAL_ENV", "SOURCE_DATE_EPOCH", "UV_PYTHON", "CONDA_PREFIX")
    }
    env["PATH"] = os.pathsep.join([str(bin_dir), *path])
    env["ALOFT_CACHE_DIR"] = str(cache)
    env["ALOFT_NO_PROGRESS"] = "1"
    env["UV_TOOL_DIR"] = str(bin_dir.parent / "tools")
    env["UV_TOOL_BIN_DIR"] = str(bin_dir)
    env["UV_NO_PROGRESS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def sh(
    command: str,
    cwd: Path,
    env: dict[str, str],
    timeout: float = 300,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """One shell command line, as a user types it (globs expand); its output kept for messages."""
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"`{command}` in {cwd} exited {done.returncode}\n"
            f"stdout: {done.stdout[-3000:]}\nstderr: {done.stderr[-3000:]}"
        )
    return done


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


@dataclass
class Background:
    """A long-running command (aloft run, lambda serve, runc) whose output is kept for messages."""

    process: subprocess.Popen[str]
    log: Path
    description: str

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_http(self, url: str, timeout: float = 90) -> tuple[int, str]:
        """The first answer from `url`, waiting while the server starts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.description} exited {self.process.returncode} before answering "
                    f"{url}:\n{self.output()}"
                )
            with contextlib.suppress(OSError):
                return get(url, timeout=10)
            time.sleep(0.2)
        raise AssertionError(
            f"{self.description}: no answer from {url} in {timeout}s\n{self.output()}"
        )

    def stop(self, timeout: float = 40) -> int:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            raise AssertionError(
                f"{self.description} did not stop within {timeout}s of SIGTERM:\n{self.output()}"
            ) from None


@contextlib.contextmanager
def background(
    command: str, cwd: Path, env: dict[str, str], log: Path, description: str = ""
) -> Iterator[Background]:
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
    running = Background(process, log, description or command)
    try:
        yield running
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@contextlib.contextmanager
def runc_container(bundle: Path, env: dict[str, str], log: Path) -> Iterator[Background]:
    """Run an unpacked image with the host network and a read-only root (as Kubernetes runs it
    with readOnlyRootFilesystem and an emptyDir at /tmp); always deleted after."""
    runc_config(bundle, env=env)
    with log.open("w") as out, runc_run(bundle, "aloft-accept", stdout=out) as (name, process):
        yield Background(process, log, f"runc container {name}")


@dataclass
class Project:
    """A generated project, ready for the pipeline: where aloft runs and what it must serve."""

    shape: str
    root: Path
    app: str
    interface: str
    marker: str
    # (path, text) pairs every serving step also checks, beyond "/".
    extra_requests: tuple[tuple[str, str], ...] = ()
    # The `aloft` invocation: the installed tool, or `uv run aloft` for a dev dependency.
    aloft: str = "aloft"
    init_output: str = ""
    notes: list[str] = field(default_factory=list)
    # The app's environment, where uv puts it (a workspace member's is the workspace's).
    venv: Path | None = None

    @property
    def environment(self) -> Path:
        return self.venv or self.root / ".venv"
