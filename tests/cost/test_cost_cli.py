"""`aloft cost`: direct questions from flags, and the comparison from a project's config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import costkit
import pytest

# Fixtures shared by the cost tests (see costkit.py for why not a conftest.py).
aloft = costkit.aloft

Run = Callable[..., Any]


def test_direct_lambda_json_is_itemised_and_adds_up(aloft: Run) -> None:
    result = aloft(
        "cost",
        "lambda",
        "--requests",
        "3M",
        "--duration-ms",
        "120",
        "--memory-mb",
        "512",
        "--arch",
        "arm64",
        "--front",
        "http-api",
        "--output",
        "json",
    )
    assert result.code == 0, result.err
    data = result.json()
    lines = {item["name"]: item for item in data["lines"]}
    assert set(lines["requests"]) >= {"name", "quantity", "unit", "unit_price", "amount"}
    assert lines["requests"]["quantity"] == pytest.approx(2.0)  # 3M - 1M free, in millions
    assert lines["requests"]["amount"] == pytest.approx(0.40)
    assert lines["API Gateway HTTP API (tier 1)"]["amount"] == pytest.approx(3.00)
    assert data["total_usd"] == pytest.approx(sum(item["amount"] for item in data["lines"]))
    assert data["total_usd"] == pytest.approx(3.40)


def test_direct_lambda_without_free_tier(aloft: Run) -> None:
    result = aloft(
        "cost",
        "lambda",
        "--requests",
        "3000000",
        "--duration-ms",
        "120",
        "--memory-mb",
        "512",
        "--no-free-tier",
        "-o",
        "json",
    )
    # 3M x 0.12 s x 0.5 GB = 180,000 GB-s at the x86 rate, plus 3 x $0.20.
    assert result.json()["total_usd"] == pytest.approx(3 * 0.20 + 180_000 * 0.0000166667, rel=1e-6)


def test_direct_fargate_and_eks(aloft: Run) -> None:
    fargate = aloft(
        "cost",
        "fargate",
        "--tasks",
        "2",
        "--vcpu",
        "0.5",
        "--memory-gb",
        "1",
        "--hours",
        "730",
        "-o",
        "json",
    )
    assert fargate.json()["total_usd"] == pytest.approx(2 * 730 * (0.5 * 0.04048 + 0.004445))
    eks = aloft("cost", "eks", "--node-type", "m6i.large", "--nodes", "3", "-o", "json")
    assert eks.json()["total_usd"] == pytest.approx(73 + 3 * 730 * 0.096)


def test_text_output_shows_unit_prices_and_formulas(aloft: Run) -> None:
    result = aloft("cost", "fargate", "--tasks", "2")
    assert result.code == 0
    assert "$0.04048" in result.out
    assert "2 tasks x 730 h x 0.5 vCPU" in result.out
    assert "total $36.04 per month" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lambda", "--requests", "-3M", "--duration-ms", "10"], "must not be negative"),
        (["lambda", "--requests", "lots", "--duration-ms", "10"], "use a count"),
        (
            ["lambda", "--requests", "1M", "--duration-ms", "10", "--region", "mars-1"],
            "unknown region",
        ),
        (["eks", "--node-type", "z9.mega"], "unknown instance type"),
        (["fargate", "--vcpu", "0.25", "--memory-gb", "8"], "Fargate memory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(aloft: Run, args: list[str], message: str) -> None:
    result = aloft("cost", *args)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_direct_budget_exceeded_exits_1_with_the_reason(aloft: Run) -> None:
    result = aloft("cost", "eks", "--nodes", "3", "--budget", "200", "-o", "json")
    assert result.code == 1
    assert result.json()["budget"]["exceeded"] is True
    assert "exceeds the budget of $200.00 by $83.24" in result.err
    assert aloft("cost", "eks", "--nodes", "3", "--budget", "300").code == 0


def write_project(root: Path, cost_table: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.aloft]\napp = "shop:app"\n\n' + cost_table
    )
    return root


STEADY = """
[tool.aloft.cost]
duration_ms = 120
memory_mb = 512
pod_rps = 50

