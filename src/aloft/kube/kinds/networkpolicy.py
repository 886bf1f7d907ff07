"""NetworkPolicy: only the sources the config names may connect, each only on its port.

The app port admits the pods `allow_from` names (unset: any pod of the same namespace) and every
pod of the namespaces in `allow_from_namespaces` (an ingress controller's, typically). The admin
port (probes and metrics) admits the same namespace and `metrics_from_namespaces` (Prometheus's);
the kubelet's probes come from the node, which NetworkPolicy implementations let through.

Namespaces are selected by the `kubernetes.io/metadata.name` label, which the API server sets on
every namespace from 1.21 on.
"""

from __future__ import annotations

from typing import Any

from aloft.exceptions import ConfigError
from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec

NAME_LABEL = "kubernetes.io/metadata.name"
NAME_LABEL_SINCE = 21


def _namespaces(names: list[str]) -> list[dict[str, Any]]:
    return [{"namespaceSelector": {"matchLabels": {NAME_LABEL: name}}} for name in names]


def render(svc: ServiceSpec) -> list[Manifest]:
    w = svc.workload
    if (w.allow_from_namespaces or w.metrics_from_namespaces) and not svc.version.at_least(
        NAME_LABEL_SINCE
    ):
        raise ConfigError(
            f"[tool.aloft.kubernetes] allow_from_namespaces / metrics_from_namespaces select"
            f" namespaces by their {NAME_LABEL} label, which Kubernetes {svc.version} does not"
            " set; label the namespaces and use allow_from = [{ namespace_labels = {...} }]"
        )
    allow = w.allow_from
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
    sources += _namespaces(w.allow_from_namespaces)
    ingress = []
    if sources:
        ingress.append({"from": sources, "ports": [{"protocol": "TCP", "port": svc.port}]})
    if svc.admin_port:
        scrapers = [{"podSelector": {}}, *_namespaces(w.metrics_from_namespaces)]
        ingress.append({"from": scrapers, "ports": [{"protocol": "TCP", "port": svc.admin_port}]})
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
