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
from aloft.cost.scenario import Scenario, build_scenario, build_traffic, lambda_function_names


@dataclasses.dataclass(frozen=True)
class ProjectCost:
    scenario: Scenario
    comparison: Comparison
    budget: BudgetCheck  # the target platform (the cheapest, or [tool.aloft.cost] target)
    text: str  # the report as printed

    def to_json(self, plots: list[str] | None = None) -> dict[str, Any]:
        data = self.comparison.to_json()
        data["rightsizing"] = {
            "lambda": self.scenario.lambda_sizing.to_json()
            if self.scenario.lambda_sizing
            else None,
            "kubernetes": self.scenario.pod_sizing.to_json() if self.scenario.pod_sizing else None,
        }
        data["budget"] = self.budget.to_json()
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
) -> ProjectCost:
    """Price the project; `traffic_csv` replaces the configured traffic, `rps` rescales it (and
    alone is enough, with no rate in the config). `workers` is the worker count a pod runs, as
    the rendered manifests run it (the caller asks the renderer: cost does not import kube)."""
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
    return ProjectCost(scenario, comparison, budget, text)
