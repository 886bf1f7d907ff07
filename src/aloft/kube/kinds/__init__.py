"""One module per manifest kind, each with `render(svc: ServiceSpec) -> list[Manifest]`.

A module returns [] when the config does not ask for its kind. KINDS fixes the order objects are
written and applied in: what others reference comes first (ServiceAccount, ConfigMaps, Secrets
sources), the release Job before the Deployment it gates.
"""

from __future__ import annotations

from collections.abc import Callable

from aloft.kube.kinds import (
    configmap,
    consumer,
    consumer_hpa,
    cronjob,
    deployment,
    externalsecret,
    hpa,
    httproute,
    ingress,
    job,
    networkpolicy,
    pdb,
    scaledobject,
    scaler,
    service,
    serviceaccount,
    servicemonitor,
)
from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec

Renderer = Callable[[ServiceSpec], list[Manifest]]

KINDS: tuple[tuple[str, Renderer], ...] = (
    ("ServiceAccount", serviceaccount.render),
    ("ConfigMap", configmap.render),
    ("ExternalSecret", externalsecret.render),
    ("Job", job.render),
    ("Deployment", deployment.render),
    ("Deployment", consumer.render),
    ("CronJob", cronjob.render),
    ("OffHours", scaler.render),  # ServiceAccount, Role, RoleBinding, CronJobs
    ("Service", service.render),
    ("HorizontalPodAutoscaler", hpa.render),
    ("HorizontalPodAutoscaler", consumer_hpa.render),
    ("ScaledObject", scaledobject.render),
    ("PodDisruptionBudget", pdb.render),
    ("NetworkPolicy", networkpolicy.render),
    ("Ingress", ingress.render),
    ("HTTPRoute", httproute.render),
    ("ServiceMonitor", servicemonitor.render),
)
