"""Ingress (networking.k8s.io/v1, served from 1.19) when the config names a host."""

from __future__ import annotations

from typing import Any

from aloft.kube.kinds.service import SERVICE_PORT
from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec


def render(svc: ServiceSpec) -> list[Manifest]:
    ing = svc.workload.ingress
    if ing is None:
        return []
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": ing.host,
                "http": {
                    "paths": [
                        {
                            "path": ing.path,
                            "pathType": "Prefix",
                            "backend": {
                                "service": {"name": svc.name, "port": {"number": SERVICE_PORT}}
                            },
                        }
                    ]
                },
            }
        ]
    }
    if ing.class_name:
        spec["ingressClassName"] = ing.class_name
    if ing.tls_secret:
        spec["tls"] = [{"hosts": [ing.host], "secretName": ing.tls_secret}]
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": svc.meta(svc.name),
            "spec": spec,
        }
    ]
