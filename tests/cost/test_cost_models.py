"""Worked examples, computed by hand from the us-east-1 catalog's figures (dated 2026-11).

Each expected value is written out as the arithmetic a person would do with the published rates,
so a change of price in the data file makes these fail loudly rather than drift silently.
"""

from __future__ import annotations

import dataclasses

import costkit
import pytest

from aloft.cost.catalog import Catalog
from aloft.cost.estimate import HOURS_PER_MONTH, Estimate
from aloft.cost.platforms import EksSpec, FargateSpec, LambdaSpec
from aloft.cost.platforms.aws_lambda import direct_hourly
from aloft.cost.platforms.eks import allocatable
from aloft.exceptions import ConfigError

# Fixtures shared by the cost tests (see costkit.py for why not a conftest.py).
catalog = costkit.catalog


def amounts(estimate: Estimate) -> dict[str, float]:
    return {item.name: item.amount for item in estimate.lines}


def quantities(estimate: Estimate) -> dict[str, float]:
    return {item.name: item.quantity for item in estimate.lines}


def lam(catalog: Catalog, requests: float, **spec: object) -> Estimate:
    return LambdaSpec(**spec).month(direct_hourly(requests), catalog)  # type: ignore[arg-type]


# --- Lambda -------------------------------------------------------------------------------------


def test_lambda_x86_crosses_the_6b_gb_second_tier_boundary(catalog: Catalog) -> None:
    # 7B requests x 1000 ms x 1 GB = 7B GB-s: 6B in tier 1, 1B in tier 2.
    e = lam(catalog, 7e9, memory_mb=1024, duration_ms=1000, free_tier=False, front="none")
    assert amounts(e)["duration (tier 1)"] == pytest.approx(6e9 * 0.0000166667)
    assert amounts(e)["duration (tier 2)"] == pytest.approx(1e9 * 0.0000150000)
    assert "duration (tier 3)" not in amounts(e)
    assert amounts(e)["requests"] == pytest.approx(7000 * 0.20)
    assert e.total_usd == pytest.approx(100_000.2 + 15_000 + 1_400)


def test_lambda_x86_third_tier_above_15b_gb_seconds(catalog: Catalog) -> None:
    e = lam(catalog, 16e9, memory_mb=1024, duration_ms=1000, free_tier=False, front="none")
    assert quantities(e)["duration (tier 1)"] == pytest.approx(6e9)
    assert quantities(e)["duration (tier 2)"] == pytest.approx(9e9)
    assert amounts(e)["duration (tier 3)"] == pytest.approx(1e9 * 0.0000133334)


def test_lambda_usage_exactly_at_a_boundary_stays_in_the_lower_tier(catalog: Catalog) -> None:
    e = lam(catalog, 6e9, memory_mb=1024, duration_ms=1000, free_tier=False, front="none")
    assert list(quantities(e)) == ["requests", "duration (tier 1)"]
    assert quantities(e)["duration (tier 1)"] == pytest.approx(6e9)


def test_lambda_arm64_tier_boundary_is_7_5b_gb_seconds(catalog: Catalog) -> None:
    e = lam(
        catalog, 8e9, memory_mb=1024, duration_ms=1000, arch="arm64", free_tier=False, front="none"
    )
    assert amounts(e)["duration (tier 1)"] == pytest.approx(7.5e9 * 0.0000133334)
    assert amounts(e)["duration (tier 2)"] == pytest.approx(0.5e9 * 0.0000120001)


def test_free_tier_comes_off_the_first_tier_not_the_tier_boundaries(catalog: Catalog) -> None:
    # 7B GB-s with the free tier: tier 1 still ends at 6B of usage, 400k of it free.
    e = lam(catalog, 7e9, memory_mb=1024, duration_ms=1000, front="none")
    assert quantities(e)["duration (tier 1)"] == pytest.approx(6e9 - 400_000)
    assert quantities(e)["duration (tier 2)"] == pytest.approx(1e9)
    assert amounts(e)["requests"] == pytest.approx((7e9 - 1e6) / 1e6 * 0.20)


