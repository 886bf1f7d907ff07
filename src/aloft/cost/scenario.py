"""From `[tool.aloft.cost]` and a measured profile to the models, traffic and catalog to price.

Measured figures win over configured fallbacks: the profile's CPU time sizes Lambda's duration at
each memory size and the pod's requests; without a profile the config must give duration_ms,
memory_mb and pod_rps, and the error says which is missing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from aloft.config import ResolvedConfig
from aloft.config.cost import (
    CostSettings,
    TrafficSettings,
)
from aloft.cost import traffic as traffic_mod
from aloft.cost.app_profile import AppProfile, load_profile
from aloft.cost.catalog import Catalog, load_catalog
from aloft.cost.estimate import HOURS_PER_MONTH
from aloft.cost.platforms import EksSpec, FargateSpec, LambdaSpec, PlatformModel
from aloft.cost.platforms.aws_lambda import StandingProvisioned
from aloft.cost.rightsizing import (
    LambdaSizing,
    PodSizing,
    lambda_duration_ms,
    size_lambda,
    size_pod,
)
from aloft.cost.traffic import TrafficProfile
from aloft.exceptions import ConfigError


@dataclasses.dataclass(frozen=True)
class Scenario:
    catalog: Catalog
    traffic: TrafficProfile
    models: tuple[PlatformModel, ...]
    profile: AppProfile | None
    lambda_sizing: LambdaSizing | None
    pod_sizing: PodSizing | None
    budget_usd: float | None
    target: str


@dataclasses.dataclass(frozen=True)
class LambdaProvisioning:
    """Provisioned concurrency as the functions deploy with it ([tool.aloft.lambda], read through
    provisioned_of: the one reading): summed over the functions the priced HTTP traffic reaches,
    and each other function's, billed whether or not it runs."""

    serving: int = 0
    standing: tuple[StandingProvisioned, ...] = ()


def deployed_provisioning(resolved: ResolvedConfig) -> LambdaProvisioning:
    settings = resolved.config.lambda_
    serving = 0
    standing: list[StandingProvisioned] = []
    for key, fn in settings.functions_of(resolved.project_name).items():
        concurrency = settings.provisioned_of(fn)
        if not concurrency:
            continue
        if any(e.type in ("http_api", "function_url") for e in fn.events):
            serving += concurrency
        else:
            standing.append(StandingProvisioned(key, concurrency, fn.memory))
    return LambdaProvisioning(serving, tuple(standing))


def build_traffic(
    settings: TrafficSettings, root: Path, *, rps: float | None = None
) -> TrafficProfile:
    """The configured traffic shape; `rps` (`aloft cost --rps`) sets its mean, and alone is enough
    without any rate in the config."""
    if settings.kind == "measured":
        shape = traffic_mod.measured(_path(root, settings.csv))
        return shape if rps is None else shape.with_mean_rps(rps)
    if rps is None:
        if settings.requests_per_month is not None:
            rps = settings.requests_per_month / (HOURS_PER_MONTH * 3600.0)
        elif settings.rps is not None:
            rps = settings.rps
        else:
            raise ConfigError(
                "[tool.aloft.cost.traffic]: give rps = N or requests_per_month = N (or kind ="
                ' "measured" with csv = "FILE"), or pass --rps N'
            )
    if settings.kind == "diurnal":
        return traffic_mod.diurnal(
            rps,
            peak_to_mean=settings.peak_to_mean,
            peak_hour=settings.peak_hour,
            curve=settings.curve,
        )
    if settings.kind == "spiky":
        return traffic_mod.spiky(
            rps, burst_multiplier=settings.burst_multiplier, bursts_per_day=settings.bursts_per_day
        )
    return traffic_mod.steady(rps)


