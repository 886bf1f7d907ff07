"""NetworkPolicy: only the sources the config names may connect, only on the app's port; without
`allow_from`, any pod of the same namespace may (the usual in-namespace default)."""

from __future__ import annotations

from typing import Any

from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec


def render(svc: ServiceSpec) -> list[Manifest]:
    allow = svc.workload.allow_from
    sources: list[dict[str, Any]]
    if allow is None:
        sources = [{"podSelector": {}}]
    else:
        sources = []
        for item in allow:
            peer: dict[str, Any] = {}
            if item.pod_labels:
                peer["podSelector"] = {"matchLabels": dict(item.pod_labels)}
            if item.namespace_labels:
                peer["namespaceSelector"] = {"matchLabels": dict(item.namespace_labels)}
            sources.append(peer)
    ingress = []
    if sources:
        ingress.append({"from": sources, "ports": [{"protocol": "TCP", "port": svc.port}]})
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": svc.meta(svc.name),
            "spec": {
                "podSelector": {"matchLabels": svc.selector},
                "policyTypes": ["Ingress"],
                "ingress": ingress,
            },
        }
    ]
