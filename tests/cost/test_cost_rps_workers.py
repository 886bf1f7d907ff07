"""`aloft cost --rps N` needs no traffic config, and the pod it suggests is sized for the worker
count the rendered manifests run (one builder: kube.spec.pod_worker_count)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import costkit
import pytest

from aloft.cost.app_profile import AppProfile, save_profile

aloft = costkit.aloft
Run = Callable[..., Any]

PROFILE = AppProfile(
    app="shop:app",
    workers=1,
    requests=1000,
    cpu_ms=5.0,
    latency_ms={"mean": 30.0, "p50": 25.0, "p90": 40.0, "p99": 60.0},
    rss_steady_mb=90.0,
    rss_peak_mb=100.0,
    rps_per_worker=40.0,
    target_p99_ms=200.0,
)


def project(root: Path, extra: str = "") -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "shop"\n\n[tool.aloft]\napp = "shop:app"\nport = 8000\n{extra}'
    )
    save_profile(PROFILE, root / "aloft-profile.json")
    return root


def test_rps_flag_alone_prices_without_any_cost_table(aloft: Run, tmp_path: Path) -> None:
    root = project(tmp_path / "app")
    result = aloft("cost", "--project", str(root), "--rps", "5", "-o", "json", "--no-break-even")
    assert result.code == 0, result.err
    assert result.json()["traffic"]["mean_rps"] == pytest.approx(5)


def test_without_rps_anywhere_the_error_names_the_flag_too(aloft: Run, tmp_path: Path) -> None:
    result = aloft("cost", "--project", str(project(tmp_path / "app")), "--no-break-even")
    assert result.code == 2
    assert "rps = N" in result.err and "--rps N" in result.err


def test_suggested_pod_memory_is_for_the_workers_the_manifests_run(
    aloft: Run, tmp_path: Path
) -> None:
    # No workers set: the renderer derives 2 from cpu = "2" (memory holds them); cost did 1.
    root = project(tmp_path / "app", '\n[tool.aloft.kubernetes]\ncpu = "2"\nmemory = "1Gi"\n')
    rendered = aloft("k8s", "render", "--project", str(root), "-o", "json")
    assert rendered.code == 0, rendered.err
    config_maps = [i for i in rendered.json()["items"] if i["kind"] == "ConfigMap"]
    runs = int(config_maps[0]["data"]["ALOFT_WORKERS"])
    result = aloft("cost", "--project", str(root), "--rps", "5", "-o", "json", "--no-break-even")
    assert result.code == 0, result.err
    pod = result.json()["rightsizing"]["kubernetes"]
    assert runs == 2 and pod["workers"] == runs
    # master 48 MiB + 2 x (100 MB peak + 30% headroom) = 308, rounded up to 16 MiB
    assert pod["memory_request_mib"] == 320
