"""Monthly cost against traffic, per platform, as a PNG and an HTML page around it.

matplotlib is imported only here and only when a plot is asked for: it costs a few hundred
milliseconds that no other answer should pay.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from aloft.cost.compare import Comparison, monthly
from aloft.cost.platforms import PlatformModel
from aloft.fileio import atomic_write

CURVE_POINTS = 40
FLOOR_USD = 0.01


def curves(
    comparison: Comparison, models: tuple[PlatformModel, ...]
) -> tuple[list[float], dict[str, list[float]]]:
    """Monthly cost of each platform at log-spaced mean req/s around the current traffic."""
    mean = comparison.profile.mean_rps or 1.0
    crossings = [p.rps for p in comparison.break_evens if p.rps]
    low = min([mean, *crossings]) / 20.0
    high = max([mean, *crossings]) * 20.0
    grid = [low * (high / low) ** (i / (CURVE_POINTS - 1)) for i in range(CURVE_POINTS)]
    month = comparison.profile
    months = month.months()
    if len(months) > 1:  # one month stands for the shape, as in the break-even search
        month = type(month)(
            month.kind, tuple(max(months, key=lambda m: sum(m[0]))[0]), month.description
        )
    series = {
        model.platform: [
            monthly(model, month.with_mean_rps(r), comparison.catalog).total_usd for r in grid
        ]
        for model in models
    }
    return grid, series


def render_png(comparison: Comparison, models: tuple[PlatformModel, ...]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    grid, series = curves(comparison, models)
    figure, axes = plt.subplots(figsize=(8, 5), dpi=100)
    try:
        # Log-log: the free tier's cents and a cluster's hundreds both stay readable.
        for platform, values in series.items():
            axes.plot(grid, [max(v, FLOOR_USD) for v in values], label=platform, linewidth=2)
        for point in comparison.break_evens:
            if point.rps and point.monthly_usd is not None:
                axes.plot(
                    [point.rps], [max(point.monthly_usd, FLOOR_USD)], marker="o", color="black"
                )
                axes.annotate(
                    f"{point.serverless}={point.container}\n{point.rps:.3g} req/s",
                    (point.rps, max(point.monthly_usd, FLOOR_USD)),
                    textcoords="offset points",
                    xytext=(6, -18),
                    fontsize=8,
                )
        mean = comparison.profile.mean_rps
        axes.axvline(mean, color="grey", linestyle="--", linewidth=1)
        axes.annotate(
            f"your traffic\n{mean:.3g} req/s",
            (mean, axes.get_ylim()[1]),
            textcoords="offset points",
            xytext=(4, -28),
            fontsize=8,
            color="dimgrey",
        )
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel(f"mean requests/s ({comparison.profile.kind} shape)")
        axes.set_ylabel("USD per month (log scale)")
        axes.set_title(
            f"Monthly cost against traffic, {comparison.catalog.region}"
            f" (prices {comparison.catalog.date})"
        )
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return buffer.getvalue()


def render_html(comparison: Comparison, png: bytes, report_text: str) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(e.platform)}</td><td>{html.escape(e.label)}</td>"
        f"<td style='text-align:right'>${e.total_usd:,.2f}</td></tr>"
        for e in comparison.estimates
    )
    encoded = base64.b64encode(png).decode("ascii")
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>aloft cost</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd}"
        "pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head><body>\n"
        f"<h1>Monthly cost: {html.escape(comparison.profile.description)}</h1>\n"
        f"<p>Cheapest: <strong>{html.escape(comparison.cheapest.platform)}</strong>. "
        f"{html.escape(comparison.why())}</p>\n"
        f"<table><tr><th>platform</th><th>priced as</th><th>per month</th></tr>{rows}</table>\n"
        f"<p><img alt='monthly cost against traffic' src='data:image/png;base64,{encoded}'></p>\n"
        f"<h2>Itemised</h2><pre>{html.escape(report_text)}</pre>\n</body></html>\n"
    )


def write_plot(
    comparison: Comparison, models: tuple[PlatformModel, ...], stem: Path, report_text: str
) -> tuple[Path, Path]:
    """Write STEM.png and STEM.html, each atomically; return both paths."""
    png = render_png(comparison, models)
    png_path = stem.with_suffix(".png")
    html_path = stem.with_suffix(".html")
    _atomic_write(png_path, png)
    _atomic_write(html_path, render_html(comparison, png, report_text).encode("utf-8"))
    return png_path, html_path


def _atomic_write(path: Path, data: bytes) -> None:
    atomic_write(path, data)
