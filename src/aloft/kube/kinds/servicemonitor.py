"""ServiceMonitor (Prometheus Operator, monitoring.coreos.com/v1) for monitoring = "servicemonitor";
otherwise the pod template carries the prometheus.io/* scrape annotations."""

from __future__ import annotations

from aloft.kube.kinds.service import ENDPOINT_LABEL
from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec

API_VERSION = "monitoring.coreos.com/v1"


def render(svc: ServiceSpec) -> list[Manifest]:
    if svc.settings.monitoring != "servicemonitor":
        return []
    selector, port = dict(svc.selector), "http"
    if svc.admin_port:  # the admin Service, never the public one
        selector[ENDPOINT_LABEL], port = "admin", "admin"
    return [
        {
            "apiVersion": API_VERSION,
            "kind": "ServiceMonitor",
            "metadata": svc.meta(svc.name),
            "spec": {
                "selector": {"matchLabels": selector},
                "endpoints": [{"port": port, "path": svc.serve.metrics_path, "interval": "30s"}],
            },
        }
    ]
