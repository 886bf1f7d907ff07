"""How long `aloft cost` takes for a year of hourly traffic (8,760 points) across all platforms.

The issue's bar is "well under a second". Measured side by side in one run: the whole comparison
(three platforms, break-even search, commitments, Lambda right-sizing from a profile) for one
month and for a year of hourly points, in-process and through the real console script.

    uv run python bench/cost_speed.py
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aloft.config import schema
from aloft.config.cost import CostSettings
from aloft.cost.app_profile import AppProfile, save_profile
from aloft.cost.compare import compare
from aloft.cost.scenario import build_scenario
from aloft.cost.traffic import TrafficProfile

ROUNDS = 5
WHAT = "3 platforms + break-even + sizing"


def year_of_hours() -> list[float]:
    """A deterministic, realistic-looking year: daily and weekly cycles, growth, a few spikes."""
    out = []
    for h in range(8760):
        day = 1 + 0.6 * math.cos(2 * math.pi * ((h % 24) - 14) / 24)
        week = 0.8 if (h // 24) % 7 in (5, 6) else 1.0
        growth = 1 + h / 8760
        spike = 6.0 if h % 997 == 0 else 1.0
        out.append(20 * 3600 * day * week * growth * spike)
    return out


def timed(func: object, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="aloft-bench-") as tmp:
        run_in(Path(tmp))


def run_in(folder: Path) -> None:
    profile = AppProfile(
        app="bench:app",
        workers=1,
        requests=1000,
        cpu_ms=12.0,
        latency_ms={"mean": 20.0, "p50": 18.0, "p90": 30.0, "p99": 45.0},
        rss_steady_mb=80.0,
        rss_peak_mb=95.0,
        rps_per_worker=60.0,
        target_p99_ms=200.0,
    )
    save_profile(profile, folder / "aloft-profile.json")
    hours = year_of_hours()
    (folder / "year.csv").write_text("requests\n" + "\n".join(f"{v:.1f}" for v in hours) + "\n")
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "bench"\n[tool.aloft]\napp = "bench:app"\n'
        "[tool.aloft.cost]\nlatency_target_ms = 200\n"
        '[tool.aloft.cost.traffic]\nkind = "measured"\ncsv = "year.csv"\n'
    )
    settings = schema.validate(CostSettings, {"traffic": {"kind": "measured", "csv": "year.csv"}})

    def run(points: list[float]) -> None:
        traffic = TrafficProfile("measured", tuple(points), "bench")
        scenario = build_scenario(settings, folder, traffic=traffic)
        compare(scenario.models, scenario.traffic, scenario.catalog)

    month = timed(lambda: run(hours[:730]))
    year = timed(lambda: run(hours))

    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    aloft = str(Path(sys.executable).parent / "aloft")

    def cli() -> None:
        done = subprocess.run(
            [aloft, "cost", "--project", str(folder), "-o", "json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        json.loads(done.stdout)

    def cli_version() -> None:
        subprocess.run([aloft, "--version"], env=env, capture_output=True, check=True)

    process = timed(cli, 3)
    startup = timed(cli_version, 3)
    print(f"in-process, 730 hourly points (1 month), {WHAT}: {month * 1000:.0f} ms")
    print(f"in-process, 8760 hourly points (1 year),  {WHAT}: {year * 1000:.0f} ms")
    print(f"year / month ratio: {year / month:.2f}x")
    print(
        f"console script `aloft cost` on the year CSV: {process * 1000:.0f} ms"
        f" (of which `aloft --version` start-up: {startup * 1000:.0f} ms)"
    )
    print(
        f"year in-process vs 1 s budget: {year:.3f}x; console script vs 1 s budget: {process:.3f}x"
    )


if __name__ == "__main__":
    main()
