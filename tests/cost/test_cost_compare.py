"""Comparison across platforms: the seed's rule of thumb, made into numbers that can be checked."""

from __future__ import annotations

from pathlib import Path

import costkit
import pytest

from aloft.cost.catalog import Catalog, load_catalog
from aloft.cost.compare import break_even, compare, monthly, over_budget
from aloft.cost.platforms import EksSpec, FargateSpec, LambdaSpec
from aloft.cost.traffic import diurnal, spiky, steady

# Fixtures shared by the cost tests (see costkit.py for why not a conftest.py).
catalog = costkit.catalog

LAMBDA = LambdaSpec(memory_mb=512, duration_ms=80, arch="arm64", front="http-api")
FARGATE = FargateSpec(task_rps=40, min_tasks=1, max_tasks=200, load_balancer=True)
EKS = EksSpec(pod_rps=40, hpa_min=1, hpa_max=200, min_nodes=1, load_balancer=True)


def test_lambda_wins_at_low_traffic_and_containers_at_high(catalog: Catalog) -> None:
    low = compare((LAMBDA, FARGATE, EKS), steady(0.5), catalog, with_break_even=False)
    high = compare((LAMBDA, FARGATE, EKS), steady(500), catalog, with_break_even=False)
    assert low.cheapest.platform == "lambda"
    assert high.cheapest.platform in ("fargate", "eks")


def test_variable_load_moves_the_break_even_towards_serverless(catalog: Catalog) -> None:
    # Same mean, but spiky traffic makes containers provision for the bursts.
    flat = break_even(LAMBDA, FARGATE, steady(1), catalog)
    bursty = break_even(LAMBDA, FARGATE, spiky(1, burst_multiplier=20, bursts_per_day=2), catalog)
    assert flat.rps is not None and bursty.rps is not None
    assert bursty.rps > flat.rps


def test_break_even_costs_match_on_both_sides(catalog: Catalog) -> None:
    shape = diurnal(1)
    point = break_even(LAMBDA, FARGATE, shape, catalog)
    assert point.rps is not None
    at = shape.with_mean_rps(point.rps)
    assert monthly(LAMBDA, at, catalog).total_usd == pytest.approx(
        monthly(FARGATE, at, catalog).total_usd, rel=0.01
    )


def test_break_even_reports_when_one_side_always_wins(catalog: Catalog, tmp_path: Path) -> None:
    # Lambda at a price of nothing never crosses; an idle-free container is cheaper from the start.
    zero = tmp_path / "zero.toml"
    zero.write_text(
        "".join(
            f'[prices."{key}"]\nunit = "x"\nusd = 0\ndate = "test"\nsource = "test"\n'
            for key in ("lambda.requests.x86_64", "lambda.duration.x86_64")
        )
    )
    free_lambda = load_catalog("us-east-1", zero)
    never = break_even(LambdaSpec(front="none"), EksSpec(nodes=1), steady(1), free_lambda)
    assert never.rps is None and "stays cheaper" in never.note
    always = break_even(LAMBDA, FargateSpec(tasks=0), steady(1), catalog)
    assert always.rps is None and "as cheap or cheaper" in always.note


def test_a_year_is_priced_month_by_month_with_a_free_tier_each_month(catalog: Catalog) -> None:
    # 1M requests a month, all inside the free tier each month: a year costs nothing.
    year = steady(1e6 / (730 * 3600), hours=8760)
    assert monthly(
        LambdaSpec(duration_ms=100, front="none"), year, catalog
    ).total_usd == pytest.approx(0)


def test_over_budget_names_platform_and_overrun(catalog: Catalog) -> None:
    estimate = EksSpec(nodes=1).month([0.0] * 730, catalog)
    assert over_budget(estimate, None) is None
    assert over_budget(estimate, 1000) is None
    reason = over_budget(estimate, 100)
    assert (
        reason is not None and "eks estimate $143.08/month exceeds the budget of $100.00" in reason
    )
