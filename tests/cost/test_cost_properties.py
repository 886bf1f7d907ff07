"""Property tests: monotonicity that must hold for any input, not just the worked examples."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aloft.cost.catalog import Catalog, load_catalog
from aloft.cost.platforms import EksSpec, FargateSpec, LambdaSpec
from aloft.cost.platforms.aws_lambda import direct_hourly
from aloft.cost.traffic import diurnal, spiky, steady

CATALOG: Catalog = load_catalog("us-east-1")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

requests = st.floats(min_value=0, max_value=5e10, allow_nan=False)
memory = st.integers(min_value=128, max_value=10240)
duration = st.floats(min_value=0.5, max_value=900_000, allow_nan=False)
arch = st.sampled_from(["x86_64", "arm64"])
front = st.sampled_from(["http-api", "rest-api", "alb", "url", "none"])


@FAST
@given(
    a=requests,
    b=requests,
    memory_mb=memory,
    duration_ms=duration,
    arch=arch,
    front=front,
    free=st.booleans(),
)
def test_more_lambda_requests_never_cost_less(
    *, a: float, b: float, memory_mb: int, duration_ms: float, arch: str, front: str, free: bool
) -> None:
    low, high = sorted((a, b))
    spec = LambdaSpec(
        memory_mb=memory_mb, duration_ms=duration_ms, arch=arch, front=front, free_tier=free
    )
    assert (
        spec.month(direct_hourly(low), CATALOG).total_usd
        <= spec.month(direct_hourly(high), CATALOG).total_usd + 1e-9
    )


@FAST
@given(a=memory, b=memory, duration_ms=duration, n=requests, arch=arch)
def test_more_memory_never_lowers_the_gb_second_charge_for_the_same_duration(
    a: int, b: int, duration_ms: float, n: float, arch: str
) -> None:
    low, high = sorted((a, b))

    def duration_charge(memory_mb: int) -> float:
        spec = LambdaSpec(memory_mb=memory_mb, duration_ms=duration_ms, arch=arch, front="none")
        return sum(
            i.amount
            for i in spec.month(direct_hourly(n), CATALOG).lines
            if i.name.startswith("duration")
        )

    assert duration_charge(low) <= duration_charge(high) + 1e-9


@FAST
@given(
    a=st.floats(0, 5000),
    b=st.floats(0, 5000),
    shape=st.sampled_from(["steady", "diurnal", "spiky"]),
    task_rps=st.floats(0.5, 500),
    pod_rps=st.floats(0.5, 500),
)
def test_more_traffic_never_costs_less_on_containers(
    a: float, b: float, shape: str, task_rps: float, pod_rps: float
) -> None:
    low, high = sorted((a, b))
    make = {"steady": steady, "diurnal": diurnal, "spiky": spiky}[shape]
    quiet, busy = make(low).hourly, make(high).hourly
    for spec in (
        FargateSpec(task_rps=task_rps, min_tasks=1, max_tasks=1000, load_balancer=True),
        EksSpec(pod_rps=pod_rps, hpa_min=1, hpa_max=1000, load_balancer=True),
    ):
        assert spec.month(quiet, CATALOG).total_usd <= spec.month(busy, CATALOG).total_usd + 1e-9


@FAST
@given(
    rps=st.floats(0, 1e5), peak=st.floats(1, 2), bursts=st.integers(0, 24), mult=st.floats(1, 100)
)
def test_traffic_shapes_keep_the_mean_over_whole_days(
    rps: float, peak: float, bursts: int, mult: float
) -> None:
    for profile in (
        steady(rps, hours=240),
        diurnal(rps, peak_to_mean=peak, hours=240),
        spiky(rps, burst_multiplier=mult, bursts_per_day=bursts, hours=240),
    ):
        assert abs(profile.mean_rps - rps) <= 1e-9 * max(1.0, rps)


@FAST
@given(quantity=st.floats(0, 1e11), skip=st.floats(0, 1e7))
def test_tier_split_charges_exactly_the_quantity_less_the_free_units(
    quantity: float, skip: float
) -> None:
    price = CATALOG.price("lambda.duration.x86_64")
    parts = price.split(quantity, skip=skip)
    assert abs(sum(q for q, _, _ in parts) - max(0.0, quantity - skip)) <= 1e-6 * max(1.0, quantity)
    assert [index for _, _, index in parts] == sorted(index for _, _, index in parts)
