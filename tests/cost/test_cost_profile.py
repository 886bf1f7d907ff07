"""`aloft profile` against a real server process started as `aloft run` starts it.

The app is a tiny WSGI app the test writes, served by `python -m aloft.runtime serve` on
127.0.0.1; every load is capped at about a second and a few hundred requests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ALOFT = str(Path(sys.executable).parent / "aloft")

APP = """
import hashlib

def app(environ, start_response):
    rounds = 20000 if environ["PATH_INFO"] == "/heavy" else 10
    data = b"x"
    for _ in range(rounds):
        data = hashlib.sha256(data).digest()
    start_response("200 OK", [("content-type", "text/plain")])
    return [data.hex().encode()]
"""


def make_project(root: Path, path: str) -> Path:
    root.mkdir(parents=True)
    (root / "tinyapp.py").write_text(APP)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "tiny"\n\n[tool.aloft]\napp = "tinyapp:app"\naccess_log = false\n\n'
        '[tool.aloft.cost]\nlatency_target_ms = 250\nplatforms = ["lambda", "fargate"]\n\n'
        "[tool.aloft.cost.traffic]\nrps = 3\n\n"
        f'[tool.aloft.cost.run]\nconcurrency = [1, 2]\nrequests = [{{ path = "{path}" }}]\n'
    )
    return root


def aloft(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    return subprocess.run(
        [ALOFT, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def servers_in(folder: Path) -> list[int]:
    """Live processes whose working directory is `folder` (the profiled server's)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(os.readlink(f"/proc/{entry}/cwd")) == folder:
                    found.append(int(entry))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    out = {}
    for name, path in (("light", "/"), ("heavy", "/heavy")):
        project = make_project(tmp_path_factory.mktemp(name) / "app", path)
        done = aloft(
            "profile",
            "--project",
            str(project),
            "--seconds",
            "1",
            "--max-requests",
            "400",
            "-o",
            "json",
        )
        assert done.returncode == 0, done.stderr
        out[name] = (project, json.loads(done.stdout))
    return out


def test_profile_measures_cpu_latency_memory_and_capacity(
    profiles: dict[str, tuple[Path, dict[str, Any]]],
) -> None:
    project, data = profiles["light"]
    saved = json.loads((project / "aloft-profile.json").read_text())
    assert saved["format"] == "aloft-profile/1"
    assert 0 < data["requests"] <= 400
    assert data["cpu_ms"] > 0
    assert 0 < data["latency_ms"]["p50"] <= data["latency_ms"]["p99"]
    assert 5 < data["rss_steady_mb"] <= data["rss_peak_mb"] < 1000
    assert data["rps_per_worker"] > 0
    assert [s["concurrency"] for s in data["steps"]] == [1, 2]
    assert all(s["errors"] == 0 for s in data["steps"])


def test_cpu_heavier_requests_measure_more_cpu_time(
    profiles: dict[str, tuple[Path, dict[str, Any]]],
) -> None:
    light, heavy = profiles["light"][1], profiles["heavy"][1]
    # 20,000 hashes against 10: the heavy path must cost several times the CPU per request.
    assert heavy["cpu_ms"] > 3 * light["cpu_ms"]
    assert heavy["latency_ms"]["mean"] > light["latency_ms"]["mean"]
    assert heavy["rps_per_worker"] < light["rps_per_worker"]


def test_the_server_is_stopped_after_profiling(
    profiles: dict[str, tuple[Path, dict[str, Any]]],
) -> None:
    for project, _ in profiles.values():
        assert servers_in(project) == []


def test_cost_reads_the_profile_and_right_sizes_from_it(
    profiles: dict[str, tuple[Path, dict[str, Any]]],
) -> None:
    project, measured = profiles["heavy"]
    done = aloft("cost", "--project", str(project), "-o", "json", "--no-break-even")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    sizing = data["rightsizing"]
    assert sizing["lambda"]["memory_mb"] >= 128
    assert sizing["lambda"]["p99_ms"] <= 250
    pod = sizing["kubernetes"]
    assert pod["pod_rps"] == pytest.approx(measured["rps_per_worker"])
    lam = next(e for e in data["estimates"] if e["platform"] == "lambda")
    assert f"{sizing['lambda']['memory_mb']} MB" in lam["label"]
