"""What the container platforms (Fargate, EKS) share: they bill running capacity, not requests.

Replicas (tasks, pods) follow the traffic hour by hour within a floor and a cap, as target
tracking or an HPA keeps them; a month is the compute lines plus the load balancer in front, a
note for the hours the cap left short, and the always-on share a commitment can cover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from aloft.cost.catalog import Catalog
from aloft.cost.estimate import Estimate, Line, baseline_share, hours_short
from aloft.cost.platforms.fronts import alb_lines


class CapacitySpec(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def load_balancer(self) -> bool: ...
    @property
    def request_kb(self) -> float: ...
    @property
    def response_kb(self) -> float: ...


def replicas_per_hour(
    hourly: Sequence[float],
    per_replica_rps: float,
    low: int,
    high: int,
    active: Sequence[bool] = (),
) -> list[int]:
    """Replicas each hour: enough for its requests at `per_replica_rps` each, within low..high;
    0 in the hours `active` (a repeating week, hour 0 = Monday 00:00) marks off."""
    per_hour = per_replica_rps * 3600.0
    return [
        0
        if active and not active[i % len(active)]
        else min(high, max(low, math.ceil(r / per_hour - 1e-9)))
        for i, r in enumerate(hourly)
    ]


def capacity_month(
    spec: CapacitySpec,
    hourly: Sequence[float],
    catalog: Catalog,
    lines: Sequence[Line],
    *,
    billed: Sequence[int],
    scaled: Sequence[int],
    per_replica_rps: float | None,
    cap: str,
) -> Estimate:
    """The month from the compute `lines`: `billed` units (tasks, nodes) each hour, `scaled`
    replicas serving `per_replica_rps` each (None: a fixed count), `cap` naming the limit."""
    every = list(lines)
    if spec.load_balancer:
        every += alb_lines(
            hourly,
            catalog,
            request_kb=spec.request_kb,
            response_kb=spec.response_kb,
            lambda_target=False,
        )
    notes = []
    if per_replica_rps:
        short = hours_short(hourly, scaled, per_replica_rps)
        if short:
            notes.append(f"{short} h need more than {cap}: raise it")
    baseline = baseline_share(billed, float(sum(billed)), len(hourly))
    return Estimate(spec.platform, spec.label, tuple(every), tuple(notes), baseline)
