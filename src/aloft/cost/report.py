"""Plain-text reports: every line with quantity, unit price and the formula behind the quantity."""

from __future__ import annotations

import math
from collections.abc import Sequence

from aloft.cost.catalog import Catalog
from aloft.cost.compare import Comparison
from aloft.cost.estimate import Estimate
from aloft.cost.rightsizing import LambdaSizing, PodSizing, as_rows, suggested_toml

HOURLY_NOTE = (
    "traffic is priced per hour: a burst shorter than an hour is averaged into its hour, so"
    " containers sized to it may need more headroom than shown"
)


def _table(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.append("  ".join(cells).rstrip())
    return out


def _price(value: float) -> str:
    """Full catalog precision, but at least cents: $0.0000166667, $0.04048, $0.20."""
    whole, _, fraction = f"{value:,.10f}".partition(".")
    return f"${whole}.{fraction.rstrip('0').ljust(2, '0')}"


def render_estimate(estimate: Estimate, *, formulas: bool = True) -> str:
    rows = [["line", "quantity", "unit", "unit price", "amount"]]
    for item in estimate.lines:
        rows.append(
            [
                item.name,
                f"{item.quantity:,.4f}".rstrip("0").rstrip("."),
                item.unit,
                _price(item.unit_price),
                f"${item.amount:,.2f}",
            ]
        )
    out = [f"{estimate.label}"]
    out += ["  " + row for row in _table(rows, right=(1, 3, 4))]
    out.append(f"  total ${estimate.total_usd:,.2f} per month")
    if formulas:
        for item in estimate.lines:
            if item.formula:
                out.append(f"    {item.name}: {item.formula}")
    out += [f"  note: {note}" for note in estimate.notes]
    return "\n".join(out)


def render_comparison(
    comparison: Comparison,
    *,
    lambda_sizing: LambdaSizing | None = None,
    pod_sizing: PodSizing | None = None,
    functions: Sequence[str] = (),
) -> str:
    profile = comparison.profile
    catalog = comparison.catalog
    out = [
        f"aloft cost: {profile.description}; {profile.requests_per_month:,.0f} requests/month,"
        f" mean {profile.mean_rps:.4g} req/s, peak {profile.peak_rps:.4g} req/s",
        f"prices: {catalog.region}, catalog dated {catalog.date} ({catalog.origin})",
    ]
    if profile.kind in ("spiky", "measured"):
        out.append(f"note: {HOURLY_NOTE}")
    out.append("")
    for estimate in comparison.estimates:
        out += [render_estimate(estimate), ""]
    best = comparison.cheapest
    out.append(f"cheapest: {best.platform}: {comparison.why()}")
    for point in comparison.break_evens:
        out.append(
            f"break-even {point.serverless} vs {point.container}: "
            + (
                f"{point.rps:.4g} req/s mean (${point.monthly_usd:,.2f}/month); "
                if point.rps
                else ""
            )
            + point.note
        )
    if comparison.commitments:
        out.append("")
        out.append("commitments (beside on-demand):")
        for option in comparison.commitments:
            bound = " at best" if option.commitment.upto else ""
            out.append(
                f"  {option.platform}: {option.commitment.label}:"
                f" ${option.with_commitment_usd:,.2f}/month"
                f"{bound} vs ${option.on_demand_usd:,.2f} on demand; requires"
                f" ${option.hourly_commitment_usd:,.4f}/hour"
                f" for {option.commitment.term_years} years"
            )
    if lambda_sizing is not None:
        out += ["", f"Lambda memory: {lambda_sizing.reason}"]
        rows = [
            ["memory MB", "duration ms", "p99 ms", "$/month", "meets target"],
            *as_rows(lambda_sizing.options),
        ]
        out += ["  " + row for row in _table(rows, right=(0, 1, 2, 3))]
    if pod_sizing is not None:
        out += [
            "",
            f"Kubernetes pod: {pod_sizing.reason};"
            f" HPA target {pod_sizing.hpa_target_cpu_percent}% CPU;"
            f" {pod_sizing.pod_rps:.1f} req/s per pod; no CPU limit (avoids throttling)",
        ]
    snippet = suggested_toml(lambda_sizing, pod_sizing, functions)
    if snippet:
        out += ["", "suggested settings for pyproject.toml:", snippet.rstrip()]
    return "\n".join(out)


def render_catalog(catalog: Catalog) -> str:
    """Every price with its tiers, unit, date and source, one a line (`aloft cost catalog show`)."""
    out = [f"# {catalog.region}, dated {catalog.date} ({catalog.origin})"]
    for key, price in sorted(catalog.prices.items()):
        rates = ", ".join(
            f"${t.usd:g}" + ("" if math.isinf(t.upto) else f" to {t.upto:g}") for t in price.tiers
        )
        out.append(f"{key}: {rates} per {price.unit}  [{price.date}; {price.source}]")
    return "\n".join(out)
