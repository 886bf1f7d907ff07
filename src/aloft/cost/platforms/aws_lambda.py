"""AWS Lambda: requests and GB-seconds with volume tiers, free tier, storage, provisioned capacity.

Billing facts (per 1 ms rounding, tiers on monthly GB-seconds, free tier off the first tier) follow
the catalog; the model only multiplies. Provisioned concurrency serves each hour's requests up to
its capacity (concurrency = requests/s x duration); the rest spill over to on-demand. With
`active` (a week of hours, from Monday 00:00: [tool.aloft.lambda] active_hours), it is billed and
serves only in the active hours, as the off-hours schedules switch it. Other functions' provisioned
concurrency (`standing`: those the priced traffic does not reach) is billed for its hours too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

from aloft.cost.catalog import Catalog
from aloft.cost.estimate import HOURS_PER_MONTH, Estimate, Line, fmt_count, line
from aloft.cost.platforms.fronts import FRONTS, front_lines
from aloft.exceptions import ConfigError

Arch = Literal["x86_64", "arm64"]
ARCHES: tuple[str, ...] = ("x86_64", "arm64")


@dataclasses.dataclass(frozen=True)
class StandingProvisioned:
    """Provisioned concurrency of a function the priced traffic does not reach (a queue worker,
    a schedule): its environments are billed whether or not they run."""

    function: str
    concurrency: int
    memory_mb: int


@dataclasses.dataclass(frozen=True)
class LambdaSpec:
    memory_mb: int = 512
    duration_ms: float = 100.0
    arch: str = "x86_64"
    front: str = "http-api"
    free_tier: bool = True
    ephemeral_mb: int = 512
    provisioned_concurrency: int = 0
    request_kb: float = 1.0
    response_kb: float = 4.0
    active: tuple[bool, ...] = ()  # hours provisioned concurrency is on; empty: all
    standing: tuple[StandingProvisioned, ...] = ()

    platform = "lambda"
    kind = "serverless"

    @property
    def label(self) -> str:
        parts = [f"AWS Lambda {self.arch}", f"{self.memory_mb} MB", f"{self.duration_ms:g} ms"]
        parts.append(
            {
                "http-api": "HTTP API",
                "rest-api": "REST API",
                "alb": "ALB",
                "url": "Function URL",
                "none": "no front",
            }[self.front]
        )
        if self.provisioned_concurrency:
            parts.append(f"provisioned concurrency {self.provisioned_concurrency}")
        if self.active and (self.provisioned_concurrency or self.standing):
            parts.append("in active hours")
        return ", ".join(parts)

    def on(self, hour: int) -> bool:
        """Whether provisioned concurrency is on in the month's `hour` (from Monday 00:00)."""
        return not self.active or self.active[hour % len(self.active)]

    def validate(self, catalog: Catalog) -> None:
        low = int(catalog.fact("lambda", "min_memory_mb"))
        high = int(catalog.fact("lambda", "max_memory_mb"))
        if not low <= self.memory_mb <= high:
            raise ConfigError(f"Lambda memory {self.memory_mb} MB: use {low} to {high} MB")
        if not self.duration_ms > 0 or not math.isfinite(self.duration_ms):
            raise ConfigError(f"Lambda duration {self.duration_ms} ms: use a number above 0")
        free_eph = int(catalog.fact("lambda", "free_ephemeral_mb"))
        max_eph = int(catalog.fact("lambda", "max_ephemeral_mb"))
        if not free_eph <= self.ephemeral_mb <= max_eph:
            raise ConfigError(
                f"Lambda ephemeral storage {self.ephemeral_mb} MB: use {free_eph} to {max_eph} MB"
            )
        if self.arch not in ARCHES:
            raise ConfigError(f"Lambda arch {self.arch!r}: use x86_64 or arm64")
        if self.front not in FRONTS:
            raise ConfigError(f"Lambda front {self.front!r}: use one of {', '.join(FRONTS)}")
        if self.provisioned_concurrency < 0 or any(s.concurrency < 0 for s in self.standing):
            raise ConfigError("Lambda provisioned concurrency: use 0 or more")
        if self.request_kb < 0 or self.response_kb < 0:
            raise ConfigError("request and response sizes: use 0 KB or more")

    def billed_gb_seconds(self) -> float:
        """GB-seconds one request is billed: duration rounded up to the 1 ms step, times memory."""
        return math.ceil(self.duration_ms - 1e-9) / 1000.0 * self.memory_mb / 1024.0

    def month(self, hourly: Sequence[float], catalog: Catalog) -> Estimate:
        self.validate(catalog)
        requests = math.fsum(hourly)
        hours = len(hourly)
        per_request = self.billed_gb_seconds()
        billed_ms = math.ceil(self.duration_ms - 1e-9)
        gb = self.memory_mb / 1024.0
        lines: list[Line] = []
        notes: list[str] = []

        free_requests = (
            float(catalog.fact("free_tier", "lambda")["requests"]) if self.free_tier else 0.0
        )
        free_gbs = (
            float(catalog.fact("free_tier", "lambda")["gb_seconds"]) if self.free_tier else 0.0
        )

        req_price = catalog.price(f"lambda.requests.{self.arch}")
        billable_requests = max(0.0, requests - free_requests)
        formula = f"{fmt_count(requests)} requests"
        if self.free_tier:
            formula += f" - {fmt_count(free_requests)} free"
        lines.append(
            line(
                "requests",
                billable_requests / 1e6,
                req_price.unit,
                req_price.usd,
                formula,
                req_price.key,
            )
        )

        served_by_pc = 0.0
        on_hours = sum(1 for hour in range(hours) if self.on(hour))
        hours_text = f"{on_hours} h" + (" (active hours)" if self.active else "")
        if self.provisioned_concurrency:
            pc_price = catalog.price(f"lambda.provisioned_concurrency.{self.arch}")
            pcd_price = catalog.price(f"lambda.provisioned_duration.{self.arch}")
            capacity = self.provisioned_concurrency * 3600.0 / (billed_ms / 1000.0)  # requests/h
            served_by_pc = sum(min(r, capacity) for i, r in enumerate(hourly) if self.on(i))
            pc_gbs = self.provisioned_concurrency * gb * 3600.0 * on_hours
            lines.append(
                line(
                    "provisioned concurrency",
                    pc_gbs,
                    pc_price.unit,
                    pc_price.usd,
                    f"{self.provisioned_concurrency} x {gb:g} GB x {hours_text} x 3600 s",
                    pc_price.key,
                )
            )
            lines.append(
                line(
                    "duration on provisioned concurrency",
                    served_by_pc * per_request,
                    pcd_price.unit,
                    pcd_price.usd,
                    f"{fmt_count(served_by_pc)} requests within capacity"
                    f" x {billed_ms} ms x {gb:g} GB",
                    pcd_price.key,
                )
            )

        for standing in self.standing:
            if not standing.concurrency:
                continue
            pc_price = catalog.price(f"lambda.provisioned_concurrency.{self.arch}")
            standing_gb = standing.memory_mb / 1024.0
            lines.append(
                line(
                    f"provisioned concurrency ({standing.function})",
                    standing.concurrency * standing_gb * 3600.0 * on_hours,
                    pc_price.unit,
                    pc_price.usd,
                    f"{standing.concurrency} x {standing_gb:g} GB x {hours_text} x 3600 s",
                    pc_price.key,
                )
            )

        on_demand = requests - served_by_pc
        gbs = on_demand * per_request
        dur_price = catalog.price(f"lambda.duration.{self.arch}")
        skip = min(free_gbs, gbs)
        base_formula = (
            f"{fmt_count(on_demand)} requests x {billed_ms} ms x {gb:g} GB = {fmt_count(gbs)} GB-s"
        )
        if self.free_tier:
            base_formula += f" ({fmt_count(free_gbs)} free off tier 1)"
        parts = dur_price.split(gbs, skip=skip)
        multi = len(dur_price.tiers) > 1
        for quantity, rate, index in parts:
            name = f"duration (tier {index + 1})" if multi else "duration"
            lines.append(line(name, quantity, dur_price.unit, rate, base_formula, dur_price.key))
        if not parts:
            lines.append(
                line(
                    "duration (tier 1)" if multi else "duration",
                    0.0,
                    dur_price.unit,
                    dur_price.usd,
                    base_formula,
                    dur_price.key,
                )
            )

        free_eph = int(catalog.fact("lambda", "free_ephemeral_mb"))
        if self.ephemeral_mb > free_eph:
            eph_price = catalog.price("lambda.ephemeral_storage")
            extra_gb = (self.ephemeral_mb - free_eph) / 1024.0
            lines.append(
                line(
                    "ephemeral storage",
                    requests * billed_ms / 1000.0 * extra_gb,
                    eph_price.unit,
                    eph_price.usd,
                    f"{fmt_count(requests)} requests x {billed_ms} ms"
                    f" x {extra_gb:g} GB above {free_eph} MB",
                    eph_price.key,
                )
            )

        lines += front_lines(
            self.front,
            hourly,
            catalog,
            request_kb=self.request_kb,
            response_kb=self.response_kb,
            lambda_target=True,
        )
        if self.free_tier:
            notes.append("free tier counted: it is per account, shared by all functions")
        mean = requests / hours if hours else 0.0
        baseline = (min(hourly) / mean) if mean > 0 else 1.0
        return Estimate(self.platform, self.label, tuple(lines), tuple(notes), baseline)


def direct_hourly(requests_per_month: float, hours: int = HOURS_PER_MONTH) -> list[float]:
    """A month's requests spread evenly, for questions asked without a traffic profile."""
    if requests_per_month < 0 or not math.isfinite(requests_per_month):
        raise ConfigError(f"requests {requests_per_month:g}: use a number of requests >= 0")
    return [requests_per_month / hours] * hours
