"""AWS Fargate: per vCPU-hour and GB-hour for each running task, x86_64 or arm64.

With a per-task capacity (requests/s one task sustains, from the profile) the task count follows the
traffic hour by hour between min and max tasks, as target tracking would; without one it is fixed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from aloft.cost.catalog import Catalog
from aloft.cost.estimate import Estimate, Line, fmt_count, line
from aloft.cost.platforms.capacity import capacity_month, replicas_per_hour
from aloft.exceptions import ConfigError


@dataclasses.dataclass(frozen=True)
class FargateSpec:
    vcpu: float = 0.5
    memory_gb: float = 1.0
    arch: str = "x86_64"
    tasks: int | None = None  # fixed count; None: follow traffic with task_rps
    task_rps: float | None = None
    min_tasks: int = 1
    max_tasks: int = 100
    ephemeral_gb: float = 20.0
    load_balancer: bool = False
    request_kb: float = 1.0
    response_kb: float = 4.0

    platform = "fargate"
    kind = "container"

    @property
    def label(self) -> str:
        count = (
            f"{self.tasks} tasks"
            if self.tasks is not None
            else f"{self.min_tasks}-{self.max_tasks} tasks at {self.task_rps:g} req/s each"
        )
        return f"AWS Fargate {self.arch}, {self.vcpu:g} vCPU / {self.memory_gb:g} GB, {count}"

    def validate(self, catalog: Catalog) -> None:
        if self.arch not in ("x86_64", "arm64"):
            raise ConfigError(f"Fargate arch {self.arch!r}: use x86_64 or arm64")
        sizes = catalog.fact("fargate", "sizes")
        bounds = sizes.get(f"{self.vcpu:g}")
        if bounds is None:
            raise ConfigError(f"Fargate vCPU {self.vcpu:g}: use one of {', '.join(sizes)}")
        low, high = float(bounds[0]), float(bounds[1])
        whole = self.memory_gb == 0.5 or float(self.memory_gb).is_integer()
        if not (low <= self.memory_gb <= high and whole):
            raise ConfigError(
                f"Fargate memory {self.memory_gb:g} GB with {self.vcpu:g} vCPU: use {low:g} to"
                f" {high:g} GB in whole GB"
            )
        if self.tasks is not None and self.tasks < 0:
            raise ConfigError(f"Fargate tasks {self.tasks}: use 0 or more")
        if self.tasks is None:
            if self.task_rps is None or not self.task_rps > 0:
                raise ConfigError(
                    "Fargate: give a fixed task count or the requests/s one task serves"
                )
            if not 0 <= self.min_tasks <= self.max_tasks:
                raise ConfigError(
                    f"Fargate min_tasks {self.min_tasks} / max_tasks {self.max_tasks}:"
                    " need 0 <= min <= max"
                )
        free = float(catalog.fact("fargate", "free_ephemeral_gb"))
        if self.ephemeral_gb < free or self.ephemeral_gb > 200:
            raise ConfigError(
                f"Fargate ephemeral storage {self.ephemeral_gb:g} GB: use {free:g} to 200"
            )

    def tasks_per_hour(self, hourly: Sequence[float]) -> list[int]:
        if self.tasks is not None:
            return [self.tasks] * len(hourly)
        assert self.task_rps is not None
        return replicas_per_hour(hourly, self.task_rps, self.min_tasks, self.max_tasks)

    def month(self, hourly: Sequence[float], catalog: Catalog) -> Estimate:
        self.validate(catalog)
        counts = self.tasks_per_hour(hourly)
        hours = len(hourly)
        task_hours = float(sum(counts))
        vcpu_price = catalog.price(f"fargate.vcpu.{self.arch}")
        mem_price = catalog.price(f"fargate.memory.{self.arch}")
        if self.tasks is not None:
            basis = f"{self.tasks} tasks x {hours} h"
        else:
            basis = (
                f"{fmt_count(task_hours)} task-hours (tasks = ceil(req/s / {self.task_rps:g})"
                f" per hour, {self.min_tasks}-{self.max_tasks})"
            )
        lines: list[Line] = [
            line(
                "vCPU",
                task_hours * self.vcpu,
                vcpu_price.unit,
                vcpu_price.usd,
                f"{basis} x {self.vcpu:g} vCPU",
                vcpu_price.key,
            ),
            line(
                "memory",
                task_hours * self.memory_gb,
                mem_price.unit,
                mem_price.usd,
                f"{basis} x {self.memory_gb:g} GB",
                mem_price.key,
            ),
        ]
        free = float(catalog.fact("fargate", "free_ephemeral_gb"))
        if self.ephemeral_gb > free:
            storage = catalog.price("fargate.ephemeral_storage")
            lines.append(
                line(
                    "ephemeral storage",
                    task_hours * (self.ephemeral_gb - free),
                    storage.unit,
                    storage.usd,
                    f"{basis} x {self.ephemeral_gb - free:g} GB above {free:g} GB",
                    storage.key,
                )
            )
        return capacity_month(
            self,
            hourly,
            catalog,
            lines,
            billed=counts,
            scaled=counts,
            per_replica_rps=self.task_rps if self.tasks is None else None,
            cap=f"max_tasks={self.max_tasks} tasks",
        )
