"""The measured profile of an app (written by `aloft profile`, read by `aloft cost`).

Per request: CPU time and wall latency; per worker: steady and peak memory and the requests/s one
worker sustains while its p99 stays within the target. Kept as a small versioned JSON file so a
profile measured once (or in CI) prices many what-if questions.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from aloft.exceptions import ConfigError
from aloft.fileio import atomic_write_text

FORMAT = "aloft-profile/1"


@dataclasses.dataclass(frozen=True)
class Step:
    concurrency: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclasses.dataclass(frozen=True)
class AppProfile:
    app: str
    workers: int
    requests: int  # requests measured, all steps
    cpu_ms: float  # server CPU time per request, all server processes
    latency_ms: dict[str, float]  # mean, p50, p90, p99 at concurrency 1 (no queueing)
    rss_steady_mb: float  # per worker, after the load
    rss_peak_mb: float  # per worker, highest seen
    rps_per_worker: float  # highest step throughput with p99 <= target_p99_ms, per worker
    target_p99_ms: float
    steps: tuple[Step, ...] = ()
    created: str = ""

    @property
    def wall_ms(self) -> float:
        return self.latency_ms["mean"]

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["steps"] = [dataclasses.asdict(s) for s in self.steps]
        return {"format": FORMAT, **data}


def save_profile(profile: AppProfile, path: Path) -> None:
    """Write atomically: a half-written profile must never be priced."""
    atomic_write_text(path, json.dumps(profile.to_json(), indent=2, sort_keys=True) + "\n")


def load_profile(path: Path) -> AppProfile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no profile; run `aloft profile` first or pass the numbers directly"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"{path}: not a readable profile ({exc}); run `aloft profile` again"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{path}: not an {FORMAT} file; run `aloft profile` again")
    try:
        latency = {k: float(v) for k, v in data["latency_ms"].items()}
        profile = AppProfile(
            app=str(data["app"]),
            workers=int(data["workers"]),
            requests=int(data["requests"]),
            cpu_ms=float(data["cpu_ms"]),
            latency_ms=latency,
            rss_steady_mb=float(data["rss_steady_mb"]),
            rss_peak_mb=float(data["rss_peak_mb"]),
            rps_per_worker=float(data["rps_per_worker"]),
            target_p99_ms=float(data["target_p99_ms"]),
            steps=tuple(Step(**s) for s in data.get("steps", [])),
            created=str(data.get("created", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"{path}: profile field missing or malformed ({exc}); run `aloft profile` again"
        ) from None
    numbers = [profile.cpu_ms, profile.rss_peak_mb, profile.rps_per_worker, *latency.values()]
    if (
        any(not math.isfinite(n) or n < 0 for n in numbers)
        or "mean" not in latency
        or "p99" not in latency
    ):
        raise ConfigError(
            f"{path}: profile has negative, missing or non-finite figures;"
            " run `aloft profile` again"
        )
    return profile