def build_scenario(
    settings: CostSettings,
    root: Path,
    *,
    workers: int = 1,
    traffic: TrafficProfile | None = None,
    profile_path: Path | None = None,
    provisioning: LambdaProvisioning | None = None,
    provisioned_concurrency: int | None = None,
) -> Scenario:
    """The models to price. Lambda's provisioned concurrency is the deployed one
    (`provisioning`), unless `provisioned_concurrency` (--provisioned-concurrency) or
    [tool.aloft.cost.lambda] provisioned_concurrency (0 included) asks what another would cost."""
    catalog = load_catalog(
        settings.region, _path(root, settings.catalog) if settings.catalog else None
    )
    shape = traffic or build_traffic(settings.traffic, root)
    path = profile_path or _path(root, settings.profile)
    profile = load_profile(path) if (profile_path or path.is_file()) else None

    models: list[PlatformModel] = []
    lambda_sizing: LambdaSizing | None = None
    pod_sizing: PodSizing | None = None
    lam = settings.lambda_
    if profile is not None:
        pod_sizing = size_pod(profile, workers=workers, headroom=settings.headroom)

    if "lambda" in settings.platforms:
        deployed = provisioning or LambdaProvisioning()
        if provisioned_concurrency is None:
            provisioned_concurrency = lam.provisioned_concurrency
        if provisioned_concurrency is None:
            provisioned_concurrency = deployed.serving
        base = LambdaSpec(
            arch=lam.arch,
            front=lam.front,
            free_tier=lam.free_tier,
            ephemeral_mb=lam.ephemeral_mb,
            provisioned_concurrency=provisioned_concurrency,
            standing=deployed.standing,
        )
        if profile is not None:
            lambda_sizing = size_lambda(
                profile,
                base,
                shape,
                catalog,
                latency_target_ms=settings.latency_target_ms,
                headroom=settings.headroom,
            )
            memory = lam.memory_mb or lambda_sizing.chosen.memory_mb
            duration = lambda_duration_ms(
                profile, memory, float(catalog.fact("lambda", "mb_per_vcpu"))
            )
        else:
            memory = lam.memory_mb or settings.memory_mb or 0
            duration = settings.duration_ms or 0.0
            if not memory or not duration:
                raise ConfigError(
                    f"no profile at {path}: run `aloft profile`, or set [tool.aloft.cost]"
                    " duration_ms"
                    " and memory_mb (or [tool.aloft.cost.lambda] memory_mb)"
                )
        models.append(dataclasses.replace(base, memory_mb=memory, duration_ms=duration))

    containers = [p for p in settings.platforms if p != "lambda"]
    if containers:
        if pod_sizing is not None:
            pod_rps, pod_cpu, pod_mem = (
                pod_sizing.pod_rps,
                pod_sizing.cpu_request,
                float(pod_sizing.memory_request_mib),
            )
        elif settings.pod_rps is not None:
            pod_rps, pod_cpu, pod_mem = settings.pod_rps, 0.25, float(settings.memory_mb or 512)
        else:
            raise ConfigError(
                f"no profile at {path}: run `aloft profile`, or set [tool.aloft.cost]"
                " pod_rps (requests/s"
                " one container serves)"
            )
        if "fargate" in settings.platforms:
            fg = settings.fargate
            models.append(
                FargateSpec(
                    vcpu=fg.vcpu,
                    memory_gb=fg.memory_gb,
                    arch=fg.arch,
                    task_rps=pod_rps,
                    min_tasks=fg.min_tasks,
                    max_tasks=fg.max_tasks,
                    load_balancer=fg.load_balancer,
                )
            )
        if "eks" in settings.platforms:
            ek = settings.eks
            models.append(
                EksSpec(
                    node_type=ek.node_type,
                    pod_cpu=pod_cpu,
                    pod_memory_mib=pod_mem,
                    pod_rps=pod_rps,
                    hpa_min=ek.hpa_min,
                    hpa_max=ek.hpa_max,
                    min_nodes=ek.min_nodes,
                    support=ek.support,
                    load_balancer=ek.load_balancer,
                )
            )
    if not models:
        raise ConfigError(
            "[tool.aloft.cost] platforms is empty; list at least one of lambda, fargate, eks"
        )
    return Scenario(
        catalog,
        shape,
        tuple(models),
        profile,
        lambda_sizing,
        pod_sizing,
        settings.budget_usd,
        settings.target,
    )


def _path(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def lambda_function_names(resolved: ResolvedConfig) -> list[str]:
    """The keys of [tool.aloft.lambda.functions]; one function named after the project if none."""
    return list(resolved.config.lambda_.functions_of(resolved.project_name))
