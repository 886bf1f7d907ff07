"""Right-sizing from a measured profile, commitments beside on-demand, and the tag check."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass

import costkit

from aloft.config import load_config
from aloft.cost.app_profile import AppProfile, load_profile, save_profile
from aloft.cost.catalog import Catalog
from aloft.cost.compare import commitment_option, compare
from aloft.cost.platforms import EksSpec, FargateSpec, LambdaSpec
from aloft.cost.rightsizing import lambda_duration_ms, size_lambda, size_pod, suggested_toml
from aloft.cost.traffic import steady
from aloft.exceptions import ConfigError

# Fixtures shared by the cost tests (see costkit.py for why not a conftest.py).
catalog = costkit.catalog

PROFILE = AppProfile(
    app="shop:app",
    workers=1,
    requests=1000,
    cpu_ms=50.0,
    latency_ms={"mean": 60.0, "p50": 55.0, "p90": 80.0, "p99": 120.0},
    rss_steady_mb=90.0,
    rss_peak_mb=100.0,
    rps_per_worker=10.0,
    target_p99_ms=200.0,
)


def test_lambda_duration_stretches_cpu_time_below_one_vcpu(catalog: Catalog) -> None:
    # 10 ms of waiting + 50 ms of CPU; at 884.5 MB Lambda gives half a vCPU.
    assert lambda_duration_ms(PROFILE, 1769, 1769) == pytest.approx(60.0)
    assert lambda_duration_ms(PROFILE, 3538, 1769) == pytest.approx(60.0)  # one thread: no gain
    assert lambda_duration_ms(PROFILE, 884, 1769) == pytest.approx(10 + 50 * 1769 / 884)


def test_picks_the_cheapest_memory_that_meets_the_p99_target(catalog: Catalog) -> None:
    # p99 = 2 x duration; duration <= 100 ms needs 50 x 1769 / m <= 90, m >= 983 MB: 1024 MB.
    base = LambdaSpec(front="none", free_tier=False)
    sizing = size_lambda(PROFILE, base, steady(5), catalog, latency_target_ms=200, headroom=0.3)
    assert sizing.chosen.memory_mb == 1024
    assert sizing.chosen.p99_ms == pytest.approx(2 * (10 + 50 * 1769 / 1024))
    assert sizing.min_memory_mb == 130  # peak RSS 100 MB + 30%
    assert all(o.memory_mb >= 130 for o in sizing.options)
    cheaper = [o for o in sizing.options if o.monthly_usd < sizing.chosen.monthly_usd]
    assert cheaper and not any(o.meets_target for o in cheaper)


def test_when_no_size_meets_the_target_the_fastest_is_chosen_and_said_so(catalog: Catalog) -> None:
    sizing = size_lambda(
        PROFILE, LambdaSpec(front="none"), steady(5), catalog, latency_target_ms=50, headroom=0.3
    )
    assert sizing.chosen.memory_mb == 1769
    assert "no size meets" in sizing.reason


def test_pod_requests_cover_capacity_plus_headroom() -> None:
    pod = size_pod(PROFILE, workers=2, headroom=0.3)
    assert pod.pod_rps == 20.0
    assert pod.cpu_request == pytest.approx(1.3)  # 20 req/s x 50 ms = 1 CPU, + 30%
    # master 48 MiB + 2 workers x (100 MB peak RSS x 1.3 = 130 MiB) = 308, rounded up to 16 MiB
    assert pod.memory_request_mib == 320
    assert pod.worker_memory_mib == 130
    assert pod.memory_limit_mib == pod.memory_request_mib
    assert pod.hpa_target_cpu_percent == 77


def test_suggestions_are_settings_the_project_config_accepts(
    catalog: Catalog, tmp_path: Path
) -> None:
    sizing = size_lambda(
        PROFILE, LambdaSpec(front="none"), steady(5), catalog, latency_target_ms=200, headroom=0.3
    )
    text = suggested_toml(sizing, size_pod(PROFILE, workers=2, headroom=0.3), ["api", "worker"])
    # Pasted into a real pyproject.toml, the snippet passes the same loader every verb uses.
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\n[tool.aloft]\napp = "m:app"\n' + text
    )
    config = load_config(tmp_path, environ={}).config
    assert {n: f.memory for n, f in config.lambda_.functions.items()} == {
        "api": 1024,
        "worker": 1024,
    }
    assert (config.kubernetes.cpu, config.kubernetes.memory) == ("1300m", "320Mi")
    assert (config.kubernetes.workers, config.kubernetes.worker_memory) == (2, "130Mi")
    assert config.kubernetes.autoscaling.target_cpu == 77


def test_profile_round_trips_and_rejects_damage(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_profile(PROFILE, path)
    assert load_profile(path) == PROFILE
    path.write_text(path.read_text().replace('"cpu_ms": 50.0', '"cpu_ms": -1'))
    with pytest.raises(ConfigError, match="negative"):
        load_profile(path)
    path.write_text("{}")
    with pytest.raises(ConfigError, match="aloft-profile/1"):
        load_profile(path)


# --- commitments --------------------------------------------------------------------------------


def test_savings_plan_covers_the_always_on_fargate_usage(catalog: Catalog) -> None:
    estimate = FargateSpec(tasks=2, vcpu=0.5, memory_gb=1).month([0.0] * 730, catalog)
    plan = catalog.commitments["compute-savings-plan-3y"]
    option = commitment_option(estimate, plan)
    assert option is not None
    on_demand = 2 * 730 * (0.5 * 0.04048 + 0.004445)
    assert option.with_commitment_usd == pytest.approx(on_demand * (1 - 0.52))
    assert option.hourly_commitment_usd == pytest.approx(on_demand * 0.48 / 730)
    assert plan.upto and plan.term_years == 3


def test_savings_plan_never_discounts_the_eks_control_plane(catalog: Catalog) -> None:
    estimate = EksSpec(nodes=3).month([0.0] * 730, catalog)
    option = commitment_option(estimate, catalog.commitments["compute-savings-plan-3y"])
    assert option is not None
    assert option.with_commitment_usd == pytest.approx(73 + 3 * 730 * 0.096 * (1 - 0.66))


def test_commitment_covers_only_the_baseline_of_variable_usage(catalog: Catalog) -> None:
    # 1 task half the hours, 3 the other half: the baseline is 1 of the mean 2 tasks.
    hourly = [0.0] * 365 + [25 * 3600.0] * 365
    estimate = FargateSpec(task_rps=10, min_tasks=1).month(hourly, catalog)
    assert estimate.baseline_fraction == pytest.approx(0.5)
    option = commitment_option(estimate, catalog.commitments["compute-savings-plan-3y"])
    assert option is not None
    assert estimate.total_usd - option.with_commitment_usd == pytest.approx(
        estimate.total_usd * 0.5 * 0.52
    )


def test_comparison_lists_commitments_beside_on_demand(catalog: Catalog) -> None:
    models = (LambdaSpec(duration_ms=50), FargateSpec(tasks=1), EksSpec(nodes=1))
    # 10 req/s x 50 ms x 0.5 GB is past the free tier, so Lambda has duration to commit to.
    result = compare(models, steady(10), catalog, with_break_even=False)
    platforms = {c.platform for c in result.commitments}
    assert {"fargate", "eks", "lambda"} <= platforms
    for option in result.commitments:
        assert option.with_commitment_usd < option.on_demand_usd


def test_rendered_pods_run_the_worker_count_the_memory_was_sized_for(tmp_path: Path) -> None:
    """Right-sizing, the renderer and `aloft k8s check` share one sizing arithmetic."""
    from aloft.checks.kube.engine import CheckOptions, KubeChecker, rendered_documents
    from aloft.kube.render import render
    from aloft.kube.versions import KubeVersion

    for workers in (1, 3, 6):
        pod = size_pod(PROFILE, workers=workers, headroom=0.3)
        folder = tmp_path / str(workers)
        folder.mkdir()
        (folder / "pyproject.toml").write_text(
            '[project]\nname = "svc"\n[tool.aloft]\napp = "m:app"\n' + suggested_toml(None, pod)
        )
        version = KubeVersion.parse("1.31")
        image = "r.example/svc@sha256:" + "a" * 64
        objects = render(load_config(folder, environ={}), image, version).objects
        data = next(o for o in objects if o["kind"] == "ConfigMap")["data"]
        assert data["ALOFT_WORKERS"] == str(workers)
        report = KubeChecker(CheckOptions(version)).run(rendered_documents(objects, "r"), ".")
        assert [f for f in report.findings if f.rule == "REL011"] == []
