"""Schedules as CronJobs on the real 1.20 cluster: a `rate(1 minute)` function fires within the
test, runs the same handler Lambda runs, and the handler's side effect (a Redis entry with the
EventBridge event it got) is observed from outside the cluster. The same handler file then
serves the same event on the Lambda emulator, with the same effect."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from kubekit import ROOT, cluster_project, json_of, k8s_deploy, kubectl

from aloft.config.schedule import to_cron
from lambdakit import ALOFT_BOOTSTRAP, emulated

pytestmark = pytest.mark.timeout(600)

SCHEDULED = """
[tool.aloft.lambda.functions.api]
events = [{ type = "http_api" }]

[tool.aloft.lambda.functions.tick]
handler = "shop.jobs.handler"
timeout = 60
events = [{ type = "schedule", expression = "rate(1 minute)" }]
"""

# Translations the cluster's own cron parser must accept (server-side validation).
EXPRESSIONS = (
    "rate(5 minutes)",
    "rate(6 hours)",
    "rate(1 day)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0/15 * * * ? *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 12 ? * 2/2 *)",
    "cron(30 6 1,15 JAN,JUL ? *)",
    "cron(5/20 1-3,22 ? * * *)",
)


def _ticks(client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(item) for item in client.lrange("shop:ticks", 0, -1)]


def test_a_rate_schedule_fires_the_handler_with_the_scheduled_event(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    client = redis.Redis.from_url(bridge_redis, socket_timeout=2)
    client.delete("shop:ticks")
    project = cluster_project(tmp_path, namespace, bridge_redis, SCHEDULED, replicas="1")
    deployed = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    assert json_of(deployed)
    live = json.loads(
        kubectl(kube_cluster, "-n", namespace, "get", "cronjob", "shop-tick", "-o", "json").stdout
    )
    assert live["spec"]["schedule"] == "* * * * *"
    assert live["spec"]["concurrencyPolicy"] == "Forbid"

    deadline = time.monotonic() + 150  # the next minute boundary, the pod's start, the run
    while time.monotonic() < deadline and not _ticks(client):
        time.sleep(2)
    ticks = _ticks(client)
    assert ticks, (
        "the CronJob did not run the handler within 150 s: "
        + kubectl(
            kube_cluster, "-n", namespace, "get", "jobs,pods", "-o", "wide", check=False
        ).stdout
    )
    event = ticks[0]
    assert event["source"] == "aws.events"
    assert event["detail-type"] == "Scheduled Event"
    assert event["time"].endswith(":00Z")
    assert event["resources"][0].endswith(":rule/tick-schedule")

    # The Job that ran it finishes as succeeded, and is not the inventory's to prune.
    deadline = time.monotonic() + 60
    succeeded = 0
    while time.monotonic() < deadline and not succeeded:
        jobs = json.loads(
            kubectl(
                kube_cluster,
                "-n",
                namespace,
                "get",
                "jobs",
                "-l",
                "aloft/function=tick",
                "-o",
                "json",
            ).stdout
        )["items"]
        succeeded = sum(1 for j in jobs if (j.get("status") or {}).get("succeeded"))
        time.sleep(1)
    assert succeeded >= 1
    assert all("aloft/inventory" not in j["metadata"]["labels"] for j in jobs)

    # The same handler file on the Lambda emulator, sent what a schedule rule sends: same effect.
    client.delete("shop:ticks")
    sample = {**event, "id": "lambda-1", "account": "123456789012"}
    with emulated(
        [*ALOFT_BOOTSTRAP, "shop.jobs.handler"],
        cwd=ROOT / "examples" / "fastapi",
        env={"REDIS_URL": bridge_redis},
    ) as (emulator, _, _):
        result = emulator.invoke(json.dumps(sample).encode())
    assert result.ok, result
    assert json.loads(result.payload) == {"recorded": "lambda-1"}
    assert _ticks(client) == [sample]


def test_translated_schedules_pass_the_clusters_own_validation(
    kube_cluster: dict[str, Any], namespace: str, tmp_path: Path
) -> None:
    docs = []
    for index, expression in enumerate(EXPRESSIONS):
        docs.append(
            {
                "apiVersion": "batch/v1beta1",
                "kind": "CronJob",
                "metadata": {"name": f"s{index}", "namespace": namespace},
                "spec": {
                    "schedule": to_cron(expression).cron,
                    "jobTemplate": {
                        "spec": {
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "containers": [{"name": "c", "image": "x"}],
                                }
                            }
                        }
                    },
                },
            }
        )
    path = tmp_path / "cronjobs.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    ok = kubectl(kube_cluster, "apply", "--dry-run=server", "-f", str(path), check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("(server dry run)") == len(EXPRESSIONS)
    # ... and the check is real: a line with an EventBridge-only field is refused.
    docs[0]["spec"]["schedule"] = "0 12 ? * 2#1"
    path.write_text(yaml.safe_dump_all(docs[:1]))
    bad = kubectl(kube_cluster, "apply", "--dry-run=server", "-f", str(path), check=False)
    assert bad.returncode != 0 and "schedule" in bad.stderr
