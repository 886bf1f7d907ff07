"""PodDisruptionBudget: a node drain may evict only one pod at a time (policy/v1 from 1.21)."""

from __future__ import annotations

from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec


def render(svc: ServiceSpec) -> list[Manifest]:
    replicas = svc.workload.autoscaling.min_replicas if svc.autoscaled else svc.workload.replicas
    if replicas < 2:
        return []  # one replica cannot keep capacity through a drain; the lint rule says so
    return [
        {
            "apiVersion": svc.version.pdb,
            "kind": "PodDisruptionBudget",
            "metadata": svc.meta(svc.name),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": svc.selector}},
        }
    ]
