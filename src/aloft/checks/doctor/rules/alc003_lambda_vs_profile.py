"""ALC003 lambda-sized-below-profile: a Lambda function whose timeout or memory does not fit what
`aloft profile` measured.

Needs a profile: run `aloft profile` (it writes [tool.aloft.cost] profile, aloft-profile.json by
default); without one this rule stays quiet. Only functions that serve the app (no `handler` of
their own) are compared, since the profile measures the app's requests.

The figures come from the cost advisor's right-sizing, not a second model: the duration at the
function's memory is `lambda_duration_ms` (CPU time stretched by Lambda's CPU share), and the memory
floor and the suggested memory are `size_lambda`'s, the very `memory = N` `aloft cost` suggests.

    [tool.aloft.doctor.rules.ALC003]
    timeout_factor = 3     # the timeout must be at least this many times the modelled p99
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from aloft.checks.doctor.config_file import ConfigFile
from aloft.checks.doctor.rules import SourceHit
from aloft.config.cost import TrafficSettings
from aloft.cost.app_profile import AppProfile
from aloft.cost.rightsizing import LambdaSizing, lambda_p99_ms
from aloft.cost.scenario import build_scenario
from aloft.cost.traffic import TrafficProfile, steady

ID = "ALC003"
MAX_TIMEOUT_S = 900  # Lambda's limit
# Sizing needs a traffic shape only to price each size; without one in [tool.aloft.cost.traffic],
# any steady rate ranks the sizes the same way outside the free tier.
NOMINAL_RPS = 1.0


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout_factor: float = Field(
        default=3.0,
        ge=1,
        description="the timeout must be at least this many times the p99 modelled at the"
        " function's memory",
    )


def check_config(project: ConfigFile) -> Iterator[SourceHit]:
    resolved = project.resolved
    functions = {
        name: fn for name, fn in resolved.config.lambda_.functions.items() if not fn.handler
    }
    cost = resolved.config.cost
    path = Path(cost.profile).expanduser()
    path = path if path.is_absolute() else resolved.root / path
    if not functions or not path.is_file():
        return
    scenario = build_scenario(
        dataclasses.replace(cost, platforms=["lambda"]),
        resolved.root,
        traffic=None if _has_volume(cost.traffic) else _nominal(),
        profile_path=path,
    )
    profile, sizing = scenario.profile, scenario.lambda_sizing
    if profile is None or sizing is None:
        return
    mb_per_vcpu = float(scenario.catalog.fact("lambda", "mb_per_vcpu"))
    factor = project.settings(ID, Settings).timeout_factor
    shown = _shown(path, resolved.root)
    for name, fn in functions.items():
        table = f"lambda.functions.{name}"
        if fn.memory < sizing.min_memory_mb:
            yield project.hit(f"{table}.memory", _memory_message(fn.memory, profile, sizing, shown))
        p99 = lambda_p99_ms(profile, fn.memory, mb_per_vcpu)
        needed_s = factor * p99 / 1000.0
        if fn.timeout < needed_s:
            yield project.hit(
                f"{table}.timeout",
                f"timeout = {fn.timeout}s is below {factor:g} x the p99 modelled at"
                f" {fn.memory} MB ({p99:.0f} ms, from {profile.latency_ms['p99']:.1f} ms measured"
                f" at full CPU in {shown}); {_timeout_fix(needed_s)}",
            )


def _memory_message(memory: int, profile: AppProfile, sizing: LambdaSizing, shown: str) -> str:
    return (
        f"memory = {memory} MB is below the measured peak RSS {profile.rss_peak_mb:.0f} MB plus"
        f" [tool.aloft.cost] headroom ({sizing.min_memory_mb} MB, from {shown});"
        f" use memory = {sizing.chosen.memory_mb} (as `aloft cost` suggests)"
    )


def _timeout_fix(needed_s: float) -> str:
    suggested = max(1, math.ceil(needed_s))
    if suggested > MAX_TIMEOUT_S:
        return (
            f"no timeout fits (Lambda's limit is {MAX_TIMEOUT_S}s): raise memory or move this"
            " work off the request path"
        )
    return f"use timeout = {suggested}"


def _has_volume(traffic: TrafficSettings) -> bool:
    return (
        traffic.kind == "measured"
        or traffic.rps is not None
        or traffic.requests_per_month is not None
    )


def _nominal() -> TrafficProfile:
    return steady(NOMINAL_RPS)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
