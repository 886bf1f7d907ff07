"""CronJob: one per scheduled function, running the same handler Lambda runs with the same
EventBridge "Scheduled Event" (`python -m aloft.runtime.scheduled`), in the service's image,
config and identity. batch/v1 from 1.21, else v1beta1; spec.timeZone from 1.25 (kube.cron)."""

from __future__ import annotations

from typing import Any

from aloft.kube.cron import Scheduled, cronjob_name
from aloft.kube.kinds.pod import override_env, pod_spec, template_annotations
from aloft.kube.manifest import INVENTORY_LABEL, Manifest
from aloft.kube.spec import ServiceSpec

COMPONENT = "schedule"
# `python3`, not the entrypoint's absolute path: every base aloft builds on has it on PATH.
PYTHON = "python3"


def command(item: Scheduled) -> list[str]:
    return [
        PYTHON,
        "-m",
        "aloft.runtime.scheduled",
        item.handler,
        "--rule",
        item.rule,
        "--timeout",
        str(item.timeout),
    ]


def render(svc: ServiceSpec) -> list[Manifest]:
    return [_cronjob(svc, item) for item in svc.schedules]


def _cronjob(svc: ServiceSpec, item: Scheduled) -> Manifest:
    cron = svc.settings.cron_jobs
    pod = pod_spec(svc, command=command(item))
    override_env(pod["containers"][0], item.environment)
    # The Job retries a failed run, as Lambda retries a failed asynchronous invocation.
    pod["restartPolicy"] = "Never"
    # Not "server": the Service, PDB and spread constraints must not count these pods.
    labels = {
        **svc.labels,
        "app.kubernetes.io/component": COMPONENT,
        "aloft/function": item.function,
    }
    meta = svc.meta(cronjob_name(svc.name, item.function))
    meta["labels"] = labels
    meta["annotations"] = {"aloft/schedule": item.expression}
    # The Jobs it creates are the controller's, not the inventory's: a deploy must not prune them.
    labels = {k: v for k, v in labels.items() if k != INVENTORY_LABEL}
    template_meta: dict[str, object] = {"labels": labels}
    if template_annotations(svc):
        template_meta["annotations"] = template_annotations(svc)
    spec: dict[str, Any] = {"schedule": item.schedule.cron}
    if item.time_zone:
        spec["timeZone"] = item.time_zone
    spec.update(
        {
            "concurrencyPolicy": cron.concurrency_policy,
            "startingDeadlineSeconds": cron.starting_deadline,
            "successfulJobsHistoryLimit": cron.successful_history,
            "failedJobsHistoryLimit": cron.failed_history,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "backoffLimit": item.retries,
                    "activeDeadlineSeconds": cron.active_deadline or item.timeout,
                    "template": {"metadata": template_meta, "spec": pod},
                },
            },
        }
    )
    return {"apiVersion": svc.version.cronjob, "kind": "CronJob", "metadata": meta, "spec": spec}
