"""`aloft k8s render` of SQS-triggered functions: a consumer Deployment per function, running its
Lambda handler with the queue Lambda deploy creates, scaled fixed, by an HPA or by KEDA."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import pytest

from aloft.config import load_config
from aloft.exceptions import ConfigError
from aloft.kube.render import render
from aloft.kube.versions import KubeVersion

IMAGE = "registry.example/shop@sha256:" + "a" * 64
BASE = """
[project]
name = "shop"
version = "0.1.0"

[tool.aloft]
app = "shop.main:app"

[tool.aloft.lambda]
region = "eu-west-1"

[tool.aloft.lambda.functions.api]

[tool.aloft.lambda.functions.worker]
handler = "shop.jobs.handler"
timeout = 40
environment = { PAYMENTS = "sandbox" }
events = [{ type = "sqs", queue = "orders", batch_size = 5 }]
"""


def _render(tmp_path: Path, extra: str = "", version: str = "1.31") -> list[dict[str, Any]]:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(BASE) + textwrap.dedent(extra))
    resolved = load_config(tmp_path, environ={})
    return render(resolved, IMAGE, KubeVersion.parse(version)).objects


def _named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def test_an_sqs_function_becomes_a_consumer_deployment_running_its_lambda_handler(
    tmp_path: Path,
) -> None:
    objects = _render(tmp_path)
    deployment = _named(objects, "Deployment", "shop-worker")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == [
        "python3",
        "-m",
        "aloft.runtime.consumer",
        "shop.jobs.handler",
        "--queue",
        "shop-orders",  # the queue `aloft lambda deploy` creates for this event
        "--batch-size",
        "5",
        "--wait",
        "20",
        "--timeout",
        "40",
    ]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["AWS_REGION"] == "eu-west-1" and env["PAYMENTS"] == "sandbox"
    # Drain: a long poll in flight (20 s) plus one batch (40 s) fit in the grace period.
    assert pod["terminationGracePeriodSeconds"] == math.ceil(20 + 40 + 5)
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    # The same ConfigMap and image as the service, but not selected by its Service or PDB.
    server = _named(objects, "Deployment", "shop")
    assert container["image"] == IMAGE
    assert container["envFrom"] == server["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = _named(objects, "Service", "shop")
    assert not set(service["spec"]["selector"].items()) <= set(labels.items())
    assert [o for o in objects if o["kind"] == "Deployment"].__len__() == 2


def test_keda_scaling_renders_a_scaled_object_and_leaves_replicas_to_it(tmp_path: Path) -> None:
    objects = _render(
        tmp_path,
        """
        [tool.aloft.kubernetes.consumers.worker]
        scaling = "keda"
        min_replicas = 0
        max_replicas = 7
        messages_per_pod = 25
        """,
    )
    scaled = _named(objects, "ScaledObject", "shop-worker")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"] == {"name": "shop-worker"}
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (0, 7)
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger == {
        "type": "aws-sqs-queue",
        "metadata": {"queueURL": "shop-orders", "queueLength": "25", "awsRegion": "eu-west-1"},
    }
    assert "replicas" not in _named(objects, "Deployment", "shop-worker")["spec"]


def test_hpa_scaling_is_an_external_metric_of_the_queue_depth(tmp_path: Path) -> None:
    objects = _render(
        tmp_path,
        """
        [tool.aloft.kubernetes.consumers.worker]
        scaling = "hpa"
        max_replicas = 4
        """,
        version="1.20",
    )
    hpa = _named(objects, "HorizontalPodAutoscaler", "shop-worker")
    assert hpa["apiVersion"] == "autoscaling/v2beta2"  # what a 1.20 cluster serves
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "External"
    assert metric["external"]["metric"]["selector"] == {
        "matchLabels": {"queue_name": "shop-orders"}
    }
    assert metric["external"]["target"] == {"type": "AverageValue", "averageValue": "10"}
    assert "replicas" not in _named(objects, "Deployment", "shop-worker")["spec"]


def test_a_disabled_consumer_renders_nothing(tmp_path: Path) -> None:
    objects = _render(tmp_path, "[tool.aloft.kubernetes.consumers.worker]\nenabled = false\n")
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Deployment"] == ["shop"]


def test_a_consumers_table_without_an_sqs_function_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"consumers\.api\].*no function of that name"):
        _render(tmp_path, "[tool.aloft.kubernetes.consumers.api]\nreplicas = 2\n")


def test_the_consumer_reads_the_queue_lambda_deploy_creates(tmp_path: Path) -> None:
    from aloft.serverless.model import build_stack

    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(BASE))
    resolved = load_config(tmp_path, environ={})
    stack = build_stack(resolved)
    (worker,) = [f for f in stack.functions if f.key == "worker"]
    deployment = _named(_render(tmp_path), "Deployment", "shop-worker")
    command = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[command.index("--queue") + 1] == worker.queues["orders"].name


def test_off_hours_scale_the_consumers_too_but_leave_keda_ones_to_keda(tmp_path: Path) -> None:
    """active_hours scales every Deployment of the project, consumers included; the scaler's
    Role names them, so it may scale them and nothing else. A KEDA-scaled consumer is KEDA's."""
    objects = _render(
        tmp_path,
        """
        [tool.aloft.kubernetes]
        active_hours = "Mon-Fri 08:00-20:00 Europe/Berlin"

        [tool.aloft.kubernetes.consumers.worker]
        scaling = "fixed"
        replicas = 2
        """,
    )
    up = _named(objects, "CronJob", "shop-scaler-up")["spec"]["jobTemplate"]["spec"]
    command = up["template"]["spec"]["containers"][0]["command"]
    assert "shop-worker=2" in command
    role = _named(objects, "Role", "shop-scaler")
    assert "shop-worker" in role["rules"][0]["resourceNames"]

    keda = _render(
        tmp_path,
        """
        [tool.aloft.kubernetes]
        active_hours = "Mon-Fri 08:00-20:00 Europe/Berlin"

        [tool.aloft.kubernetes.consumers.worker]
        scaling = "keda"
        min_replicas = 0
        """,
    )
    role = _named(keda, "Role", "shop-scaler")
    assert "shop-worker" not in role["rules"][0]["resourceNames"]