def test_usage_within_the_free_tier_costs_nothing(catalog: Catalog) -> None:
    # 1M requests x 400 ms x 1 GB = 400,000 GB-s: exactly the monthly free tier.
    e = lam(catalog, 1e6, memory_mb=1024, duration_ms=400, front="none")
    assert e.total_usd == pytest.approx(0.0, abs=1e-9)
    without = lam(catalog, 1e6, memory_mb=1024, duration_ms=400, front="none", free_tier=False)
    assert without.total_usd == pytest.approx(1 * 0.20 + 400_000 * 0.0000166667)


def test_arm64_is_cheaper_than_x86_for_the_same_work(catalog: Catalog) -> None:
    # 10M requests x 200 ms x 0.5 GB = 1M GB-s, no free tier.
    x86 = lam(catalog, 10e6, memory_mb=512, duration_ms=200, free_tier=False, front="none")
    arm = lam(
        catalog, 10e6, memory_mb=512, duration_ms=200, arch="arm64", free_tier=False, front="none"
    )
    assert x86.total_usd == pytest.approx(10 * 0.20 + 1e6 * 0.0000166667)
    assert arm.total_usd == pytest.approx(10 * 0.20 + 1e6 * 0.0000133334)


def test_duration_is_billed_in_whole_milliseconds_rounded_up(catalog: Catalog) -> None:
    e = lam(catalog, 1e6, memory_mb=1024, duration_ms=100.2, free_tier=False, front="none")
    assert quantities(e)["duration (tier 1)"] == pytest.approx(1e6 * 0.101 * 1.0)


def test_ephemeral_storage_is_charged_only_above_512_mb(catalog: Catalog) -> None:
    e = lam(catalog, 1e6, memory_mb=1024, duration_ms=1000, ephemeral_mb=1024, front="none")
    assert amounts(e)["ephemeral storage"] == pytest.approx(1e6 * 1.0 * 0.5 * 0.0000000309)
    plain = lam(catalog, 1e6, memory_mb=1024, duration_ms=1000, front="none")
    assert "ephemeral storage" not in amounts(plain)


def test_provisioned_concurrency_bills_capacity_and_the_duration_it_serves(
    catalog: Catalog,
) -> None:
    # 10 x 1 GB provisioned all month; 1M requests of 100 ms all fit within it.
    e = lam(catalog, 1e6, memory_mb=1024, duration_ms=100, provisioned_concurrency=10, front="none")
    assert amounts(e)["provisioned concurrency"] == pytest.approx(
        10 * 1 * 3600 * 730 * 0.0000041667
    )
    assert amounts(e)["duration on provisioned concurrency"] == pytest.approx(
        1e6 * 0.1 * 0.0000097222
    )
    assert quantities(e)["duration (tier 1)"] == pytest.approx(0.0)


def test_requests_beyond_provisioned_capacity_spill_over_to_on_demand(catalog: Catalog) -> None:
    # Capacity of 1 x 1000 ms = 3,600 requests an hour; 7,200 arrive each hour.
    hourly = [7200.0] * HOURS_PER_MONTH
    e = LambdaSpec(
        memory_mb=1024, duration_ms=1000, provisioned_concurrency=1, free_tier=False, front="none"
    ).month(hourly, catalog)
    assert quantities(e)["duration on provisioned concurrency"] == pytest.approx(3600 * 730)
    assert quantities(e)["duration (tier 1)"] == pytest.approx(3600 * 730)


def test_a_price_missing_from_the_catalog_is_a_user_error_naming_it(catalog: Catalog) -> None:
    # A catalog without a rate says so, and does not guess.
    key = "lambda.provisioned_concurrency.arm64"
    without = dataclasses.replace(
        catalog, prices={k: v for k, v in catalog.prices.items() if k != key}
    )
    with pytest.raises(ConfigError, match=r"lambda\.provisioned_concurrency\.arm64"):
        lam(without, 1e6, arch="arm64", provisioned_concurrency=1)


def test_http_api_tiers_and_512_kb_metering(catalog: Catalog) -> None:
    e = lam(catalog, 400e6, front="http-api")
    assert amounts(e)["API Gateway HTTP API (tier 1)"] == pytest.approx(300 * 1.00)
    assert amounts(e)["API Gateway HTTP API (tier 2)"] == pytest.approx(100 * 0.90)
    big = lam(catalog, 400e6, front="http-api", request_kb=600)  # two 512 KB steps each
    assert quantities(big)["API Gateway HTTP API (tier 2)"] == pytest.approx(500)


