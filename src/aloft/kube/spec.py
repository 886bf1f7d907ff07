"""One service's resolved inputs to rendering: everything a manifest kind needs, checked once.

Building a ServiceSpec is where bad config becomes a one-line ConfigError, before anything is
written or applied.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

from aloft.config import ResolvedConfig
from aloft.config.consumers import QueueConsumer, queue_consumers
from aloft.config.kubernetes import KubernetesSettings, Workload
from aloft.config.shutdown import Shutdown, shutdown
from aloft.exceptions import ConfigError
from aloft.kube import quantity
from aloft.kube.cron import OffHours, Scheduled, off_hours, scheduled_functions
from aloft.kube.manifest import INVENTORY_LABEL, MANAGED_BY
from aloft.kube.versions import KubeVersion
from aloft.runtime.options import ServeOptions
from aloft.runtime.sizing import WorkerMemory, worker_count

_DIGEST_REF = re.compile(r"^[^\s@]+@sha256:[0-9a-f]{64}$")
TMP_SIZE = "64Mi"
# Probes and metrics listen here in the pods, apart from the port the Service exposes.
DEFAULT_ADMIN_PORT = 8081


@dataclasses.dataclass(frozen=True)
class ServiceSpec:
    name: str
    project: str
    namespace: str
    image: str
    version: KubeVersion
    serve: ServeOptions
    tracing_env: Mapping[str, str]  # OTEL_* of [tool.aloft.tracing], from the one env builder
    workload: Workload
    settings: KubernetesSettings
    tags: Mapping[str, str]
    peers: Mapping[str, str]  # other services of the project -> their in-cluster URL
    uid: int
    consumers: tuple[QueueConsumer, ...] = ()  # the main service's only (kinds/consumer.py)
    # The project's scheduled functions (CronJobs); on the main service only.
    schedules: tuple[Scheduled, ...] = ()
    # When the project's Deployments run (scaled to zero outside); on the main service only.
    off_hours: OffHours | None = None

    @property
    def selector(self) -> dict[str, str]:
        return {
            "app.kubernetes.io/name": self.name,
            "app.kubernetes.io/instance": self.name,
            "app.kubernetes.io/component": "server",
        }

    @property
    def labels(self) -> dict[str, str]:
        labels = {
            **self.selector,
            "app.kubernetes.io/part-of": self.project,
            "app.kubernetes.io/managed-by": MANAGED_BY,
            INVENTORY_LABEL: self.project,
        }
        labels.update(self.tags)
        return labels

    def meta(self, name: str, *, namespaced: bool = True) -> dict[str, object]:
        meta: dict[str, object] = {"name": name}
        if namespaced:
            meta["namespace"] = self.namespace
        meta["labels"] = dict(self.labels)
        return meta

    @property
    def port(self) -> int:
        return self.serve.port

    @property
    def admin_port(self) -> int:
        """The probes' and metrics' port; 0 when they share the app port."""
        return self.serve.admin_port

    @property
    def probe_port_name(self) -> str:
        return "admin" if self.admin_port else "http"

    @property
    def shutdown(self) -> Shutdown:
        return shutdown(
            self.workload.termination_grace or None,
            drain_delay=self.serve.drain_delay,
            drain_timeout=self.serve.drain_timeout,
        )

    @property
    def grace(self) -> int:
        """terminationGracePeriodSeconds: whole seconds (configured ones are ints already)."""
        return math.ceil(self.shutdown.grace)

    @property
    def autoscaled(self) -> bool:
        return self.workload.autoscaling.enabled

    @property
    def config_env(self) -> dict[str, str]:
        """What the ConfigMap holds: the runtime's ALOFT_* options, peers' URLs, the user's env."""
        env = {k: v for k, v in self.serve.to_env().items() if k != "ALOFT_RELOAD"}
        env.update(self.tracing_env)
        for peer, url in sorted(self.peers.items()):
            env[f"{peer.upper().replace('-', '_')}_URL"] = url
        env.update(self.workload.env)
        return env

    @property
    def external_secret_name(self) -> str:
        return f"{self.name}-external"

    @property
    def config_map_name(self) -> str:
        return f"{self.name}-env-{content_hash(self.config_env)}"

    @property
    def files_map_name(self) -> str:
        return f"{self.name}-files-{content_hash(self.workload.files)}"


def content_hash(data: Mapping[str, str]) -> str:
    blob = json.dumps(dict(data), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:10]


def check_image(image: str) -> str:
    if not _DIGEST_REF.match(image):
        raise ConfigError(
            f"--image {image}: deploy images by digest (REPO@sha256:...); "
            "take it from `aloft build --push --output json`"
        )
    return image


