"""Queue consumers: each SQS-triggered function of `[tool.aloft.lambda.functions]`, on Kubernetes.

One declaration for both targets: the function's handler, queue, batch size and timeout are the
ones Lambda gets, so there is no second table to keep in step. What only Kubernetes needs (how
many pods, how they scale) is an optional sub-table keyed by the function's name:

    [tool.aloft.lambda.functions.worker]
    handler = "shop.jobs.handler"
    events = [{ type = "sqs", queue = "orders", batch_size = 10 }]

    [tool.aloft.kubernetes.consumers.worker]     # optional
    scaling = "keda"                             # fixed | hpa | keda
    max_replicas = 20
    messages_per_pod = 50

The queue is the one `aloft lambda deploy` creates (`queue_name`), with its dead-letter queue
and redrive policy; the consumer only reads and deletes.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from aloft.config.functions import function_environment
from aloft.config.lambda_ import LambdaSettings, stack_name
from aloft.config.schema import setting, table
from aloft.config.shutdown import Shutdown, shutdown

DEFAULT_EXTERNAL_METRIC = "sqs_approximate_number_of_messages_visible"


@table
class ConsumerScaling:
    """`[tool.aloft.kubernetes.consumers.<function>]`: a consumer's pods on Kubernetes."""

    enabled: bool = setting(default=True, doc="false: no consumer Deployment on Kubernetes")
    replicas: int = setting(default=1, ge=0, doc="pods when scaling = fixed")
    scaling: Literal["fixed", "hpa", "keda"] = setting(
        default="fixed",
        doc="fixed: `replicas` pods; hpa: an HPA on the queue depth as an external"
        " metric (needs a metrics adapter serving it); keda: a KEDA ScaledObject (may scale"
        " to zero; skipped with a note on clusters without KEDA's CRD)",
    )
    min_replicas: int = setting(default=1, ge=0, doc="hpa/keda: fewest pods (keda: 0 ok)")
    max_replicas: int = setting(default=10, ge=1, doc="hpa/keda: most pods")
    messages_per_pod: int = setting(
        default=10, ge=1, doc="hpa/keda: queued messages one pod should have to itself"
    )
    external_metric: str = setting(
        default=DEFAULT_EXTERNAL_METRIC,
        doc="hpa: the external metric of the queue's visible messages, as the cluster's"
        " metrics adapter names it (selected by the label queue_name)",
    )
    wait_seconds: int = setting(
        default=20, ge=0, le=20, doc="SQS long-poll seconds (0-20; 20 costs fewest calls)"
    )

    def _check(self) -> None:
        if self.max_replicas < self.min_replicas:
            raise ValueError(
                f"max_replicas = {self.max_replicas} is below min_replicas = {self.min_replicas}"
            )
        if self.scaling == "hpa" and self.min_replicas < 1:
            raise ValueError("an HPA cannot scale to zero; use min_replicas >= 1 or scaling = keda")


@dataclasses.dataclass(frozen=True)
class QueueConsumer:
    """One consumer, resolved: what its Deployment runs and how it scales."""

    name: str  # the function's key, plus the queue's when the function reads several
    function: str  # the key in [tool.aloft.lambda.functions]
    handler: str  # the Lambda handler, module.function
    queue: str  # the AWS queue name
    batch_size: int  # records per event, as Lambda's BatchSize (at most 10 per receive)
    timeout: int  # seconds per batch (the function's timeout)
    region: str
    environment: dict[str, str]  # the function's own variables (config/functions.py)
    scaling: ConsumerScaling

    @property
    def shutdown(self) -> Shutdown:
        """After SIGTERM a receive in flight may take `wait_seconds`, then its batch `timeout`."""
        return shutdown(drain_delay=self.scaling.wait_seconds, drain_timeout=self.timeout)

    @property
    def command_args(self) -> list[str]:
        return [
            self.handler,
            "--queue",
            self.queue,
            "--batch-size",
            str(self.batch_size),
            "--wait",
            str(self.scaling.wait_seconds),
            "--timeout",
            str(self.timeout),
        ]


def queue_name(project: str, queue: str, fifo: bool) -> str:
    """The AWS name of an sqs event's queue: what Lambda deploy creates and consumers read."""
    return f"{stack_name(project)}-{queue}{'.fifo' if fifo else ''}"


def queue_consumers(
    project: str, settings: LambdaSettings, scaling: dict[str, ConsumerScaling]
) -> list[QueueConsumer]:
    """Every enabled consumer, in function order; KeyError names a scaling table without an
    SQS-triggered function of that name."""
    from aloft.runtime.aws_lambda.__main__ import DEFAULT_HANDLER

    functions = settings.functions_of(project)
    for key in scaling:
        spec = functions.get(key)
        if spec is None or not any(e.type == "sqs" for e in spec.events):
            raise KeyError(key)
    found = []
    for key, spec in functions.items():
        own = scaling.get(key, ConsumerScaling())
        if not own.enabled:
            continue
        events = [e for e in spec.events if e.type == "sqs"]
        for event in events:
            found.append(
                QueueConsumer(
                    name=key if len(events) == 1 else f"{key}-{event.queue}".lower(),
                    function=key,
                    handler=spec.handler or DEFAULT_HANDLER,
                    queue=queue_name(project, event.queue, event.fifo),
                    batch_size=event.batch_size,
                    timeout=spec.timeout,
                    region=settings.region,
                    environment=function_environment(stack_name(project), spec),
                    scaling=own,
                )
            )
    return found