def test_rest_api_walks_its_four_tiers(catalog: Catalog) -> None:
    e = lam(catalog, 21e9, front="rest-api")
    got = amounts(e)
    assert got["API Gateway REST API (tier 1)"] == pytest.approx(333 * 3.50)
    assert got["API Gateway REST API (tier 2)"] == pytest.approx(667 * 2.80)
    assert got["API Gateway REST API (tier 3)"] == pytest.approx(19_000 * 2.38)
    assert got["API Gateway REST API (tier 4)"] == pytest.approx(1_000 * 1.51)


def test_function_url_adds_a_line_that_costs_nothing(catalog: Catalog) -> None:
    e = lam(catalog, 5e6, front="url")
    assert amounts(e)["Lambda Function URL"] == 0.0
    assert e.total_usd == pytest.approx(lam(catalog, 5e6, front="none").total_usd)


def test_alb_bills_hours_plus_the_largest_lcu_dimension(catalog: Catalog) -> None:
    # 90,000 requests/h = 25 new connections/s = 1 LCU; at 5 KB each, 0.45 GB/h over the 0.4 GB/h
    # Lambda-target allowance = 1.125 LCU, the larger dimension, so that one is billed.
    e = LambdaSpec(front="alb", request_kb=1, response_kb=4).month([90_000.0] * 730, catalog)
    gb_per_hour = 90_000 * 5 / 1e6
    lcu = max(90_000 / 3600 / 25, gb_per_hour / 0.4)
    assert lcu == pytest.approx(1.125)
    assert amounts(e)["ALB hours"] == pytest.approx(730 * 0.0225)
    assert amounts(e)["ALB LCU-hours"] == pytest.approx(730 * lcu * 0.008)


