"""`aloft cost` prices off-hours scale-down: the Kubernetes month with pods at zero outside
[tool.aloft.kubernetes] active_hours, next to the always-on month."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import costkit
import pytest

from aloft.config.schedule import active_hours
from aloft.cost.catalog import load_catalog
from aloft.cost.platforms.eks import EksSpec
from aloft.cost.traffic import steady

aloft = costkit.aloft
Run = Callable[..., Any]


def test_the_week_mask_marks_exactly_the_windows_hours() -> None:
    mask = active_hours("Mon-Fri 08:00-20:00 Europe/Berlin").week_mask()
    assert len(mask) == 168 and sum(mask) == 60
    assert mask[8] and mask[19] and not mask[7] and not mask[20]  # Monday
    assert not any(mask[5 * 24 :])  # Saturday and Sunday
    # A part hour counts as running: 08:30-09:15 touches two hours.
    assert sum(active_hours("Mon 08:30-09:15 UTC").week_mask()) == 2


def test_nodes_are_billed_only_in_the_windows_hours() -> None:
    catalog = load_catalog("us-east-1")
    always = EksSpec(pod_rps=40, hpa_min=2, hpa_max=20, min_nodes=0)
    mask = active_hours("Mon-Fri 08:00-20:00 UTC").week_mask()
    scheduled = EksSpec(pod_rps=40, hpa_min=2, hpa_max=20, min_nodes=0, active=mask)
    hourly = steady(100).hourly
    _, nodes = always.nodes_per_hour(hourly, catalog)
    replicas, scaled_nodes = scheduled.nodes_per_hour(hourly, catalog)
    on = [i for i in range(len(hourly)) if mask[i % 168]]
    assert sum(scaled_nodes) == sum(nodes[i] for i in on)
    assert all(replicas[i] == 0 for i in range(len(hourly)) if not mask[i % 168])
    assert sum(scaled_nodes) < sum(nodes)


PROJECT = """
[project]
name = "shop"

[tool.aloft]
app = "shop:app"

[tool.aloft.kubernetes]
active_hours = "Mon-Fri 08:00-20:00 Europe/Berlin"

[tool.aloft.cost]
duration_ms = 120
memory_mb = 512
pod_rps = 50
platforms = ["lambda", "eks"]

[tool.aloft.cost.eks]
min_nodes = 0

[tool.aloft.cost.traffic]
kind = "steady"
rps = 20
"""


def test_cost_shows_the_month_with_the_schedule_and_without(aloft: Run, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    result = aloft("cost", "--project", str(tmp_path), "-o", "json")
    assert result.code == 0, result.err
    data = result.json()
    (saving,) = data["off_hours"]
    eks = next(e for e in data["estimates"] if e["platform"] == "eks")
    assert saving["platform"] == "eks"
    assert saving["without_usd"] == pytest.approx(eks["total_usd"], abs=0.01)
    assert 0 < saving["with_usd"] < saving["without_usd"]
    assert saving["saving_usd"] == pytest.approx(
        saving["without_usd"] - saving["with_usd"], abs=0.011
    )
    text = aloft("cost", "--project", str(tmp_path))
    assert text.code == 0, text.err
    assert "Off-hours (Mon-Fri 08:00-20:00 Europe/Berlin): eks $" in text.out
    assert "with the schedule: saves $" in text.out


def test_without_active_hours_there_is_no_saving_line(aloft: Run, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PROJECT.replace("active_hours", "# active_hours"))
    result = aloft("cost", "--project", str(tmp_path), "-o", "json")
    assert result.code == 0, result.err
    assert result.json()["off_hours"] == []
