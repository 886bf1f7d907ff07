"""Consumer Deployments: one per SQS-triggered function, running its Lambda handler through
`python -m aloft.runtime.consumer` in the service's own image, with the service's config.

Its grace period covers a long poll in flight plus one batch (`QueueConsumer.shutdown`), so a
drain never leaves a batch half-done; rolling updates add a pod that is polling before an old
one stops. Probes and /metrics are on the admin port (runtime/consumer/probes.py).
"""

from __future__ import annotations

import math
from typing import Any

from aloft.config.consumers import QueueConsumer
from aloft.kube.kinds.deployment import PROGRESS_DEADLINE, REVISIONS_KEPT
from aloft.kube.kinds.pod import override_env, pod_spec, template_annotations
from aloft.kube.manifest import Manifest
from aloft.kube.spec import DEFAULT_ADMIN_PORT, ServiceSpec

COMPONENT = "consumer"
COMMAND = ["python3", "-m", "aloft.runtime.consumer"]


def consumer_name(svc: ServiceSpec, consumer: QueueConsumer) -> str:
    return f"{svc.name}-{consumer.name}"[:63].rstrip("-")


def selector(svc: ServiceSpec, consumer: QueueConsumer) -> dict[str, str]:
    name = consumer_name(svc, consumer)
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": COMPONENT,
    }


def meta(svc: ServiceSpec, consumer: QueueConsumer) -> dict[str, Any]:
    out = svc.meta(consumer_name(svc, consumer))
    out["labels"] = {**svc.labels, **selector(svc, consumer)}
    return out


def admin_port(svc: ServiceSpec) -> int:
    """Where the consumer's probes listen: the service's admin port, else the runtime's default
    (a consumer has no app port to share)."""
    return svc.admin_port or DEFAULT_ADMIN_PORT


def _probes(svc: ServiceSpec) -> dict[str, Any]:
    health = {"path": svc.serve.health_path, "port": "admin"}
    return {
        "startupProbe": {
            "httpGet": health,
            "periodSeconds": 2,
            "failureThreshold": 30,
            "timeoutSeconds": 2,
        },
        "livenessProbe": {
            "httpGet": health,
            "periodSeconds": 10,
            "failureThreshold": 3,
            "timeoutSeconds": 2,
        },
        "readinessProbe": {
            "httpGet": {"path": svc.serve.ready_path, "port": "admin"},
            "periodSeconds": 2,
            "failureThreshold": 2,
            "timeoutSeconds": 2,
        },
    }


def deployment(svc: ServiceSpec, consumer: QueueConsumer) -> Manifest:
    pod = pod_spec(svc, command=[*COMMAND, *consumer.command_args])
    pod["terminationGracePeriodSeconds"] = math.ceil(consumer.shutdown.grace)
    container = pod["containers"][0]
    container["ports"] = [{"name": "admin", "containerPort": admin_port(svc), "protocol": "TCP"}]
    override_env(
        container,
        {
            "AWS_REGION": consumer.region,
            "AWS_DEFAULT_REGION": consumer.region,
            "ALOFT_ADMIN_PORT": str(admin_port(svc)),
            **consumer.environment,
        },
    )
    container.update(_probes(svc))
    labels = {**svc.labels, **selector(svc, consumer)}
    template_meta: dict[str, Any] = {"labels": labels}
    annotations = template_annotations(svc)
    if svc.settings.monitoring == "annotations":
        annotations.update(
            {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(admin_port(svc)),
                "prometheus.io/path": svc.serve.metrics_path,
            }
        )
    if annotations:
        template_meta["annotations"] = annotations
    spec: dict[str, Any] = {}
    if consumer.scaling.scaling == "fixed":
        # Left out when an HPA or KEDA owns the count, or every apply would reset it.
        spec["replicas"] = consumer.scaling.replicas
    spec.update(
        {
            "revisionHistoryLimit": REVISIONS_KEPT,
            "progressDeadlineSeconds": PROGRESS_DEADLINE,
            "selector": {"matchLabels": selector(svc, consumer)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {"metadata": template_meta, "spec": pod},
        }
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(svc, consumer),
        "spec": spec,
    }


def render(svc: ServiceSpec) -> list[Manifest]:
    return [deployment(svc, consumer) for consumer in svc.consumers]
