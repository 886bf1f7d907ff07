"""A consumer's HorizontalPodAutoscaler on its queue's depth (scaling = "hpa"): an External
metric, the visible messages of the queue as the cluster's metrics adapter serves them (e.g.
a CloudWatch or Prometheus adapter), averaged over the pods against `messages_per_pod`."""

from __future__ import annotations

from aloft.kube.kinds.consumer import consumer_name, meta
from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec


def render(svc: ServiceSpec) -> list[Manifest]:
    out: list[Manifest] = []
    for consumer in svc.consumers:
        scaling = consumer.scaling
        if scaling.scaling != "hpa":
            continue
        metric = {
            "type": "External",
            "external": {
                "metric": {
                    "name": scaling.external_metric,
                    "selector": {"matchLabels": {"queue_name": consumer.queue}},
                },
                "target": {"type": "AverageValue", "averageValue": str(scaling.messages_per_pod)},
            },
        }
        name = consumer_name(svc, consumer)
        out.append(
            {
                "apiVersion": svc.version.autoscaling,
                "kind": "HorizontalPodAutoscaler",
                "metadata": meta(svc, consumer),
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": scaling.min_replicas,
                    "maxReplicas": scaling.max_replicas,
                    "metrics": [metric],
                },
            }
        )
    return out