[tool.aloft.cost.traffic]
kind = "steady"
rps = 2
"""


def test_comparison_prices_every_platform_and_names_the_cheapest(
    aloft: Run, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "app", STEADY)
    result = aloft("cost", "--project", str(project), "-o", "json")
    assert result.code == 0, result.err
    data = result.json()
    totals = {e["platform"]: e["total_usd"] for e in data["estimates"]}
    assert set(totals) == {"lambda", "fargate", "eks"}
    assert data["cheapest"]["platform"] == min(totals, key=totals.__getitem__)
    assert data["cheapest"]["why"]
    assert data["traffic"]["mean_rps"] == pytest.approx(2)
    pairs = {tuple(b["between"]) for b in data["break_even"]}
    assert pairs == {("lambda", "fargate"), ("lambda", "eks")}
    assert data["budget"]["exceeded"] is False


def test_break_even_is_where_the_two_costs_meet(aloft: Run, tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", STEADY)
    data = aloft("cost", "--project", str(project), "-o", "json").json()
    point = next(b for b in data["break_even"] if b["between"] == ["lambda", "fargate"])
    assert point["rps"] is not None
    at = aloft(
        "cost",
        "--project",
        str(project),
        "--rps",
        str(point["rps"]),
        "--no-break-even",
        "-o",
        "json",
    ).json()
    totals = {e["platform"]: e["total_usd"] for e in at["estimates"]}
    assert totals["lambda"] == pytest.approx(totals["fargate"], rel=0.02)
    below = aloft(
        "cost",
        "--project",
        str(project),
        "--rps",
        str(point["rps"] * 0.8),
        "--no-break-even",
        "-o",
        "json",
    ).json()
    below_totals = {e["platform"]: e["total_usd"] for e in below["estimates"]}
    assert below_totals["lambda"] < below_totals["fargate"]


def test_budget_in_config_fails_the_run_for_ci(aloft: Run, tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "app",
        STEADY.replace("pod_rps = 50", 'pod_rps = 50\nbudget_usd = 1\ntarget = "eks"'),
    )
    result = aloft("cost", "--project", str(project), "--no-break-even")
    assert result.code == 1
    assert "eks estimate $" in result.err and "exceeds the budget of $1.00" in result.err
    assert "budget_usd" in result.err


def test_measured_traffic_csv_from_config(aloft: Run, tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "app",
        STEADY.replace('kind = "steady"\nrps = 2', 'kind = "measured"\ncsv = "hourly.csv"'),
    )
    (project / "hourly.csv").write_text(
        "requests\n" + "\n".join(str(3600 * (h % 24)) for h in range(24 * 7))
    )
    data = aloft("cost", "--project", str(project), "-o", "json", "--no-break-even").json()
    assert data["traffic"]["kind"] == "measured"
    assert data["traffic"]["mean_rps"] == pytest.approx(11.5)


def test_config_errors_name_the_table(aloft: Run, tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", "[tool.aloft.cost]\nregion = 5\n")
    result = aloft("cost", "--project", str(project))
    assert result.code == 2
    assert "[tool.aloft.cost]" in result.err and "region" in result.err
    missing = write_project(tmp_path / "b", "[tool.aloft.cost.traffic]\nrps = 1\n")
    result = aloft("cost", "--project", str(missing))
    assert result.code == 2
    assert "aloft profile" in result.err


def test_plot_writes_png_and_html(aloft: Run, tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", STEADY)
    stem = tmp_path / "out" / "cost"
    result = aloft("cost", "--project", str(project), "--plot", str(stem))
    assert result.code == 0, result.err
    png = stem.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    page = stem.with_suffix(".html").read_text()
    assert "data:image/png;base64," in page and "Cheapest" in page
    assert not [p for p in stem.parent.iterdir() if p.name.startswith(".")]


def test_console_script_direct_mode_runs_without_plotting_imports(tmp_path: Path) -> None:
    # A real process: the quick answers must not pay for matplotlib.
    code = (
        "import sys; from aloft.cli import main\n"
        "try:\n"
        "    main(['cost', 'lambda', '--requests', '1M', '--duration-ms', '50', '-o', 'json'])\n"
        "except SystemExit as e:\n"
        "    assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "    raise\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total_usd"] == pytest.approx(0.0, abs=1e-9)


def test_requests_per_month_and_rps_override(aloft: Run, tmp_path: Path) -> None:
    table = STEADY.replace("rps = 2", "requests_per_month = 7_884_000")  # 3 req/s over 730 h
    project = write_project(tmp_path / "app", table)
    data = aloft("cost", "--project", str(project), "-o", "json", "--no-break-even").json()
    assert data["traffic"]["mean_rps"] == pytest.approx(3)
    faster = aloft(
        "cost", "--project", str(project), "--rps", "30", "-o", "json", "--no-break-even"
    )
    assert faster.json()["traffic"]["mean_rps"] == pytest.approx(30)
