"""An itemised monthly estimate: each line carries its formula inputs, so it checks by hand."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

HOURS_PER_MONTH = 730  # AWS's own convention for monthly figures


@dataclasses.dataclass(frozen=True)
class Line:
    name: str
    quantity: float
    unit: str
    unit_price: float
    amount: float
    formula: str = ""  # how quantity was reached, e.g. "3,000,000 requests - 1,000,000 free"
    price_key: str = ""  # catalog entry, so commitments know which lines they discount

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "quantity": round(self.quantity, 6),
            "unit": self.unit,
            "unit_price": self.unit_price,
            "amount": round(self.amount, 6),
            "formula": self.formula,
        }


def line(
    name: str, quantity: float, unit: str, unit_price: float, formula: str = "", price_key: str = ""
) -> Line:
    return Line(name, quantity, unit, unit_price, quantity * unit_price, formula, price_key)


@dataclasses.dataclass(frozen=True)
class Estimate:
    platform: str  # lambda, fargate, eks
    label: str  # what was priced, in the user's words
    lines: tuple[Line, ...]
    notes: tuple[str, ...] = ()
    # Share of the month's compute usage that runs every hour (min hour / mean hour): what a
    # commitment can cover without paying for idle commitment.
    baseline_fraction: float = 1.0

    @property
    def total_usd(self) -> float:
        return sum(item.amount for item in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "label": self.label,
            "total_usd": round(self.total_usd, 6),
            "lines": [item.to_json() for item in self.lines],
            "notes": list(self.notes),
        }


def average(estimates: Sequence[tuple[Estimate, float]]) -> Estimate:
    """The weighted mean month of several months' estimates (weights: share of a month covered)."""
    if len(estimates) == 1:
        return estimates[0][0]
    total_weight = sum(weight for _, weight in estimates)
    first = estimates[0][0]
    quantities: dict[str, float] = {}
    amounts: dict[str, float] = {}
    template: dict[str, Line] = {}
    for estimate, weight in estimates:
        for item in estimate.lines:
            template.setdefault(item.name, item)
            quantities[item.name] = quantities.get(item.name, 0.0) + item.quantity * weight
            amounts[item.name] = amounts.get(item.name, 0.0) + item.amount * weight
    lines = tuple(
        dataclasses.replace(
            item,
            quantity=quantities[name] / total_weight,
            amount=amounts[name] / total_weight,
            formula=f"mean of {len(estimates)} months; month 1: {item.formula}",
        )
        for name, item in template.items()
    )
    notes = tuple(dict.fromkeys(n for estimate, _ in estimates for n in estimate.notes))
    baseline = min(estimate.baseline_fraction for estimate, _ in estimates)
    return Estimate(first.platform, first.label, lines, notes, baseline)


def fmt_count(value: float) -> str:
    """1234567 -> '1,234,567'; fractions keep up to 3 significant decimals."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def hours_short(hourly: Sequence[float], counts: Sequence[int], per_unit_rps: float) -> int:
    """Hours whose requests need more units (pods, tasks) than the scaling cap allowed."""
    return sum(1 for r, n in zip(hourly, counts, strict=True) if r > n * per_unit_rps * 3600 + 1e-6)


def baseline_share(counts: Sequence[int], unit_hours: float, hours: int) -> float:
    """The always-on share of the capacity: what a commitment (Savings Plan) can cover."""
    mean = unit_hours / hours if hours else 0.0
    return min(counts) / mean if mean > 0 else 1.0
