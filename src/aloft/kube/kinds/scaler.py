"""Off-hours scale-down: what scales the project's Deployments to zero outside `active_hours`
and back inside them.

Two CronJobs, one at each edge of the window, run `python -m aloft.runtime.scale` in the
service's own image under a ServiceAccount whose Role may only get and patch the `scale` of
this project's Deployments, by name. The opening restores each Deployment's HPA minimum (or its
fixed replica count); an HPA stands aside while its target is at zero and resumes from the
minimum (aloft.runtime.scale says why this never fights it).
"""

from __future__ import annotations

from typing import Any

from aloft.config.kubernetes import Workload
from aloft.kube.cron import OffHours
from aloft.kube.kinds.consumer import consumer_name
from aloft.kube.kinds.pod import pod_spec, template_annotations
from aloft.kube.manifest import IGNORE_ANNOTATION, INVENTORY_LABEL, Manifest
from aloft.kube.spec import ServiceSpec

COMPONENT = "scaler"
PYTHON = "python3"


def scaler_name(svc: ServiceSpec) -> str:
    return f"{svc.project}-scaler"[:52].strip("-")


def targets(svc: ServiceSpec) -> dict[str, int]:
    """Every Deployment of the project and the replicas it runs with inside the window: the
    services and the queue consumers. A KEDA-scaled consumer is KEDA's to scale (it would undo
    a scale to zero at the next poll), so it is left out, as README says."""
    workloads: dict[str, Workload] = {svc.name: svc.settings, **svc.settings.services}
    out = {
        name: w.autoscaling.min_replicas if w.autoscaling.enabled else w.replicas
        for name, w in workloads.items()
    }
    for consumer in svc.consumers:
        scaling = consumer.scaling
        if scaling.scaling == "fixed":
            out[consumer_name(svc, consumer)] = scaling.replicas
        elif scaling.scaling == "hpa":
            out[consumer_name(svc, consumer)] = scaling.min_replicas
    return dict(sorted(out.items()))


def render(svc: ServiceSpec) -> list[Manifest]:
    hours = svc.off_hours
    if hours is None:
        return []
    name = scaler_name(svc)
    labels = {**svc.labels, "app.kubernetes.io/component": COMPONENT}
    meta = svc.meta(name)
    meta["labels"] = labels
    up = targets(svc)
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta,
            "automountServiceAccountToken": False,  # mounted into the scaler's pods alone
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta,
            "rules": [
                {
                    "apiGroups": ["apps"],
                    "resources": ["deployments/scale"],
                    "resourceNames": sorted(up),
                    "verbs": ["get", "patch"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": svc.namespace}],
        },
        _edge(svc, hours, "up", up),
        _edge(svc, hours, "down", dict.fromkeys(up, 0)),
    ]


def _edge(svc: ServiceSpec, hours: OffHours, edge: str, replicas: dict[str, int]) -> Manifest:
    schedule, zone = (
        (hours.hours.opens, hours.opens_zone)
        if edge == "up"
        else (hours.hours.closes, hours.closes_zone)
    )
    command = [PYTHON, "-m", "aloft.runtime.scale", *(f"{k}={v}" for k, v in replicas.items())]
    pod = pod_spec(svc, command=command)
    pod["serviceAccountName"] = scaler_name(svc)
    pod["automountServiceAccountToken"] = True  # the one pod that talks to the API
    pod["restartPolicy"] = "Never"
    (container,) = pod["containers"]
    # The app's config and secrets are not the scaler's business.
    container.pop("envFrom", None)
    container.pop("env", None)
    container["resources"] = {
        "requests": {"cpu": "10m", "memory": "32Mi"},
        "limits": {"memory": "64Mi"},
    }
    labels = {**svc.labels, "app.kubernetes.io/component": COMPONENT}
    meta = svc.meta(f"{scaler_name(svc)}-{edge}"[:52])
    meta["labels"] = labels
    meta["annotations"] = {
        "aloft/active-hours": hours.hours.text,
        IGNORE_ANNOTATION: "SEC002: the scaler calls the API server to scale this project",
    }
    job_labels = {k: v for k, v in labels.items() if k != INVENTORY_LABEL}
    template_meta: dict[str, Any] = {"labels": job_labels}
    if template_annotations(svc):
        template_meta["annotations"] = template_annotations(svc)
    spec: dict[str, Any] = {"schedule": schedule.cron}
    if zone:
        spec["timeZone"] = zone
    spec.update(
        {
            "concurrencyPolicy": "Replace",
            # A missed edge still matters hours later: the window is what it is.
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": job_labels},
                "spec": {
                    "backoffLimit": 5,
                    "activeDeadlineSeconds": 600,
                    "template": {"metadata": template_meta, "spec": pod},
                },
            },
        }
    )
    return {"apiVersion": svc.version.cronjob, "kind": "CronJob", "metadata": meta, "spec": spec}
