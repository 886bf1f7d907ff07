"""ALC002 grace-shorter-than-drain: a termination_grace in [tool.aloft.kubernetes] (or one of its
services) that does not cover the runtime's drain, so Kubernetes kills pods mid-drain.

`aloft k8s render` derives the grace period as drain_delay + drain_timeout + a margin when
termination_grace is 0 (the default), which always fits; only an explicit value can fall short.
The comparison is the renderer's and REL008's (`aloft k8s check`): aloft.config.shutdown.
"""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.doctor.config_file import ConfigFile
from aloft.checks.doctor.rules import SourceHit
from aloft.config.shutdown import shutdown

ID = "ALC002"


def check_config(project: ConfigFile) -> Iterator[SourceHit]:
    config = project.resolved.config
    serve = config.serve
    settings = config.kubernetes
    workloads = [("kubernetes", settings)] + [
        (f"kubernetes.services.{name}", workload)
        for name, workload in sorted(settings.services.items())
    ]
    for table, workload in workloads:
        grace = workload.termination_grace
        if not grace:
            continue
        budget = shutdown(grace, drain_delay=serve.drain_delay, drain_timeout=serve.drain_timeout)
        if not budget.overruns:
            continue
        key = f"{table}.termination_grace"
        yield project.hit(
            key,
            f"termination_grace = {grace} ({project.origin(key)}) but after SIGTERM the runtime"
            f" serves for drain_delay = {serve.drain_delay:g} ({project.origin('drain_delay')})"
            f" and drains for up to drain_timeout = {serve.drain_timeout:g}"
            f" ({project.origin('drain_timeout')}): {budget.needed:g}s in all, so pods are killed"
            f" mid-drain; use at least {budget.least_grace} or leave it unset",
        )
