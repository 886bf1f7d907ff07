"""Service: a stable name (`<service>.<namespace>.svc`) that the project's other services use.

It exposes only the app port. With a ServiceMonitor and an admin port, a second ClusterIP Service
(`<service>-admin`, labelled for the ServiceMonitor alone) exposes the admin port to Prometheus:
the Prometheus Operator scrapes Service endpoints, and the public Service must not carry it.
"""

from __future__ import annotations

from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec

SERVICE_PORT = 80
# Marks the admin Service, so the ServiceMonitor selects it and never the public one.
ENDPOINT_LABEL = "aloft/endpoint"


def render(svc: ServiceSpec) -> list[Manifest]:
    out: list[Manifest] = [
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
    if svc.admin_port and svc.settings.monitoring == "servicemonitor":
        meta = svc.meta(admin_service_name(svc))
        meta["labels"] = {**svc.labels, ENDPOINT_LABEL: "admin"}
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": meta,
                "spec": {
                    "type": "ClusterIP",
                    "selector": svc.selector,
                    "ports": [
                        {
                            "name": "admin",
                            "port": svc.admin_port,
                            "targetPort": "admin",
                            "protocol": "TCP",
                        }
                    ],
                },
            }
        )
    return out


def admin_service_name(svc: ServiceSpec) -> str:
    return f"{svc.name[:57]}-admin"
