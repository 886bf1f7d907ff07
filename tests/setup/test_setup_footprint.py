"""The setup scripts leave the machine as they found it, plus the packages they install.

These drive the real scripts as root against the machine's own apt: a tiny Debian package
(`hello`) is installed and purged again. On a machine without apt or root they cannot run at all,
which is the one case they are skipped for.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APT_LIB = REPO / "scripts" / "lib" / "apt.sh"
POLICY = Path("/usr/sbin/policy-rc.d")
PROBE_PACKAGE = "hello"
# Where apt and dpkg keep their own state: changed by any install, by design.
APT_STATE = ("/var/lib/dpkg", "/var/lib/apt", "/var/cache/apt", "/var/cache/debconf", "/var/log")
# What a setup script could change beyond its packages. (/var/cache and /var/lib also change under
# other processes, such as fontconfig's cache, so they would only add noise.)
WATCHED = ("/etc", "/usr/sbin", "/usr/bin", "/usr/lib/systemd", "/usr/local", "/usr/share/doc")

needs_apt_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("apt-get") is None, reason="needs root and apt-get"
)


def _installed(package: str) -> bool:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return "install ok installed" in out.stdout


def _purge(package: str) -> None:
    subprocess.run(
        ["apt-get", "purge", "-y", "-qq", package],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        check=False,
    )


def _snapshot() -> dict[str, tuple[int, int]]:
    """Every file and link under the watched folders, with its size and mtime."""
    seen: dict[str, tuple[int, int]] = {}
    for top in WATCHED:
        for folder, dirs, files in os.walk(top):
            if folder.startswith(APT_STATE):
                dirs[:] = []
                continue
            for name in files + dirs:
                path = os.path.join(folder, name)
                try:
                    st = os.lstat(path)
                except FileNotFoundError:
                    continue
                if os.path.isdir(path) and not os.path.islink(path):
                    continue
                seen[path] = (st.st_size, int(st.st_mtime))
    return seen


def _apt(script: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["bash", "-c", f". {APT_LIB}; {script}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def no_policy() -> object:
    """Runs a test on a machine without a policy-rc.d, and puts back one that was there."""
    saved = POLICY.read_bytes() if POLICY.exists() else None
    POLICY.unlink(missing_ok=True)
    _purge(PROBE_PACKAGE)
    yield
    _purge(PROBE_PACKAGE)
    if saved is not None:
        POLICY.write_bytes(saved)
        POLICY.chmod(0o755)


@needs_apt_root
@pytest.mark.usefixtures("no_policy")
def test_an_install_changes_nothing_but_the_package() -> None:
    before = _snapshot()
    proc = _apt(f"apt_install {PROBE_PACKAGE}")
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    assert _installed(PROBE_PACKAGE)
    assert not POLICY.exists(), "the install-time policy-rc.d was left behind"
    after = _snapshot()
    owned = set(
        subprocess.run(
            ["dpkg", "-L", PROBE_PACKAGE], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    # ld.so.cache is rebuilt by dpkg's trigger, not by aloft.
    triggered = {"/etc/ld.so.cache"}
    stray = sorted(changed - owned - triggered)
    assert stray == []


@needs_apt_root
@pytest.mark.usefixtures("no_policy")
def test_a_failed_install_removes_the_guard() -> None:
    proc = _apt("apt_install aloft-no-such-package-anywhere")
    _, err = proc.communicate(timeout=240)
    assert proc.returncode != 0
    assert not POLICY.exists(), err


@needs_apt_root
@pytest.mark.usefixtures("no_policy")
def test_ctrl_c_during_an_install_removes_the_guard() -> None:
    proc = _apt(f"apt_install {PROBE_PACKAGE}")
    deadline = time.monotonic() + 60
    while not POLICY.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert POLICY.exists(), "the guard should be in place while the install runs"
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=240)
    assert not POLICY.exists()


@needs_apt_root
def test_a_policy_that_was_there_is_left_alone(tmp_path: Path) -> None:
    saved = POLICY.read_bytes() if POLICY.exists() else None
    mine = b"#!/bin/sh\n# the admin's own\nexit 0\n"
    POLICY.write_bytes(mine)
    try:
        _purge(PROBE_PACKAGE)
        proc = _apt(f"apt_install {PROBE_PACKAGE}")
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        assert POLICY.read_bytes() == mine
    finally:
        _purge(PROBE_PACKAGE)
        if saved is None:
            POLICY.unlink(missing_ok=True)
        else:
            POLICY.write_bytes(saved)


def _path_without(tmp_path: Path, *names: str) -> str:
    """A PATH with every command of this machine except `names`, to play a machine without them."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            target = bin_dir / entry.name
            if entry.name in names or target.exists() or not os.access(entry.path, os.X_OK):
                continue
            target.symlink_to(entry.path)
    return str(bin_dir)


def test_the_demo_without_redis_or_apt_says_what_it_needs_in_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": _path_without(tmp_path, "apt-get", "redis-server"),
        "HOME": str(tmp_path),
    }
    out = subprocess.run(
        [str(REPO / "scripts" / "bootstrap"), "--demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "REDIS_URL=redis://" in lines[0] and "uv" in lines[0]


def test_the_demo_with_a_redis_url_installs_nothing_from_apt(tmp_path: Path) -> None:
    status = Path("/var/lib/dpkg/status")
    before = status.stat().st_mtime_ns if status.exists() else 0
    env = {
        **os.environ,
        "PATH": _path_without(tmp_path, "apt-get", "redis-server"),
        "REDIS_URL": "redis://127.0.0.1:1/0",
        # The demo's environment goes to a folder of the test's, not the suite's own .venv.
        "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"),
    }
    out = subprocess.run(
        [str(REPO / "scripts" / "bootstrap"), "--demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "installing Debian packages" not in out.stderr
    after = status.stat().st_mtime_ns if status.exists() else 0
    assert after == before