def test_every_lambda_line_shows_its_formula_inputs(catalog: Catalog) -> None:
    e = lam(catalog, 3e6, memory_mb=512, duration_ms=120, arch="arm64", front="http-api")
    formulas = {item.name: item.formula for item in e.lines}
    assert formulas["requests"] == "3,000,000 requests - 1,000,000 free"
    assert "3,000,000 requests x 120 ms x 0.5 GB = 180,000 GB-s" in formulas["duration (tier 1)"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"memory_mb": 64}, "128 to 10240"),
        ({"memory_mb": 20000}, "128 to 10240"),
        ({"duration_ms": 0}, "above 0"),
        ({"ephemeral_mb": 100}, "512 to 10240"),
        ({"arch": "sparc"}, "x86_64 or arm64"),
    ],
)
def test_bad_lambda_settings_are_user_errors(
    catalog: Catalog, spec: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        lam(catalog, 1e6, **spec)


def test_negative_traffic_is_a_user_error() -> None:
    with pytest.raises(ConfigError, match=">= 0"):
        direct_hourly(-5)


# --- Fargate ------------------------------------------------------------------------------------


def test_fargate_two_small_tasks_for_a_month_x86_and_arm(catalog: Catalog) -> None:
    x86 = FargateSpec(tasks=2, vcpu=0.5, memory_gb=1).month([0.0] * 730, catalog)
    arm = FargateSpec(tasks=2, vcpu=0.5, memory_gb=1, arch="arm64").month([0.0] * 730, catalog)
    assert x86.total_usd == pytest.approx(2 * 730 * (0.5 * 0.04048 + 1 * 0.004445))
    assert arm.total_usd == pytest.approx(2 * 730 * (0.5 * 0.03238 + 1 * 0.00356))


def test_fargate_tasks_follow_traffic_within_min_and_max(catalog: Catalog) -> None:
    # 25 req/s for 10 h, 0 for 10 h; 10 req/s per task; min 1, max 100: 3 tasks then 1.
    hourly = [25 * 3600.0] * 10 + [0.0] * 10
    spec = FargateSpec(task_rps=10, min_tasks=1, max_tasks=100, vcpu=1, memory_gb=2)
    assert spec.tasks_per_hour(hourly) == [3] * 10 + [1] * 10
    e = spec.month(hourly, catalog)
    assert quantities(e)["vCPU"] == pytest.approx(40 * 1)
    capped = FargateSpec(task_rps=10, min_tasks=1, max_tasks=2).month(hourly, catalog)
    assert any("max_tasks=2" in note for note in capped.notes)


def test_fargate_storage_above_20_gb_is_charged(catalog: Catalog) -> None:
    e = FargateSpec(tasks=1, ephemeral_gb=50).month([0.0] * 730, catalog)
    assert amounts(e)["ephemeral storage"] == pytest.approx(730 * 30 * 0.000111)


@pytest.mark.parametrize(("vcpu", "memory"), [(0.25, 3), (0.3, 1), (1, 1), (4, 8.5)])
def test_fargate_rejects_task_sizes_aws_does_not_offer(
    catalog: Catalog, vcpu: float, memory: float
) -> None:
    with pytest.raises(ConfigError, match="Fargate"):
        FargateSpec(tasks=1, vcpu=vcpu, memory_gb=memory).month([0.0] * 730, catalog)


# --- EKS ----------------------------------------------------------------------------------------


def test_eks_three_m6i_large_nodes_and_the_control_plane(catalog: Catalog) -> None:
    e = EksSpec(nodes=3, node_type="m6i.large").month([0.0] * 730, catalog)
    assert amounts(e)["EKS control plane"] == pytest.approx(730 * 0.10)
    assert amounts(e)["m6i.large nodes"] == pytest.approx(3 * 730 * 0.096)
    assert e.total_usd == pytest.approx(283.24)


def test_eks_extended_support_costs_six_times_the_control_plane(catalog: Catalog) -> None:
    e = EksSpec(nodes=0, support="extended").month([0.0] * 730, catalog)
    assert e.total_usd == pytest.approx(730 * 0.60)


def test_m6i_large_allocatable_follows_the_eks_ami_reservations(catalog: Catalog) -> None:
    room = allocatable(catalog.instance("m6i.large"), catalog)
    assert room.cpu == pytest.approx(2 - (0.06 + 0.01) - 0.125)
    assert room.memory_mib == pytest.approx(8 * 1024 - (255 + 11 * 29) - 100)
    assert room.pod_slots == 29 - 2


def test_eks_bin_packs_pods_by_their_requests(catalog: Catalog) -> None:
    # 0.5 CPU pods: floor(1.805 / 0.5) = 3 per node; 550 req/s at 100 per pod = 6 pods = 2 nodes.
    spec = EksSpec(
        pod_cpu=0.5, pod_memory_mib=1024, pod_rps=100, hpa_min=2, hpa_max=50, min_nodes=1
    )
    assert spec.pods_per_node(catalog.instance("m6i.large"), catalog) == 3
    replicas, nodes = spec.nodes_per_hour([550 * 3600.0] * 4, catalog)
    assert replicas == [6] * 4
    assert nodes == [2] * 4
    # Memory-bound pods: 3 GiB each -> floor(7518 / 3072) = 2 per node.
    big = EksSpec(pod_cpu=0.1, pod_memory_mib=3072, pod_rps=100)
    assert big.pods_per_node(catalog.instance("m6i.large"), catalog) == 2


def test_eks_respects_the_hpa_minimum_at_zero_traffic(catalog: Catalog) -> None:
    spec = EksSpec(pod_cpu=1.0, pod_memory_mib=512, pod_rps=10, hpa_min=3, hpa_max=10, min_nodes=1)
    replicas, nodes = spec.nodes_per_hour([0.0] * 5, catalog)
    assert replicas == [3] * 5
    assert nodes == [3] * 5  # one 1-CPU pod per m6i.large


def test_eks_pod_that_fits_no_node_is_a_user_error(catalog: Catalog) -> None:
    with pytest.raises(ConfigError, match="do not fit"):
        EksSpec(pod_cpu=4, pod_rps=10).month([0.0] * 730, catalog)


def test_unknown_instance_type_names_the_known_ones(catalog: Catalog) -> None:
    with pytest.raises(ConfigError, match=r"unknown instance type 'm5\.huge'.*m6i\.large"):
        EksSpec(nodes=1, node_type="m5.huge").month([0.0] * 730, catalog)


def test_graviton_nodes_cost_less_than_intel_nodes(catalog: Catalog) -> None:
    intel = EksSpec(nodes=2, node_type="m6i.large").month([0.0] * 730, catalog)
    graviton = EksSpec(nodes=2, node_type="m7g.large").month([0.0] * 730, catalog)
    assert intel.total_usd - graviton.total_usd == pytest.approx(2 * 730 * (0.096 - 0.0816))
