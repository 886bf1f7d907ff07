"""A consumer's KEDA ScaledObject (keda.sh/v1alpha1, scaling = "keda"): the aws-sqs-queue
trigger scales the consumer Deployment on visible plus in-flight messages, to zero when
min_replicas = 0. `aloft k8s deploy` skips it with a note on a cluster without KEDA's CRD."""

from __future__ import annotations

from aloft.kube.kinds.consumer import consumer_name, meta
from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec

API_VERSION = "keda.sh/v1alpha1"


def render(svc: ServiceSpec) -> list[Manifest]:
    out: list[Manifest] = []
    for consumer in svc.consumers:
        scaling = consumer.scaling
        if scaling.scaling != "keda":
            continue
        out.append(
            {
                "apiVersion": API_VERSION,
                "kind": "ScaledObject",
                "metadata": meta(svc, consumer),
                "spec": {
                    "scaleTargetRef": {"name": consumer_name(svc, consumer)},
                    "minReplicaCount": scaling.min_replicas,
                    "maxReplicaCount": scaling.max_replicas,
                    "triggers": [
                        {
                            "type": "aws-sqs-queue",
                            "metadata": {
                                # The queue's name: KEDA resolves it when unambiguous.
                                "queueURL": consumer.queue,
                                "queueLength": str(scaling.messages_per_pod),
                                "awsRegion": consumer.region,
                            },
                        }
                    ],
                },
            }
        )
    return out
