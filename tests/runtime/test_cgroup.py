"""Workers are sized from the container's CPU quota, not the host's CPU count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from aloft.runtime.cgroup import read_limits

CPU_V1 = Path("/sys/fs/cgroup/cpu")


@pytest.fixture
def cpu_cgroup() -> Iterator[Path]:
    """A real cgroup v1 CPU group with a 1.5 CPU quota, removed afterwards."""
    if not (CPU_V1 / "cpu.cfs_quota_us").exists():
        pytest.fail(
            "this test needs the cgroup v1 cpu controller at /sys/fs/cgroup/cpu "
            "(as on this machine kind)"
        )
    group = CPU_V1 / f"aloft-test-{uuid.uuid4().hex[:8]}"
    group.mkdir()
    try:
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text("150000")
        yield group
    finally:
        for pid in (group / "cgroup.procs").read_text().split():
            (CPU_V1 / "cgroup.procs").write_text(pid)
        group.rmdir()


def run_in(group: Path, code: str, env: dict[str, str] | None = None) -> str:
    script = f'echo $$ > {group}/cgroup.procs && exec "$0" -c "$1"'
    done = subprocess.run(
        ["sh", "-c", script, sys.executable, code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quota_of_a_real_cgroup_sets_default_workers(cpu_cgroup: Path) -> None:
    out = run_in(
        cpu_cgroup,
        "import json; from aloft.runtime.cgroup import read_limits as r; l = r();"
        "print(json.dumps([l.cpu_quota, l.default_workers(), l.source]))",
    )
    assert json.loads(out) == [1.5, 2, "cgroup v1"]


def test_server_start_line_reports_workers_from_quota(cpu_cgroup: Path, tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text(
        "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'']\n"
    )
    code = (
        "import os, sys; sys.path.insert(0, os.environ['APPDIR']);"
        "from aloft.runtime.serve import load_wrapped, _log_start;"
        "from aloft.runtime.cgroup import read_limits;"
        "from aloft.runtime.options import ServeOptions;"
        "from aloft.runtime import logs; o = ServeOptions.from_env(os.environ);"
        "logs.configure('t');"
        "l = read_limits(); _log_start(o, 'wsgi', o.workers or l.default_workers(), l)"
    )
    out = run_in(cpu_cgroup, code, {"ALOFT_APP": "tiny:app", "APPDIR": str(tmp_path)})
    line = json.loads(out.splitlines()[-1])
    assert (line["workers"], line["workers_from"], line["cpu_quota"]) == (
        2,
        "cpu quota (cgroup v1)",
        1.5,
    )


def test_cgroup_v2_limits_are_read_and_the_tightest_ancestor_wins(tmp_path: Path) -> None:
    mount = tmp_path / "unified"
    leaf = mount / "kubepods" / "pod1" / "ctr"
    leaf.mkdir(parents=True)
    (mount / "kubepods" / "cpu.max").write_text("400000 100000\n")
    (leaf / "cpu.max").write_text("50000 100000\n")
    (leaf / "memory.max").write_text(str(512 * 1024 * 1024))
    (mount / "kubepods" / "memory.max").write_text("max\n")
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "mountinfo").write_text(f"30 23 0:26 / {mount} rw,nosuid - cgroup2 cgroup2 rw\n")
    (proc / "cgroup").write_text("0::/kubepods/pod1/ctr\n")
    limits = read_limits(str(proc))
    assert (limits.cpu_quota, limits.memory_bytes, limits.source) == (
        0.5,
        512 * 1024 * 1024,
        "cgroup v2",
    )
    assert limits.default_workers() == 1


def test_no_limits_fall_back_to_the_cpus_this_process_may_use() -> None:
    limits = read_limits()
    assert limits.cpus_visible == len(os.sched_getaffinity(0))
    assert limits.default_workers() >= 1
