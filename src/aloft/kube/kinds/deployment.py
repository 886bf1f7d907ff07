"""Deployment: image by digest, a rolling update that never drops capacity, and a grace period
longer than the runtime's drain.

No preStop sleep: aloft's runtime itself keeps serving for `drain_delay` after SIGTERM (with
readiness failing) while endpoints are withdrawn, then drains for up to `drain_timeout`; a preStop
sleep would only add to that. So the pod gets grace > drain_delay + drain_timeout.
"""

from __future__ import annotations

from typing import Any

from aloft.kube.kinds.pod import pod_spec, template_annotations
from aloft.kube.manifest import WORKER_MEMORY_ANNOTATION, Manifest
from aloft.kube.spec import ServiceSpec

REVISIONS_KEPT = 5
PROGRESS_DEADLINE = 120


def topology_spread(svc: ServiceSpec) -> list[dict[str, Any]]:
    """Spread over nodes and zones; ScheduleAnyway so a one-node cluster still schedules."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": svc.selector},
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


def render(svc: ServiceSpec) -> list[Manifest]:
    spec: dict[str, Any] = {}
    if not svc.autoscaled:
        # Left out when an HPA owns the count, or every apply would reset what the HPA chose.
        spec["replicas"] = svc.workload.replicas
    template_meta: dict[str, Any] = {"labels": svc.labels}
    annotations = template_annotations(svc)
    if svc.settings.monitoring == "annotations":
        annotations.update(
            {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(svc.admin_port or svc.port),
                "prometheus.io/path": svc.serve.metrics_path,
            }
        )
    if annotations:
        template_meta["annotations"] = annotations
    pod = pod_spec(svc)
    pod["topologySpreadConstraints"] = topology_spread(svc)
    spec.update(
        {
            "revisionHistoryLimit": REVISIONS_KEPT,
            "progressDeadlineSeconds": PROGRESS_DEADLINE,
            "selector": {"matchLabels": svc.selector},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {"metadata": template_meta, "spec": pod},
        }
    )
    meta = svc.meta(svc.name)
    # The per-worker memory the worker count was sized with, for `aloft k8s check` (REL011).
    meta["annotations"] = {WORKER_MEMORY_ANNOTATION: svc.workload.worker_memory}
    return [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}]
