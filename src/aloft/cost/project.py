"""The project's cost: from its config (and a measured profile) to priced platforms and a verdict.

What `aloft cost` answers: every configured platform priced for the traffic, the cheapest, the
break-even traffic, right-sized settings, and the chosen platform against budget_usd.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from aloft.config import ResolvedConfig
from aloft.cost import traffic as traffic_mod
from aloft.cost.compare import BudgetCheck, Comparison, compare
from aloft.cost.report import render_comparison
from aloft.cost.scenario import (
    Scenario,
    build_scenario,
    build_traffic,
    deployed_provisioning,
    lambda_function_names,
)


@dataclasses.dataclass(frozen=True)
class OffHoursSaving:
    """One platform priced with its active_hours ([tool.aloft.kubernetes] for eks, [tool.aloft.
    lambda] for lambda) and without."""

    active_hours: str
    platform: str
    without_usd: float
    with_usd: float

    def to_json(self) -> dict[str, Any]:
        return {
            "active_hours": self.active_hours,
            "platform": self.platform,
            "without_usd": round(self.without_usd, 2),
            "with_usd": round(self.with_usd, 2),
            "saving_usd": round(self.without_usd - self.with_usd, 2),
        }


def off_hours_savings(
    active_hours: str, scenario: Scenario, comparison: Comparison, *, lambda_hours: str = ""
) -> tuple[OffHoursSaving, ...]:
    """The month again with the off-hours schedule: Kubernetes (EKS) with pods at zero outside
    `active_hours`, Lambda with no provisioned concurrency outside `lambda_hours` (billed
    provisioned hours = active hours). The traffic's first hour is taken as Monday 00:00 in the
    window's zone."""
    from aloft.config.schedule import active_hours as parse
    from aloft.cost.compare import monthly
    from aloft.cost.platforms.aws_lambda import LambdaSpec
    from aloft.cost.platforms.eks import EksSpec

    found = []
    for model in scenario.models:
        if isinstance(model, EksSpec) and model.nodes is None and active_hours:
            window = active_hours
        elif (
            isinstance(model, LambdaSpec)
            and (model.provisioned_concurrency or model.standing)
            and lambda_hours
        ):
            window = lambda_hours
        else:
            continue
        mask = parse(window).week_mask()
        scaled = monthly(
            dataclasses.replace(model, active=mask), scenario.traffic, scenario.catalog
        )
        without = comparison.estimate(model.platform).total_usd
        found.append(OffHoursSaving(window, model.platform, without, scaled.total_usd))
    return tuple(found)


def render_savings(savings: tuple[OffHoursSaving, ...]) -> str:
    lines = []
    for item in savings:
        saved = item.without_usd - item.with_usd
        share = saved / item.without_usd * 100 if item.without_usd else 0.0
        lines.append(
            f"Off-hours ({item.active_hours}): {item.platform} ${item.without_usd:,.2f} always on,"
            f" ${item.with_usd:,.2f} with the schedule: saves ${saved:,.2f} a month ({share:.0f}%)"
        )
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class ProjectCost:
    scenario: Scenario
    comparison: Comparison
    budget: BudgetCheck  # the target platform (the cheapest, or [tool.aloft.cost] target)
    text: str  # the report as printed
    off_hours: tuple[OffHoursSaving, ...] = ()

    def to_json(self, plots: list[str] | None = None) -> dict[str, Any]:
        data = self.comparison.to_json()
        data["rightsizing"] = {
            "lambda": self.scenario.lambda_sizing.to_json()
            if self.scenario.lambda_sizing
            else None,
            "kubernetes": self.scenario.pod_sizing.to_json() if self.scenario.pod_sizing else None,
        }
        data["budget"] = self.budget.to_json()
        data["off_hours"] = [item.to_json() for item in self.off_hours]
        data["plot"] = plots or []
        return data

    def write_plot(self, stem: Path) -> list[str]:
        """STEM.png and STEM.html: cost against traffic, with the break-even points."""
        from aloft.cost.plot import write_plot

        return [str(p) for p in write_plot(self.comparison, self.scenario.models, stem, self.text)]


def project_cost(
    resolved: ResolvedConfig,
    *,
    traffic_csv: Path | None = None,
    rps: float | None = None,
    profile_path: Path | None = None,
    break_even: bool = True,
    workers: int = 1,
    provisioned_concurrency: int | None = None,
) -> ProjectCost:
    """Price the project; `traffic_csv` replaces the configured traffic, `rps` rescales it (and
    alone is enough, with no rate in the config). `workers` is the worker count a pod runs, as
    the rendered manifests run it (the caller asks the renderer: cost does not import kube).
    `provisioned_concurrency` prices the served function with that many instead of as deployed."""
    settings = resolved.config.cost
    shape = traffic_mod.measured(traffic_csv) if traffic_csv else None
    if shape is not None and rps is not None:
        shape = shape.with_mean_rps(rps)
    elif rps is not None:
        shape = build_traffic(settings.traffic, resolved.root, rps=rps)
    scenario = build_scenario(
        settings,
        resolved.root,
        workers=workers,
        traffic=shape,
        profile_path=profile_path,
        provisioning=deployed_provisioning(resolved),
        provisioned_concurrency=provisioned_concurrency,
    )
    comparison = compare(
        scenario.models, scenario.traffic, scenario.catalog, with_break_even=break_even
    )
    target = (
        comparison.cheapest
        if scenario.target == "cheapest"
        else comparison.estimate(scenario.target)
    )
    text = render_comparison(
        comparison,
        lambda_sizing=scenario.lambda_sizing,
        pod_sizing=scenario.pod_sizing,
        functions=lambda_function_names(resolved),
    )
    budget = BudgetCheck.of(target, scenario.budget_usd, name_target=True)
    savings = off_hours_savings(
        resolved.config.kubernetes.active_hours,
        scenario,
        comparison,
        lambda_hours=resolved.config.lambda_.active_hours,
    )
    if savings:
        text = text.rstrip("\n") + "\n\n" + render_savings(savings) + "\n"
    return ProjectCost(scenario, comparison, budget, text, savings)
