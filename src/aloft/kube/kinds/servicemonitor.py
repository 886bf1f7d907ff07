"""ServiceMonitor (Prometheus Operator, monitoring.coreos.com/v1) for monitoring = "servicemonitor";
otherwise the pod template carries the prometheus.io/* scrape annotations."""

from __future__ import annotations

from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec

API_VERSION = "monitoring.coreos.com/v1"


def render(svc: ServiceSpec) -> list[Manifest]:
    if svc.settings.monitoring != "servicemonitor":
        return []
    return [
        {
            "apiVersion": API_VERSION,
            "kind": "ServiceMonitor",
            "metadata": svc.meta(svc.name),
            "spec": {
                "selector": {"matchLabels": svc.selector},
                "endpoints": [{"port": "http", "path": svc.serve.metrics_path, "interval": "30s"}],
            },
        }
    ]
