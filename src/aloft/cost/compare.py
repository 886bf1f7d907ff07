"""Platforms side by side for one traffic profile: monthly cost, break-even traffic, the cheapest.

Break-even keeps the profile's shape and scales its volume: the mean requests/s at which Lambda's
monthly cost equals a container option's. Costs are not smooth (whole tasks and nodes, tiers, the
free tier), so the search scans a log grid for the first crossing and bisects inside it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from aloft.cost.catalog import Catalog, Commitment
from aloft.cost.estimate import Estimate, average
from aloft.cost.platforms import PlatformModel
from aloft.cost.traffic import TrafficProfile

GRID_LOW_RPS = 0.001
GRID_HIGH_RPS = 10_000.0
GRID_POINTS = 36
BISECT_STEPS = 30


def monthly(model: PlatformModel, profile: TrafficProfile, catalog: Catalog) -> Estimate:
    """The mean billing month of `profile` on `model`."""
    return average([(model.month(hours, catalog), weight) for hours, weight in profile.months()])


@dataclasses.dataclass(frozen=True)
class BreakEven:
    serverless: str
    container: str
    rps: float | None  # mean requests/s where the two cost the same
    monthly_usd: float | None
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "between": [self.serverless, self.container],
            "rps": None if self.rps is None else round(self.rps, 6),
            "monthly_usd": None if self.monthly_usd is None else round(self.monthly_usd, 4),
            "note": self.note,
        }


@dataclasses.dataclass(frozen=True)
class CommitmentOption:
    platform: str
    commitment: Commitment
    on_demand_usd: float
    with_commitment_usd: float
    hourly_commitment_usd: float  # what you sign up for, per hour, for term_years

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "name": self.commitment.name,
            "label": self.commitment.label,
            "term_years": self.commitment.term_years,
            "upto": self.commitment.upto,
            "on_demand_usd": round(self.on_demand_usd, 4),
            "with_commitment_usd": round(self.with_commitment_usd, 4),
            "hourly_commitment_usd": round(self.hourly_commitment_usd, 6),
            "source": self.commitment.source,
        }


def commitment_option(estimate: Estimate, commitment: Commitment) -> CommitmentOption | None:
    """Commit to the usage that runs every hour (the baseline), priced at the discounted rate.

    Covering only the baseline is the usual advice: a commitment above it is paid for idle hours.
    """
    saved = 0.0
    committed_on_demand = 0.0
    for item in estimate.lines:
        discount = commitment.discount_for(item.price_key)
        if discount <= 0:
            continue
        covered = item.amount * estimate.baseline_fraction
        committed_on_demand += covered
        saved += covered * discount
    if committed_on_demand <= 0:
        return None
    committed_paid = committed_on_demand - saved
    return CommitmentOption(
        platform=estimate.platform,
        commitment=commitment,
        on_demand_usd=estimate.total_usd,
        with_commitment_usd=estimate.total_usd - saved,
        hourly_commitment_usd=committed_paid / 730.0,
    )


def _cost_at(model: PlatformModel, profile: TrafficProfile, rps: float, catalog: Catalog) -> float:
    return monthly(model, profile.with_mean_rps(rps), catalog).total_usd


def break_even(
    serverless: PlatformModel, container: PlatformModel, profile: TrafficProfile, catalog: Catalog
) -> BreakEven:
    """The lowest mean requests/s at which `serverless` stops being the cheaper of the two."""
    shape = _representative_month(profile)
    grid = [
        GRID_LOW_RPS * (GRID_HIGH_RPS / GRID_LOW_RPS) ** (i / (GRID_POINTS - 1))
        for i in range(GRID_POINTS)
    ]

    def gap(rps: float) -> float:
        return _cost_at(serverless, shape, rps, catalog) - _cost_at(container, shape, rps, catalog)

    previous_rps, previous_gap = grid[0], gap(grid[0])
    if previous_gap >= 0:
        return BreakEven(
            serverless.platform,
            container.platform,
            None,
            None,
            f"{container.platform} is as cheap or cheaper from {GRID_LOW_RPS:g} req/s up",
        )
    for rps in grid[1:]:
        current = gap(rps)
        if current >= 0:
            low, high = previous_rps, rps
            for _ in range(BISECT_STEPS):
                middle = math.sqrt(low * high)
                if gap(middle) >= 0:
                    high = middle
                else:
                    low = middle
            cost = _cost_at(serverless, shape, high, catalog)
            return BreakEven(
                serverless.platform,
                container.platform,
                high,
                cost,
                f"{serverless.platform} is cheaper below {high:.4g} req/s mean,"
                f" {container.platform} above",
            )
        previous_rps, previous_gap = rps, current
    return BreakEven(
        serverless.platform,
        container.platform,
        None,
        None,
        f"{serverless.platform} stays cheaper up to {GRID_HIGH_RPS:g} req/s mean",
    )


def _representative_month(profile: TrafficProfile) -> TrafficProfile:
    """The month whose shape stands for the profile in the break-even search (the busiest month).

    A year of hourly data searched whole would cost twelve times as much for the same crossing;
    the busiest month is the one capacity is planned for.
    """
    months = profile.months()
    if len(months) == 1:
        return profile
    busiest = max(months, key=lambda m: math.fsum(m[0]))[0]
    return TrafficProfile(profile.kind, tuple(busiest), profile.description)


@dataclasses.dataclass(frozen=True)
class Comparison:
    profile: TrafficProfile
    estimates: tuple[Estimate, ...]
    break_evens: tuple[BreakEven, ...]
    commitments: tuple[CommitmentOption, ...]
    catalog: Catalog

    @property
    def cheapest(self) -> Estimate:
        return min(self.estimates, key=lambda e: e.total_usd)

    def estimate(self, platform: str) -> Estimate:
        for item in self.estimates:
            if item.platform == platform:
                return item
        raise KeyError(platform)

    def why(self) -> str:
        """One sentence on why the cheapest wins: break-even points and its biggest line."""
        best = self.cheapest
        others = sorted((e for e in self.estimates if e is not best), key=lambda e: e.total_usd)
        if not others:
            return f"{best.platform} is the only option priced"
        runner = others[0]
        biggest = max(best.lines, key=lambda item: item.amount)
        reason = (
            f"{best.platform} costs ${best.total_usd:,.2f}/month,"
            f" ${runner.total_usd - best.total_usd:,.2f}"
            f" less than {runner.platform} (${runner.total_usd:,.2f}); its largest line is"
            f" {biggest.name} (${biggest.amount:,.2f})"
        )
        mean = self.profile.mean_rps
        for point in self.break_evens:
            if point.rps is None:
                continue
            side = "below" if mean < point.rps else "above"
            reason += (
                f"; at {mean:.4g} req/s mean you are {side} the"
                f" {point.serverless}/{point.container}"
                f" break-even of {point.rps:.4g} req/s"
            )
        return reason

    def to_json(self) -> dict[str, Any]:
        best = self.cheapest
        return {
            "region": self.catalog.region,
            "catalog": {"date": self.catalog.date, "origin": self.catalog.origin},
            "traffic": {
                "kind": self.profile.kind,
                "description": self.profile.description,
                "hours": len(self.profile.hourly),
                "mean_rps": round(self.profile.mean_rps, 6),
                "peak_rps": round(self.profile.peak_rps, 6),
                "requests_per_month": round(self.profile.requests_per_month, 3),
            },
            "estimates": [e.to_json() for e in self.estimates],
            "cheapest": {
                "platform": best.platform,
                "total_usd": round(best.total_usd, 6),
                "why": self.why(),
            },
            "break_even": [b.to_json() for b in self.break_evens],
            "commitments": [c.to_json() for c in self.commitments],
        }


def compare(
    models: Sequence[PlatformModel],
    profile: TrafficProfile,
    catalog: Catalog,
    *,
    with_break_even: bool = True,
) -> Comparison:
    estimates = tuple(monthly(model, profile, catalog) for model in models)
    points: list[BreakEven] = []
    if with_break_even:
        serverless = [m for m in models if m.kind == "serverless"]
        containers = [m for m in models if m.kind == "container"]
        for s in serverless:
            for c in containers:
                points.append(break_even(s, c, profile, catalog))
    options = []
    for estimate in estimates:
        for commitment in catalog.commitments.values():
            option = commitment_option(estimate, commitment)
            if option is not None:
                options.append(option)
    return Comparison(profile, estimates, tuple(points), tuple(options), catalog)


@dataclasses.dataclass(frozen=True)
class BudgetCheck:
    """An estimate against a monthly budget; `target` names the platform when the budget picked
    one of several (the cheapest, or [tool.aloft.cost] target)."""

    usd: float | None
    reason: str | None  # why the estimate breaks the budget; None within it or without one
    target: str | None = None

    @classmethod
    def of(
        cls, estimate: Estimate, budget_usd: float | None, *, name_target: bool = False
    ) -> BudgetCheck:
        return cls(
            budget_usd,
            over_budget(estimate, budget_usd),
            estimate.platform if name_target else None,
        )

    @property
    def exceeded(self) -> bool:
        return self.reason is not None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"usd": self.usd, "exceeded": self.exceeded, "reason": self.reason}
        if self.target is not None:
            out["target"] = self.target
        return out


def over_budget(estimate: Estimate, budget_usd: float | None) -> str | None:
    """The reason `estimate` breaks the budget, or None when within it (or no budget is set)."""
    if budget_usd is None or estimate.total_usd <= budget_usd:
        return None
    return (
        f"{estimate.platform} estimate ${estimate.total_usd:,.2f}/month exceeds the budget of"
        f" ${budget_usd:,.2f} by ${estimate.total_usd - budget_usd:,.2f}"
    )