def service_specs(resolved: ResolvedConfig, image: str, version: KubeVersion) -> list[ServiceSpec]:
    """The main service first, then [tool.aloft.kubernetes.services.*] in name order."""
    config = resolved.config
    settings = config.kubernetes
    label = _label(resolved)
    check_image(image)
    main = config.serve.service or resolved.project_name
    names = _dns_name(main, label)
    workloads: dict[str, Workload] = {names: settings}
    for extra, workload in sorted(settings.services.items()):
        if extra in workloads:
            raise ConfigError(
                f"{label} [tool.aloft.kubernetes.services.{extra}]: the main service already has"
                " that name; rename it"
            )
        workloads[extra] = workload
    # Through each Service's port 80, whatever port the pods listen on.
    urls = {name: f"http://{name}.{settings.namespace}.svc" for name in workloads}
    uid = settings.uid or config.image.user
    consumers = _consumers(resolved, label)
    specs = []
    schedules = scheduled_functions(resolved, version, label)
    hours = off_hours(settings, version, label)
    for name, workload in workloads.items():
        table = "kubernetes" if workload is settings else f"kubernetes.services.{name}"
        serve = _serve_for(config.serve, workload, name, label, table)
        _check_probes(serve, workload, label, table)
        specs.append(
            ServiceSpec(
                name=name,
                project=_dns_name(resolved.project_name, label),
                namespace=settings.namespace,
                image=image,
                version=version,
                serve=serve,
                tracing_env=config.tracing.to_env(),
                workload=workload,
                settings=settings,
                tags=config.tags.as_dict(),
                peers={peer: url for peer, url in urls.items() if peer != name},
                uid=uid,
                consumers=consumers if workload is settings else (),
                schedules=schedules if workload is settings else (),
                off_hours=hours if workload is settings else None,
            )
        )
        budget = specs[-1].shutdown
        if budget.overruns:
            raise ConfigError(
                f"{label} [tool.aloft.{table}] termination_grace = {workload.termination_grace}:"
                f" shorter than drain_delay + drain_timeout ({budget.needed:g}s), so pods are"
                f" killed mid-drain; use at least {budget.least_grace} or leave it unset"
            )
    return specs


def _consumers(resolved: ResolvedConfig, label: str) -> tuple[QueueConsumer, ...]:
    config = resolved.config
    try:
        return tuple(
            queue_consumers(resolved.project_name, config.lambda_, config.kubernetes.consumers)
        )
    except KeyError as exc:
        raise ConfigError(
            f"{label} [tool.aloft.kubernetes.consumers.{exc.args[0]}]: no function of that name"
            " in [tool.aloft.lambda.functions] has an sqs event; name one that does"
        ) from None


def _serve_for(
    base: ServeOptions, workload: Workload, name: str, label: str, table: str
) -> ServeOptions:
    changes: dict[str, object] = {"service": name}
    if workload.app:
        changes["app"] = workload.app
    if workload.port:
        changes["port"] = workload.port
    port = workload.port or base.port
    if not port:
        raise ConfigError(
            f"{label} [tool.aloft] port = 0: a container needs a fixed port; set port = 8000"
            f" (or [tool.aloft.{table}] port)"
        )
    changes["workers"] = pod_workers(workload.workers or base.workers, workload, label, table)
    admin = workload.admin_port
    if admin is None:
        admin = base.admin_port or DEFAULT_ADMIN_PORT
    if admin and admin == port:
        raise ConfigError(
            f"{label} [tool.aloft.{table}] admin_port = {admin}: the app already listens there;"
            f" probes and metrics need a port of their own: use e.g. {port + 1}, or 0 to serve"
            " them on the app port"
        )
    changes["admin_port"] = admin
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def pod_worker_count(resolved: ResolvedConfig) -> int:
    """The worker count the main Deployment runs: what `aloft cost` sizes a pod's memory for."""
    settings = resolved.config.kubernetes
    workers = settings.workers or resolved.config.serve.workers
    return pod_workers(workers, settings, _label(resolved), "kubernetes")


def pod_workers(workers: int, workload: Workload, label: str, table: str) -> int:
    """The worker count the manifests state: the configured one if the memory limit holds it,
    else what both the CPU (the limit, or the request) and the memory limit allow. Never 0,
    which would let the runtime size itself from the node it lands on."""
    memory = int(quantity.parse(workload.memory) or 0)
    budget = WorkerMemory(per_worker=int(quantity.parse(workload.worker_memory) or 0))
    where = f"{label} [tool.aloft.{table}]"
    fit = budget.fitting(memory)
    if fit < 1:
        raise ConfigError(
            f'{where} memory = "{workload.memory}": too small for the server master'
            f" ({quantity.mebibytes(budget.master)}) and one worker of worker_memory ="
            f' "{workload.worker_memory}"; use memory = "{quantity.mebibytes(budget.needed(1))}"'
            " or more"
        )
    if workers:
        if workers > fit:
            raise ConfigError(
                f'{where} memory = "{workload.memory}": {workers} workers need about'
                f" {quantity.mebibytes(budget.needed(workers))} (master"
                f" {quantity.mebibytes(budget.master)} + {workers} x {workload.worker_memory});"
                f' use memory = "{quantity.mebibytes(budget.needed(workers))}", or workers = {fit}'
            )
        return workers
    cpus = quantity.parse(workload.cpu_limit or workload.cpu) or 1.0
    return worker_count(cpus, memory, budget)


def _check_probes(serve: ServeOptions, workload: Workload, label: str, table: str) -> None:
    for field, path, served, option in (
        ("liveness_path", workload.liveness_path, serve.health_path, "health_path"),
        ("readiness_path", workload.readiness_path, serve.ready_path, "ready_path"),
    ):
        if path and path != served:
            raise ConfigError(
                f'{label} [tool.aloft.{table}] {field} = "{path}": the app does not serve it'
                f' (aloft serves {option} = "{served}"); drop {field} or set {option}'
            )
    if serve.health_path == serve.ready_path:
        raise ConfigError(
            f'{label} [tool.aloft] health_path = ready_path = "{serve.health_path}": liveness and'
            " readiness must differ, or a dependency outage restarts every pod; use /healthz and"
            " /readyz"
        )


def _dns_name(name: str, label: str) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].strip("-")
    if not cleaned or not cleaned[0].isalpha():
        raise ConfigError(
            f"{label}: service name {name!r} cannot be a Kubernetes name; set [tool.aloft] service"
            ' to a DNS label such as "shop"'
        )
    return cleaned


def _label(resolved: ResolvedConfig) -> str:
    try:
        return str(resolved.pyproject.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved.pyproject)
