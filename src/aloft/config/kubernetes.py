"""`[tool.aloft.kubernetes]`: how `aloft k8s render|deploy` turns the service into manifests.

[tool.aloft.kubernetes]
namespace = "shop"
cpu = "250m"                 # request; the limit is left off unless cpu_limit is set
memory = "256Mi"             # request = limit (memory is not compressible)
worker_memory = "64Mi"       # per server worker: workers = what cpu and memory both allow
admin_port = 8081            # probes and metrics only; the Service exposes the app port alone
allow_from_namespaces = ["ingress-nginx"]     # NetworkPolicy: who may reach the app port
metrics_from_namespaces = ["monitoring"]      # ... and the admin port (Prometheus)
env = { FEATURE_X = "on" }   # plain config -> a ConfigMap whose name carries its hash
secret_env = { DATABASE_URL = "db-credentials:url" }   # Secret references, never values
release = ["python", "manage.py", "migrate"]           # a Job that must succeed first
[tool.aloft.kubernetes.autoscaling]
min_replicas = 2
max_replicas = 10
[tool.aloft.kubernetes.services.worker]                # more services of the same project
app = "shop.worker:app"
"""

from __future__ import annotations

import re
from typing import Literal

from aloft.config.consumers import ConsumerScaling
from aloft.config.schedule import active_hours, known_zone
from aloft.config.schema import setting, table
from aloft.runtime.secretshape import secret_in_value, secret_setting

# A Kubernetes resource quantity (k8s.io/apimachinery/pkg/api/resource), e.g. 250m, 1.5, 512Mi, 1e3.
_QUANTITY = re.compile(r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|[mkMGTPE]|[KMGTPE]i)?$")
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_REF = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?):([-._a-zA-Z0-9]+)$")
_KUBE_VERSION = re.compile(r"^v?1\.(\d+)(\.\d+)?$")


