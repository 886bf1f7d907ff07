"""Right-sizing from a measured profile: Lambda memory; Kubernetes requests, limits, HPA target.

Lambda gives CPU in proportion to memory (one full vCPU at 1,769 MB), so, as Lambda Power Tuning
measures, a request's duration at memory m is its non-CPU time plus its CPU time stretched by the
CPU share: d(m) = (wall - cpu) + cpu / min(1, m / 1769). A Python worker runs one request on one
thread, so shares above one vCPU do not help it. The p99 scales by the same factor as the mean.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from aloft.cost.app_profile import AppProfile
from aloft.cost.catalog import Catalog
from aloft.cost.compare import monthly
from aloft.cost.platforms.aws_lambda import LambdaSpec
from aloft.cost.traffic import TrafficProfile
from aloft.runtime.sizing import MIB, WorkerMemory

MEMORY_STEP_MB = 64
POWER_TUNING_SIZES = (128, 256, 512, 1024, 1536, 1769, 2048, 3008, 4096, 6144, 8192, 10240)


@dataclasses.dataclass(frozen=True)
class MemoryOption:
    memory_mb: int
    duration_ms: float
    p99_ms: float
    monthly_usd: float
    meets_target: bool


def lambda_duration_ms(profile: AppProfile, memory_mb: int, mb_per_vcpu: float) -> float:
    share = min(1.0, memory_mb / mb_per_vcpu)
    io_ms = max(0.0, profile.wall_ms - profile.cpu_ms)
    return io_ms + profile.cpu_ms / share


def p99_ratio(profile: AppProfile) -> float:
    """How much longer the measured p99 is than the mean; kept at every memory size."""
    return profile.latency_ms["p99"] / profile.wall_ms if profile.wall_ms > 0 else 1.0


def lambda_p99_ms(profile: AppProfile, memory_mb: int, mb_per_vcpu: float) -> float:
    return lambda_duration_ms(profile, memory_mb, mb_per_vcpu) * p99_ratio(profile)


@dataclasses.dataclass(frozen=True)
class LambdaSizing:
    chosen: MemoryOption
    options: tuple[MemoryOption, ...]  # the Power Tuning sizes that fit, for the report
    min_memory_mb: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "memory_mb": self.chosen.memory_mb,
            "duration_ms": round(self.chosen.duration_ms, 3),
            "p99_ms": round(self.chosen.p99_ms, 3),
            "monthly_usd": round(self.chosen.monthly_usd, 4),
            "min_memory_mb": self.min_memory_mb,
            "reason": self.reason,
            "options": [dataclasses.asdict(o) for o in self.options],
        }


def size_lambda(
    profile: AppProfile,
    base: LambdaSpec,
    traffic: TrafficProfile,
    catalog: Catalog,
    *,
    latency_target_ms: float,
    headroom: float,
) -> LambdaSizing:
    """The cheapest memory size whose modelled p99 meets the target (else the fastest)."""
    mb_per_vcpu = float(catalog.fact("lambda", "mb_per_vcpu"))
    low = int(catalog.fact("lambda", "min_memory_mb"))
    high = int(catalog.fact("lambda", "max_memory_mb"))
    floor_mb = max(low, math.ceil(profile.rss_peak_mb * (1 + headroom)))
    floor_mb = min(floor_mb, high)
    sizes = sorted(
        {
            floor_mb,
            *range(_round_up(floor_mb, MEMORY_STEP_MB), high + 1, MEMORY_STEP_MB),
            *(s for s in POWER_TUNING_SIZES if s >= floor_mb),
        }
    )
    ratio = p99_ratio(profile)
    # Price one month of the busiest shape once per size: the traffic is the same for every size.
    options = []
    for size in sizes:
        duration = lambda_duration_ms(profile, size, mb_per_vcpu)
        spec = dataclasses.replace(base, memory_mb=size, duration_ms=max(duration, 0.001))
        cost = monthly(spec, traffic, catalog).total_usd
        p99 = duration * ratio
        options.append(MemoryOption(size, duration, p99, cost, p99 <= latency_target_ms))
    meeting = [o for o in options if o.meets_target]
    if meeting:
        chosen = min(meeting, key=lambda o: (round(o.monthly_usd, 6), o.memory_mb))
        reason = (
            f"{chosen.memory_mb} MB is the cheapest size whose modelled p99"
            f" ({chosen.p99_ms:.1f} ms)"
            f" meets the {latency_target_ms:g} ms target; memory floor {floor_mb} MB is peak RSS"
            f" {profile.rss_peak_mb:.0f} MB + {headroom:.0%} headroom"
        )
    else:
        chosen = min(options, key=lambda o: (o.p99_ms, o.monthly_usd))
        reason = (
            f"no size meets the {latency_target_ms:g} ms p99 target; {chosen.memory_mb} MB is the"
            f" fastest ({chosen.p99_ms:.1f} ms modelled): the time is not CPU-bound, look at I/O"
        )
    shown = tuple(o for o in options if o.memory_mb in POWER_TUNING_SIZES or o is chosen)
    return LambdaSizing(chosen, shown, floor_mb, reason)


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


@dataclasses.dataclass(frozen=True)
class PodSizing:
    cpu_request: float  # cores
    memory_request_mib: int
    memory_limit_mib: int
    hpa_target_cpu_percent: int
    pod_rps: float  # requests/s one pod serves within the p99 target
    workers: int
    reason: str
    worker_memory_mib: int = 0  # what one worker is given, master excluded

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def size_pod(profile: AppProfile, *, workers: int, headroom: float) -> PodSizing:
    """Requests that fit the measured use at the per-pod capacity, plus headroom.

    At capacity a pod burns capacity x CPU-per-request; requesting that x (1 + headroom) and setting
    the HPA target to 1 / (1 + headroom) makes the autoscaler add a pod just as one reaches the
    throughput the profile measured within the latency target. Memory is the server master plus
    each worker's measured peak RSS with headroom, by the same arithmetic the renderer and the
    runtime use to size workers (aloft.runtime.sizing). Memory limit = request: memory is not
    compressible, so a pod over its request is the one the kernel should stop.
    """
    workers = max(1, workers)
    pod_rps = profile.rps_per_worker * workers
    cpu_used = pod_rps * profile.cpu_ms / 1000.0
    cpu_request = max(0.05, math.ceil(cpu_used * (1 + headroom) * 100 - 1e-9) / 100)
    worker_mib = max(1, math.ceil(profile.rss_peak_mb * (1 + headroom)))
    budget = WorkerMemory(per_worker=worker_mib * MIB)
    memory = math.ceil(budget.needed(workers) / MIB / 16) * 16
    target = max(10, min(95, round(100 / (1 + headroom))))
    reason = (
        f"{workers} worker(s) x {profile.rps_per_worker:.1f} req/s x {profile.cpu_ms:.2f} ms CPU ="
        f" {cpu_used:.3f} CPU at capacity, + {headroom:.0%} headroom; memory = master"
        f" {budget.master // MIB} MiB + {workers} x peak RSS {profile.rss_peak_mb:.0f} MB"
        f" + {headroom:.0%}"
    )
    return PodSizing(
        cpu_request,
        max(memory, 64),
        max(memory, 64),
        target,
        pod_rps,
        workers,
        reason,
        worker_mib,
    )


def suggested_toml(
    lambda_sizing: LambdaSizing | None,
    pod: PodSizing | None,
    functions: Sequence[str] = (),
) -> str:
    """The sizes as `[tool.aloft]` settings to paste into pyproject.toml, under the very keys
    `aloft lambda` and `aloft k8s` read (memory per function; cpu, memory, HPA target)."""
    out: list[str] = []
    if lambda_sizing is not None:
        for name in functions:
            out += [
                f"[tool.aloft.lambda.functions.{name}]",
                f"memory = {lambda_sizing.chosen.memory_mb}",
                "",
            ]
    if pod is not None:
        out += [
            "[tool.aloft.kubernetes]",
            f'cpu = "{round(pod.cpu_request * 1000)}m"',
            # The memory limit equals the request (memory is not compressible).
            f'memory = "{max(pod.memory_request_mib, pod.memory_limit_mib)}Mi"',
            # The worker count the memory was sized for, stated so the pods run exactly that.
            f"workers = {pod.workers}",
            f'worker_memory = "{pod.worker_memory_mib}Mi"',
            "",
            "[tool.aloft.kubernetes.autoscaling]",
            f"target_cpu = {pod.hpa_target_cpu_percent}",
            "",
        ]
    return "\n".join(out).rstrip() + "\n" if out else ""


def as_rows(options: Sequence[MemoryOption]) -> list[list[str]]:
    return [
        [
            f"{o.memory_mb}",
            f"{o.duration_ms:.1f}",
            f"{o.p99_ms:.1f}",
            f"{o.monthly_usd:,.2f}",
            "yes" if o.meets_target else "no",
        ]
        for o in options
    ]
