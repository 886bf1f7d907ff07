"""`aloft cost` prices Lambda provisioned concurrency as deployed ([tool.aloft.lambda]), and with
[tool.aloft.lambda] active_hours the month with the schedule beside the month without.

Expected figures are computed here from the catalog's unit price and an hour count made by hand
(not from the week mask the code uses)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import costkit
import pytest

from aloft.config.schedule import active_hours
from aloft.cost.catalog import Catalog
from aloft.cost.estimate import HOURS_PER_MONTH
from aloft.cost.platforms.aws_lambda import LambdaSpec

aloft = costkit.aloft
catalog = costkit.catalog
Run = Callable[..., Any]


def weekday_hours(first: int, last: int) -> int:
    """Hours of the 730-hour month (hour 0 = Monday 00:00) inside Mon-Fri first:00-last:00,
    counted from the calendar, not from the code's mask."""
    count = 0
    for hour in range(HOURS_PER_MONTH):
        day, clock = divmod(hour, 24)
        count += day % 7 < 5 and first <= clock < last
    return count


def test_provisioned_concurrency_is_billed_only_in_the_active_hours(catalog: Catalog) -> None:
    mask = active_hours("Mon-Fri 08:00-20:00 UTC").week_mask()
    price = catalog.price("lambda.provisioned_concurrency.x86_64").usd
    hourly = [0.0] * HOURS_PER_MONTH
    spec = LambdaSpec(memory_mb=2048, provisioned_concurrency=3, front="none")
    always = {ln.name: ln for ln in spec.month(hourly, catalog).lines}
    scheduled = {
        ln.name: ln
        for ln in LambdaSpec(memory_mb=2048, provisioned_concurrency=3, front="none", active=mask)
        .month(hourly, catalog)
        .lines
    }
    on = weekday_hours(8, 20)
    assert on == 266  # 4 weeks of 60 h, then Monday and Tuesday 12 h each and Wednesday 2 h
    assert always["provisioned concurrency"].quantity == pytest.approx(3 * 2 * 3600 * 730)
    assert scheduled["provisioned concurrency"].quantity == pytest.approx(3 * 2 * 3600 * on)
    assert scheduled["provisioned concurrency"].amount == pytest.approx(3 * 2 * 3600 * on * price)


def test_requests_off_hours_are_served_on_demand(catalog: Catalog) -> None:
    mask = active_hours("Mon-Fri 08:00-20:00 UTC").week_mask()
    spec = LambdaSpec(
        memory_mb=1024,
        duration_ms=100,
        provisioned_concurrency=1,
        front="none",
        free_tier=False,
        active=mask,
    )
    lines = {ln.name: ln for ln in spec.month([360.0] * HOURS_PER_MONTH, catalog).lines}
    on = weekday_hours(8, 20)
    # 360 requests of 100 ms an hour fit in one environment: served by it exactly when it is on.
    assert lines["duration on provisioned concurrency"].quantity == pytest.approx(360 * on * 0.1)
    assert lines["duration (tier 1)"].quantity == pytest.approx(360 * (730 - on) * 0.1)


PROJECT = """
[project]
name = "shop"

[tool.aloft]
app = "shop:app"

[tool.aloft.lambda]
provisioned_concurrency = 2
active_hours = "Mon-Fri 08:00-20:00 UTC"

[tool.aloft.lambda.functions.api]

[tool.aloft.lambda.functions.worker]
handler = "shop.jobs.handler"
memory = 256
provisioned_concurrency = 1
events = [{ type = "sqs", queue = "orders" }]

[tool.aloft.cost]
duration_ms = 100
platforms = ["lambda"]

[tool.aloft.cost.lambda]
arch = "x86_64"
memory_mb = 1024

[tool.aloft.cost.traffic]
kind = "steady"
rps = 0.001
"""


def lambda_lines(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (estimate,) = [e for e in data["estimates"] if e["platform"] == "lambda"]
    return {ln["name"]: ln for ln in estimate["lines"]}


def test_cost_prices_the_deployed_provisioned_concurrency_with_the_schedule_and_without(
    aloft: Run, catalog: Catalog, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    result = aloft("cost", "--project", str(tmp_path), "-o", "json")
    assert result.code == 0, result.err
    data = result.json()
    price = catalog.price("lambda.provisioned_concurrency.x86_64").usd
    lines = lambda_lines(data)
    # Always on: the api's 2 (priced at the cost's 1024 MB), the worker's 1 at its own 256 MB.
    assert lines["provisioned concurrency"]["quantity"] == pytest.approx(2 * 1.0 * 3600 * 730)
    assert lines["provisioned concurrency (worker)"]["quantity"] == pytest.approx(
        1 * 0.25 * 3600 * 730
    )
    (saving,) = data["off_hours"]
    assert saving["platform"] == "lambda"
    assert saving["active_hours"] == "Mon-Fri 08:00-20:00 UTC"
    off = HOURS_PER_MONTH - weekday_hours(8, 20)
    expected = (2 * 1.0 + 1 * 0.25) * 3600 * off * price
    # The few requests of the off hours move from the provisioned to the (free) on-demand rate.
    assert saving["saving_usd"] == pytest.approx(expected, abs=0.01)
    assert saving["without_usd"] == pytest.approx(
        next(e for e in data["estimates"] if e["platform"] == "lambda")["total_usd"], abs=0.01
    )
    text = aloft("cost", "--project", str(tmp_path))
    assert text.code == 0, text.err
    assert "Off-hours (Mon-Fri 08:00-20:00 UTC): lambda $" in text.out
    assert f"saves ${expected:,.2f} a month" in text.out


def test_without_active_hours_provisioned_concurrency_is_billed_all_month_and_no_saving(
    aloft: Run, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        PROJECT.replace('active_hours = "Mon-Fri 08:00-20:00 UTC"\n', "")
    )
    result = aloft("cost", "--project", str(tmp_path), "-o", "json")
    assert result.code == 0, result.err
    assert result.json()["off_hours"] == []
    assert lambda_lines(result.json())["provisioned concurrency"]["quantity"] == pytest.approx(
        2 * 3600 * 730
    )


def test_the_cost_setting_and_the_flag_are_what_ifs_over_the_deployed_value(
    aloft: Run, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        PROJECT.replace("memory_mb = 1024\n", "memory_mb = 1024\nprovisioned_concurrency = 5\n")
    )
    configured = aloft("cost", "--project", str(tmp_path), "-o", "json")
    assert configured.code == 0, configured.err
    assert lambda_lines(configured.json())["provisioned concurrency"]["quantity"] == pytest.approx(
        5 * 3600 * 730
    )
    flagged = aloft(
        "cost", "--project", str(tmp_path), "--provisioned-concurrency", "0", "-o", "json"
    )
    assert flagged.code == 0, flagged.err
    assert "provisioned concurrency" not in lambda_lines(flagged.json())
    # The worker's own stays: the what-if is about the function the traffic reaches.
    assert "provisioned concurrency (worker)" in lambda_lines(flagged.json())


def test_a_cost_setting_of_zero_prices_the_month_without_it(aloft: Run, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        PROJECT.replace("memory_mb = 1024\n", "memory_mb = 1024\nprovisioned_concurrency = 0\n")
    )
    result = aloft("cost", "--project", str(tmp_path), "-o", "json")
    assert result.code == 0, result.err
    assert "provisioned concurrency" not in lambda_lines(result.json())