def quantity(value: str, example: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError(f"not a Kubernetes quantity; use a value such as {example}")
    return value


# Checks of single settings (schema.setting(check=...)): each returns the value or raises
# ValueError with the reason and the fix.


def _data_names(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError('list the keys to sync, e.g. data = { DATABASE_URL = "prod/db#url" }')
    for name in value:
        if not _ENV_NAME.match(name):
            raise ValueError(f"{name!r} is not an environment variable name")
    return value


def _namespaces(value: list[str]) -> list[str]:
    for name in value:
        if not _DNS_LABEL.match(name):
            raise ValueError(f"{name!r} is not a namespace name (a DNS label)")
    return value


def _admin_port(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 65535:
        raise ValueError("not a TCP port; use a number such as 8081, or 0 for none")
    return value


def _cpu(value: str) -> str:
    return quantity(value, '"2" or "500m"') if value else value


def _memory(value: str) -> str:
    return quantity(value, '"512Mi" or "1Gi"')


def _workers(value: int) -> int:
    if value < 0:
        raise ValueError("must be 0 (from CPU and memory) or more")
    return value


def _port(value: int) -> int:
    if not 0 <= value <= 65535:
        raise ValueError("not a TCP port; use a number between 1 and 65535, such as 8000")
    return value


def _plain_env(value: dict[str, str]) -> dict[str, str]:
    for name, item in value.items():
        if not _ENV_NAME.match(name):
            raise ValueError(f"{name!r} is not an environment variable name")
        if not isinstance(item, str):
            raise ValueError(f"env {name}: quote the value (env values are strings)")
        why = secret_setting(name, item)
        if why:
            raise ValueError(
                f"env {name} looks like a secret value in plain config ({why}); store it in"
                f' a Secret and reference it: secret_env = {{ {name} = "SECRET-NAME:KEY" }}'
            )
    return value


def _plain_files(value: dict[str, str]) -> dict[str, str]:
    for name, content in value.items():
        shape = secret_in_value(content) if isinstance(content, str) else None
        if shape:
            raise ValueError(
                f"files {name!r} holds {shape}: a secret in plain config (a ConfigMap); mount"
                " it from a Secret instead"
            )
    return value


def _secret_refs(value: dict[str, str]) -> dict[str, str]:
    for name, ref in value.items():
        if not _ENV_NAME.match(name):
            raise ValueError(f"{name!r} is not an environment variable name")
        if not _SECRET_REF.match(ref):
            raise ValueError(
                f'secret_env {name} = "{ref}": use "secret-name:key" (a reference, not a value)'
            )
    return value


def _release(value: list[str]) -> list[str]:
    if value and not all(part.strip() for part in value):
        raise ValueError('use a command list such as ["python", "manage.py", "migrate"]')
    return value


def _namespace(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError("use a DNS label: lower-case letters, digits and '-'")
    return value


def _version(value: str) -> str:
    if value and not _KUBE_VERSION.match(value):
        raise ValueError('use a Kubernetes version such as "1.20" or "1.31"')
    return value


def _service_names(value: dict[str, Workload]) -> dict[str, Workload]:
    for name in value:
        if not _DNS_LABEL.match(name):
            raise ValueError(f"service name {name!r}: use a DNS label such as 'worker'")
    return value


def _active_hours(value: str) -> str:
    if value:
        active_hours(value)  # a ScheduleError is a ValueError: one line with the fix
    return value


def _zone(value: str) -> str:
    if value and not known_zone(value):
        raise ValueError(f"{value!r} is not a time zone name; use an IANA name such as Etc/UTC")
    return value


def _uid(value: int) -> int:
    if value < 0:
        raise ValueError("use a non-zero UID such as 65532")
    return value


@table
class Autoscaling:
    """A HorizontalPodAutoscaler owns the replica count when enabled."""

    enabled: bool = setting(default=True, doc="false: a fixed replicas count instead")
    min_replicas: int = setting(default=2, doc="at least 2, so one pod can be lost")
    max_replicas: int = setting(default=10, doc="the most pods the HPA may run")
    target_cpu: int = setting(default=70, doc="average CPU utilisation %, of the request")
    target_memory: int = setting(default=0, doc="average memory utilisation %; 0 = off")

    def _check(self) -> None:
        if self.min_replicas < 2:
            raise ValueError("min_replicas must be at least 2 for availability; use 2")
        if self.max_replicas < self.min_replicas:
            raise ValueError("max_replicas is below min_replicas; raise max_replicas")
        for name in ("target_cpu", "target_memory"):
            value = getattr(self, name)
            if not 0 <= value <= 100 or (name == "target_cpu" and value == 0):
                raise ValueError(f"{name} = {value}: use a percentage between 1 and 100")


@table
class Ingress:
    host: str = setting(doc="the host name routed to the service")
    path: str = setting(default="/", doc="path prefix routed to the service")
    class_name: str = setting(default="", doc="ingressClassName; empty: the default")
    tls_secret: str = setting(default="", doc="Secret holding the TLS certificate")


@table
class HTTPRoute:
    """A Gateway API route attached to an existing Gateway."""

    gateway: str = setting(doc="name of the Gateway to attach to")
    gateway_namespace: str = setting(default="", doc="its namespace; empty: the service's")
    hostnames: list[str] = setting(default_factory=list, doc="host names matched")
    path: str = setting(default="/", doc="path prefix routed to the service")


@table
class ExternalSecret:
    """External Secrets Operator: sync keys of a secret manager (e.g. AWS Secrets Manager) into a
    Secret the Deployment reads."""

    store: str = setting(doc="the SecretStore or ClusterSecretStore name")
    store_kind: Literal["SecretStore", "ClusterSecretStore"] = setting(
        default="ClusterSecretStore", doc="the kind of store"
    )
    refresh_interval: str = setting(default="1h", doc="how often values are synced")
    data: dict[str, str] = setting(
        default_factory=dict,
        doc='env var -> remote key, "key" or "key#property" (a JSON property)',
        check=_data_names,
    )


@table
class AllowFrom:
    """One source the NetworkPolicy admits: pods and/or namespaces selected by labels."""

    pod_labels: dict[str, str] = setting(default_factory=dict, doc="podSelector labels")
    namespace_labels: dict[str, str] = setting(default_factory=dict, doc="namespaceSelector labels")

    def _check(self) -> None:
        if not self.pod_labels and not self.namespace_labels:
            raise ValueError("give pod_labels or namespace_labels (an empty source admits all)")


@table
class CronJobs:
    """How the CronJobs of scheduled functions run (one per function with a schedule event)."""

    concurrency_policy: Literal["Forbid", "Replace", "Allow"] = setting(
        default="Forbid", doc="Forbid: a firing is skipped while the last one still runs"
    )
    starting_deadline: int = setting(
        default=120,
        ge=10,
        le=3600,
        doc="seconds a missed firing may still start late; after that it is skipped",
    )
    active_deadline: int = setting(
        default=0,
        ge=0,
        doc="seconds one run may take before it is stopped; 0 takes the function's Lambda timeout",
    )
    successful_history: int = setting(default=3, ge=0, le=20, doc="finished Jobs kept")
    failed_history: int = setting(default=3, ge=0, le=20, doc="failed Jobs kept")


@table
class Workload:
    """Settings one service of the project can override."""

    app: str = setting(default="", doc="'module:attr' of this service (default: [tool.aloft] app)")
    port: int = setting(default=0, doc="container port (default: [tool.aloft] port)", check=_port)
    replicas: int = setting(default=2, doc="used only when autoscaling is off")
    cpu: str = setting(default="250m", doc="CPU request", check=_cpu)
    cpu_limit: str = setting(
        default="",
        doc="CPU limit; off by default because CFS throttling adds latency under bursts"
        " while a request already guarantees the share",
        check=_cpu,
    )
    memory: str = setting(default="256Mi", doc="memory request and limit", check=_memory)
    workers: int = setting(
        default=0,
        doc="server workers per pod; 0 takes [tool.aloft] workers, and when that is 0"
        " too, what both the CPU and the memory limit allow",
        check=_workers,
    )
    worker_memory: str = setting(
        default="64Mi",
        doc="memory one server worker needs once warm (measure it with `aloft profile`);"
        " with workers = 0 the worker count is what the CPU and the memory limit both allow",
        check=_memory,
    )
    env: dict[str, str] = setting(
        default_factory=dict, doc="plain config, into a ConfigMap", check=_plain_env
    )
    secret_env: dict[str, str] = setting(
        default_factory=dict,
        doc='env var -> "secret-name:key"',
        check=_secret_refs,
    )
    secret_env_from: list[str] = setting(
        default_factory=list, doc="Secrets whose every key becomes an env var"
    )
    files: dict[str, str] = setting(
        default_factory=dict,
        doc="file name -> content, mounted read-only at config_dir",
        check=_plain_files,
    )
    config_dir: str = setting(default="/etc/aloft", doc="where files are mounted")
    release: list[str] = setting(
        default_factory=list,
        doc="command run once per release as a Job, before rollout",
        check=_release,
    )
    autoscaling: Autoscaling = setting(default_factory=Autoscaling)
    liveness_path: str = setting(default="", doc="must equal [tool.aloft] health_path")
    readiness_path: str = setting(default="", doc="must equal [tool.aloft] ready_path")
    termination_grace: int = setting(
        default=0, doc="seconds; 0 derives it from drain_delay + drain_timeout"
    )
    ingress: Ingress | None = None
    http_route: HTTPRoute | None = None
    external_secret: ExternalSecret | None = None
    allow_from: list[AllowFrom] | None = setting(
        default=None,
        doc="who may connect; unset admits any pod of the namespace, [] admits nobody",
    )
    allow_from_namespaces: list[str] = setting(
        default_factory=list,
        doc='namespaces whose pods may reach the app port, e.g. ["ingress-nginx"] for'
        " an ingress controller (selected by their kubernetes.io/metadata.name label, 1.21+)",
        check=_namespaces,
    )
    admin_port: int | None = setting(
        default=None,
        doc="port of the probes and metrics in the pods, never exposed by the Service or"
        " the Ingress; unset: [tool.aloft] admin_port, else 8081; 0: on the app port",
        check=_admin_port,
    )
    metrics_from_namespaces: list[str] = setting(
        default_factory=list,
        doc='namespaces whose pods may reach the admin port, e.g. ["monitoring"] for'
        " Prometheus (the kubelet's probes need no entry)",
        check=_namespaces,
    )


@table
class KubernetesSettings(Workload):
    """The main service's settings plus what the whole project shares."""

    namespace: str = setting(default="default", doc="namespace of every object", check=_namespace)
    kube_version: str = setting(
        default="",
        doc="target cluster version, e.g. 1.20; empty: ask the cluster",
        check=_version,
    )
    monitoring: Literal["annotations", "servicemonitor", "none"] = setting(
        default="annotations",
        doc="how Prometheus finds /metrics: pod annotations or a ServiceMonitor",
    )
    uid: int = setting(default=0, doc="runAsUser; 0 takes [tool.aloft.image] user", check=_uid)
    services: dict[str, Workload] = setting(
        default_factory=dict,
        doc="further services of the project, by name",
        check=_service_names,
    )
    consumers: dict[str, ConsumerScaling] = setting(
        default_factory=dict,
        doc="queue consumers' pods, by the name of their SQS-triggered function in"
        " [tool.aloft.lambda.functions] (config/consumers.py); every such function gets one",
    )
    cron_jobs: CronJobs = setting(default_factory=CronJobs)
    controller_time_zone: str = setting(
        default="",
        doc="clusters before 1.25 only, whose CronJobs cannot carry a time zone: the"
        ' zone kube-controller-manager runs in (e.g. "Etc/UTC"), so a schedule meant in that'
        " zone may be rendered; empty: such schedules are refused on those clusters",
        check=_zone,
    )
    active_hours: str = setting(
        default="",
        doc='when the service runs, e.g. "Mon-Fri 08:00-20:00 Europe/Berlin"; outside'
        " them its Deployments are scaled to zero; empty: always",
        check=_active_hours,
    )


def valid_dns_subdomain(name: str) -> bool:
    return bool(_DNS_SUBDOMAIN.match(name))
