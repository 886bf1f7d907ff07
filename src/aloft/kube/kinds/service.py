"""Service: a stable name (`<service>.<namespace>.svc`) that the project's other services use."""

from __future__ import annotations

from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec

SERVICE_PORT = 80


def render(svc: ServiceSpec) -> list[Manifest]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": svc.meta(svc.name),
            "spec": {
                "type": "ClusterIP",
                "selector": svc.selector,
                "ports": [
                    {"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}
                ],
            },
        }
    ]
