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

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aloft.config.consumers import ConsumerScaling
from aloft.config.schedule import active_hours, known_zone
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


class Autoscaling(BaseModel):
    """A HorizontalPodAutoscaler owns the replica count when enabled."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="false: a fixed replicas count instead")
    min_replicas: int = Field(default=2, description="at least 2, so one pod can be lost")
    max_replicas: int = Field(default=10, description="the most pods the HPA may run")
    target_cpu: int = Field(default=70, description="average CPU utilisation %, of the request")
    target_memory: int = Field(default=0, description="average memory utilisation %; 0 = off")

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min_replicas < 2:
            raise ValueError("min_replicas must be at least 2 for availability; use 2")
        if self.max_replicas < self.min_replicas:
            raise ValueError("max_replicas is below min_replicas; raise max_replicas")
        for name in ("target_cpu", "target_memory"):
            value = getattr(self, name)
            if not 0 <= value <= 100 or (name == "target_cpu" and value == 0):
                raise ValueError(f"{name} = {value}: use a percentage between 1 and 100")
        return self


class Ingress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(description="the host name routed to the service")
    path: str = Field(default="/", description="path prefix routed to the service")
    class_name: str = Field(default="", description="ingressClassName; empty: the default")
    tls_secret: str = Field(default="", description="Secret holding the TLS certificate")


class HTTPRoute(BaseModel):
    """A Gateway API route attached to an existing Gateway."""

    model_config = ConfigDict(extra="forbid")

    gateway: str = Field(description="name of the Gateway to attach to")
    gateway_namespace: str = Field(default="", description="its namespace; empty: the service's")
    hostnames: list[str] = Field(default_factory=list, description="host names matched")
    path: str = Field(default="/", description="path prefix routed to the service")


class ExternalSecret(BaseModel):
    """External Secrets Operator: sync keys of a secret manager (e.g. AWS Secrets Manager) into a
    Secret the Deployment reads."""

    model_config = ConfigDict(extra="forbid")

    store: str = Field(description="the SecretStore or ClusterSecretStore name")
    store_kind: Literal["SecretStore", "ClusterSecretStore"] = Field(
        default="ClusterSecretStore", description="the kind of store"
    )
    refresh_interval: str = Field(default="1h", description="how often values are synced")
    data: dict[str, str] = Field(
        default_factory=dict,
        description='env var -> remote key, "key" or "key#property" (a JSON property)',
    )

    @field_validator("data")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError('list the keys to sync, e.g. data = { DATABASE_URL = "prod/db#url" }')
        for name in value:
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
        return value


class AllowFrom(BaseModel):
    """One source the NetworkPolicy admits: pods and/or namespaces selected by labels."""

    model_config = ConfigDict(extra="forbid")

    pod_labels: dict[str, str] = Field(default_factory=dict, description="podSelector labels")
    namespace_labels: dict[str, str] = Field(
        default_factory=dict, description="namespaceSelector labels"
    )

    @model_validator(mode="after")
    def _something(self) -> AllowFrom:
        if not self.pod_labels and not self.namespace_labels:
            raise ValueError("give pod_labels or namespace_labels (an empty source admits all)")
        return self


class CronJobs(BaseModel):
    """How the CronJobs of scheduled functions run (one per function with a schedule event)."""

    model_config = ConfigDict(extra="forbid")

    concurrency_policy: Literal["Forbid", "Replace", "Allow"] = Field(
        default="Forbid", description="Forbid: a firing is skipped while the last one still runs"
    )
    starting_deadline: int = Field(
        default=120,
        ge=10,
        le=3600,
        description="seconds a missed firing may still start late; after that it is skipped",
    )
    active_deadline: int = Field(
        default=0,
        ge=0,
        description="seconds one run may take before it is stopped; 0 takes the function's"
        " Lambda timeout",
    )
    successful_history: int = Field(default=3, ge=0, le=20, description="finished Jobs kept")
    failed_history: int = Field(default=3, ge=0, le=20, description="failed Jobs kept")


class Workload(BaseModel):
    """Settings one service of the project can override."""

    model_config = ConfigDict(extra="forbid")

    app: str = Field(
        default="", description="'module:attr' of this service (default: [tool.aloft] app)"
    )
    port: int = Field(default=0, description="container port (default: [tool.aloft] port)")
    replicas: int = Field(default=2, description="used only when autoscaling is off")
    cpu: str = Field(default="250m", description="CPU request")
    cpu_limit: str = Field(
        default="",
        description="CPU limit; off by default because CFS throttling adds latency under bursts"
        " while a request already guarantees the share",
    )
    memory: str = Field(default="256Mi", description="memory request and limit")
    workers: int = Field(
        default=0,
        description="server workers per pod; 0 takes [tool.aloft] workers, and when that is 0"
        " too, what both the CPU and the memory limit allow",
    )
    worker_memory: str = Field(
        default="64Mi",
        description="memory one server worker needs once warm (measure it with `aloft profile`);"
        " with workers = 0 the worker count is what the CPU and the memory limit both allow",
    )
    env: dict[str, str] = Field(default_factory=dict, description="plain config, into a ConfigMap")
    secret_env: dict[str, str] = Field(
        default_factory=dict, description='env var -> "secret-name:key"'
    )
    secret_env_from: list[str] = Field(
        default_factory=list, description="Secrets whose every key becomes an env var"
    )
    files: dict[str, str] = Field(
        default_factory=dict, description="file name -> content, mounted read-only at config_dir"
    )
    config_dir: str = Field(default="/etc/aloft", description="where files are mounted")
    release: list[str] = Field(
        default_factory=list, description="command run once per release as a Job, before rollout"
    )
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    liveness_path: str = Field(default="", description="must equal [tool.aloft] health_path")
    readiness_path: str = Field(default="", description="must equal [tool.aloft] ready_path")
    termination_grace: int = Field(
        default=0, description="seconds; 0 derives it from drain_delay + drain_timeout"
    )
    ingress: Ingress | None = None
    http_route: HTTPRoute | None = None
    external_secret: ExternalSecret | None = None
    allow_from: list[AllowFrom] | None = Field(
        default=None,
        description="who may connect; unset admits any pod of the namespace, [] admits nobody",
    )
    allow_from_namespaces: list[str] = Field(
        default_factory=list,
        description='namespaces whose pods may reach the app port, e.g. ["ingress-nginx"] for'
        " an ingress controller (selected by their kubernetes.io/metadata.name label, 1.21+)",
    )
    admin_port: int | None = Field(
        default=None,
        description="port of the probes and metrics in the pods, never exposed by the Service or"
        " the Ingress; unset: [tool.aloft] admin_port, else 8081; 0: on the app port",
    )
    metrics_from_namespaces: list[str] = Field(
        default_factory=list,
        description='namespaces whose pods may reach the admin port, e.g. ["monitoring"] for'
        " Prometheus (the kubelet's probes need no entry)",
    )

    @field_validator("allow_from_namespaces", "metrics_from_namespaces")
    @classmethod
    def _namespaces(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _DNS_LABEL.match(name):
                raise ValueError(f"{name!r} is not a namespace name (a DNS label)")
        return value

    @field_validator("admin_port")
    @classmethod
    def _admin_port(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 65535:
            raise ValueError("not a TCP port; use a number such as 8081, or 0 for none")
        return value

    @field_validator("cpu", "cpu_limit")
    @classmethod
    def _cpu(cls, value: str) -> str:
        return quantity(value, '"2" or "500m"') if value else value

    @field_validator("memory", "worker_memory")
    @classmethod
    def _memory(cls, value: str) -> str:
        return quantity(value, '"512Mi" or "1Gi"')

    @field_validator("workers")
    @classmethod
    def _workers(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 (from CPU and memory) or more")
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("not a TCP port; use a number between 1 and 65535, such as 8000")
        return value

    @field_validator("env")
    @classmethod
    def _plain_env(cls, value: dict[str, str]) -> dict[str, str]:
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

    @field_validator("files")
    @classmethod
    def _plain_files(cls, value: dict[str, str]) -> dict[str, str]:
        for name, content in value.items():
            shape = secret_in_value(content) if isinstance(content, str) else None
            if shape:
                raise ValueError(
                    f"files {name!r} holds {shape}: a secret in plain config (a ConfigMap); mount"
                    " it from a Secret instead"
                )
        return value

    @field_validator("secret_env")
    @classmethod
    def _secret_refs(cls, value: dict[str, str]) -> dict[str, str]:
        for name, ref in value.items():
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
            if not _SECRET_REF.match(ref):
                raise ValueError(
                    f'secret_env {name} = "{ref}": use "secret-name:key" (a reference, not a value)'
                )
        return value

    @field_validator("release")
    @classmethod
    def _release(cls, value: list[str]) -> list[str]:
        if value and not all(part.strip() for part in value):
            raise ValueError('use a command list such as ["python", "manage.py", "migrate"]')
        return value


class KubernetesSettings(Workload):
    """The main service's settings plus what the whole project shares."""

    namespace: str = Field(default="default", description="namespace of every object")
    kube_version: str = Field(
        default="", description="target cluster version, e.g. 1.20; empty: ask the cluster"
    )
    monitoring: Literal["annotations", "servicemonitor", "none"] = Field(
        default="annotations",
        description="how Prometheus finds /metrics: pod annotations or a ServiceMonitor",
    )
    uid: int = Field(default=0, description="runAsUser; 0 takes [tool.aloft.image] user")
    services: dict[str, Workload] = Field(
        default_factory=dict, description="further services of the project, by name"
    )
    consumers: dict[str, ConsumerScaling] = Field(
        default_factory=dict,
        description="queue consumers' pods, by the name of their SQS-triggered function in"
        " [tool.aloft.lambda.functions] (config/consumers.py); every such function gets one",
    )
    cron_jobs: CronJobs = Field(default_factory=CronJobs)
    controller_time_zone: str = Field(
        default="",
        description="clusters before 1.25 only, whose CronJobs cannot carry a time zone: the"
        ' zone kube-controller-manager runs in (e.g. "Etc/UTC"), so a schedule meant in that'
        " zone may be rendered; empty: such schedules are refused on those clusters",
    )
    active_hours: str = Field(
        default="",
        description='when the service runs, e.g. "Mon-Fri 08:00-20:00 Europe/Berlin"; outside'
        " them its Deployments are scaled to zero; empty: always",
    )

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not _DNS_LABEL.match(value):
            raise ValueError("use a DNS label: lower-case letters, digits and '-'")
        return value

    @field_validator("kube_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value and not _KUBE_VERSION.match(value):
            raise ValueError('use a Kubernetes version such as "1.20" or "1.31"')
        return value

    @field_validator("services")
    @classmethod
    def _service_names(cls, value: dict[str, Workload]) -> dict[str, Workload]:
        for name in value:
            if not _DNS_LABEL.match(name):
                raise ValueError(f"service name {name!r}: use a DNS label such as 'worker'")
        return value

    @field_validator("active_hours")
    @classmethod
    def _active_hours(cls, value: str) -> str:
        if value:
            active_hours(value)  # a ScheduleError is a ValueError: one line with the fix
        return value

    @field_validator("controller_time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value and not known_zone(value):
            raise ValueError(f"{value!r} is not a time zone name; use an IANA name such as Etc/UTC")
        return value

    @field_validator("uid")
    @classmethod
    def _uid(cls, value: int) -> int:
        if value < 0:
            raise ValueError("use a non-zero UID such as 65532")
        return value


def valid_dns_subdomain(name: str) -> bool:
    return bool(_DNS_SUBDOMAIN.match(name))
