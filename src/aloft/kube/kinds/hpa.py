"""HorizontalPodAutoscaler on CPU (and optionally memory) utilisation of the requests;
autoscaling/v2 where served (1.23+), else v2beta2, which has the same shape."""

from __future__ import annotations

from typing import Any

from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec


def _metric(resource: str, percent: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {
            "name": resource,
            "target": {"type": "Utilization", "averageUtilization": percent},
        },
    }


def render(svc: ServiceSpec) -> list[Manifest]:
    scaling = svc.workload.autoscaling
    if not scaling.enabled:
        return []
    metrics = [_metric("cpu", scaling.target_cpu)]
    if scaling.target_memory:
        metrics.append(_metric("memory", scaling.target_memory))
    return [
        {
            "apiVersion": svc.version.autoscaling,
            "kind": "HorizontalPodAutoscaler",
            "metadata": svc.meta(svc.name),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": svc.name},
                "minReplicas": scaling.min_replicas,
                "maxReplicas": scaling.max_replicas,
                "metrics": metrics,
            },
        }
    ]
