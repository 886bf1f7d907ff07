"""Traffic profiles: requests in each hour, the one shape every platform model prices.

Hourly resolution is what AWS bills containers by and what a cluster autoscaler can follow; a burst
shorter than an hour is averaged into its hour, which favours containers slightly (stated in the
report). Months are 730-hour slices; a series shorter than a month repeats to fill one.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

from aloft.cost.estimate import HOURS_PER_MONTH
from aloft.exceptions import ConfigError

KINDS = ("steady", "diurnal", "spiky", "measured")


@dataclasses.dataclass(frozen=True)
class TrafficProfile:
    kind: str
    hourly: tuple[float, ...]  # requests in each hour
    description: str

    @property
    def mean_rps(self) -> float:
        return math.fsum(self.hourly) / len(self.hourly) / 3600.0 if self.hourly else 0.0

    @property
    def peak_rps(self) -> float:
        return max(self.hourly, default=0.0) / 3600.0

    @property
    def requests_per_month(self) -> float:
        return self.mean_rps * 3600.0 * HOURS_PER_MONTH

    def scaled(self, factor: float) -> TrafficProfile:
        return TrafficProfile(self.kind, tuple(r * factor for r in self.hourly), self.description)

    def with_mean_rps(self, rps: float) -> TrafficProfile:
        mean = self.mean_rps
        if mean <= 0:
            return steady(rps, hours=len(self.hourly) or HOURS_PER_MONTH)
        return self.scaled(rps / mean)

    def months(self) -> list[tuple[list[float], float]]:
        """Billing months as (730 hourly values, weight); a trailing part month is tiled."""
        out: list[tuple[list[float], float]] = []
        values = list(self.hourly)
        for start in range(0, len(values), HOURS_PER_MONTH):
            chunk = values[start : start + HOURS_PER_MONTH]
            weight = len(chunk) / HOURS_PER_MONTH
            if len(chunk) < HOURS_PER_MONTH:
                chunk = (chunk * (HOURS_PER_MONTH // len(chunk) + 1))[:HOURS_PER_MONTH]
                if out:
                    out.append((chunk, weight))
                    continue
                weight = 1.0
            out.append((chunk, weight))
        return out


def _check_rate(rps: float, what: str = "traffic") -> None:
    if not math.isfinite(rps) or rps < 0:
        raise ConfigError(f"{what} {rps:g} requests/s: use a number >= 0")


def steady(rps: float, *, hours: int = HOURS_PER_MONTH) -> TrafficProfile:
    _check_rate(rps)
    return TrafficProfile("steady", (rps * 3600.0,) * hours, f"steady {rps:g} req/s")


def diurnal(
    rps: float,
    *,
    peak_to_mean: float = 2.0,
    peak_hour: int = 14,
    curve: Sequence[float] = (),
    hours: int = HOURS_PER_MONTH,
) -> TrafficProfile:
    """A 24-hour curve with mean `rps`: `curve` weights, or a cosine peaking at `peak_hour`."""
    _check_rate(rps)
    if curve:
        if (
            len(curve) != 24
            or any(not math.isfinite(w) or w < 0 for w in curve)
            or not sum(curve) > 0
        ):
            raise ConfigError("diurnal curve: give 24 hourly weights >= 0, not all zero")
        mean_w = sum(curve) / 24.0
        shape = [w / mean_w for w in curve]
        text = f"diurnal {rps:g} req/s mean, custom 24-hour curve"
    else:
        if not 1.0 <= peak_to_mean <= 2.0:
            raise ConfigError(
                f"diurnal peak_to_mean {peak_to_mean:g}: use 1 to 2 for the built-in curve, or give"
                " a 24-value curve"
            )
        amplitude = peak_to_mean - 1.0
        shape = [
            1.0 + amplitude * math.cos(2 * math.pi * (h - peak_hour) / 24.0) for h in range(24)
        ]
        text = f"diurnal {rps:g} req/s mean, peak {peak_to_mean:g}x at {peak_hour:02d}:00"
    hourly = tuple(rps * 3600.0 * shape[h % 24] for h in range(hours))
    return TrafficProfile("diurnal", hourly, text)


def spiky(
    rps: float,
    *,
    burst_multiplier: float = 10.0,
    bursts_per_day: int = 2,
    hours: int = HOURS_PER_MONTH,
) -> TrafficProfile:
    """A quiet baseline with `bursts_per_day` one-hour bursts at `burst_multiplier` x baseline."""
    _check_rate(rps)
    if not burst_multiplier >= 1 or not 0 <= bursts_per_day <= 24:
        raise ConfigError("spiky traffic: burst_multiplier must be >= 1 and bursts_per_day 0 to 24")
    base = rps * 24.0 / ((24 - bursts_per_day) + bursts_per_day * burst_multiplier)
    burst_hours = (
        {round(i * 24 / bursts_per_day) + 9 for i in range(bursts_per_day)}
        if bursts_per_day
        else set()
    )
    burst_hours = {h % 24 for h in burst_hours}
    hourly = tuple(
        base * 3600.0 * (burst_multiplier if h % 24 in burst_hours else 1.0) for h in range(hours)
    )
    return TrafficProfile(
        "spiky",
        hourly,
        f"spiky {rps:g} req/s mean: {bursts_per_day} one-hour bursts a day"
        f" at {burst_multiplier:g}x baseline",
    )


def measured(path: Path) -> TrafficProfile:
    """Hourly request counts from a CSV: a `requests` column, or one number a row."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: traffic CSV not found; fix [tool.aloft.cost.traffic] csv"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the traffic CSV ({exc})") from None
    rows = list(csv.reader(text.splitlines()))
    column = -1
    start = 0
    if rows and rows[0] and not _is_number(rows[0][-1]):
        header = [cell.strip().lower() for cell in rows[0]]
        if "requests" not in header:
            raise ConfigError(
                f"{path}:1: header has no 'requests' column; name the hourly counts column requests"
            )
        column = header.index("requests")
        start = 1
    values: list[float] = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or not "".join(row).strip():
            continue
        try:
            value = float(row[column])
        except (ValueError, IndexError):
            raise ConfigError(
                f"{path}:{number}: {','.join(row)!r} is not an hourly request count"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"{path}:{number}: {value:g} requests: use a count >= 0")
        values.append(value)
    if not values:
        raise ConfigError(f"{path}: no hourly request counts; one row per hour")
    return TrafficProfile(
        "measured", tuple(values), f"measured, {len(values)} hourly points from {path.name}"
    )


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
