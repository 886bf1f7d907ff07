"""Gateway API HTTPRoute (gateway.networking.k8s.io/v1) attached to an existing Gateway."""

from __future__ import annotations

from typing import Any

from aloft.kube.kinds.service import SERVICE_PORT
from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec

API_VERSION = "gateway.networking.k8s.io/v1"


def render(svc: ServiceSpec) -> list[Manifest]:
    route = svc.workload.http_route
    if route is None:
        return []
    parent: dict[str, Any] = {"name": route.gateway}
    if route.gateway_namespace:
        parent["namespace"] = route.gateway_namespace
    spec: dict[str, Any] = {"parentRefs": [parent]}
    if route.hostnames:
        spec["hostnames"] = list(route.hostnames)
    spec["rules"] = [
        {
            "matches": [{"path": {"type": "PathPrefix", "value": route.path}}],
            "backendRefs": [{"name": svc.name, "port": SERVICE_PORT}],
        }
    ]
    return [
        {
            "apiVersion": API_VERSION,
            "kind": "HTTPRoute",
            "metadata": svc.meta(svc.name),
            "spec": spec,
        }
    ]
