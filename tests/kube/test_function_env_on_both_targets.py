"""A function's own environment reaches its handler on both targets: on Lambda, in the queue
consumer's pods and in the CronJob's pods alike - its variables, its secrets by reference and its
idempotency table - and a function's variable wins over the service's, as it does on Lambda."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubekit import one, render_project, write_project

from aloft.config import load_config
from aloft.serverless.model import build_stack

FUNCTIONS = """
[tool.aloft.kubernetes]
env = { FEATURE = "off", PLAIN = "service" }

[tool.aloft.lambda.functions.api]
events = [{ type = "http_api" }]

[tool.aloft.lambda.functions.worker]
handler = "shop.jobs.handler"
idempotency = true
environment = { FEATURE = "on" }
secrets = { PAYMENTS_KEY = "ssm:/shop/payments-key" }
events = [{ type = "sqs", queue = "orders" }]

[tool.aloft.lambda.functions.nightly]
handler = "shop.jobs.nightly"
environment = { REPORT = "daily" }
secrets = { MAIL_TOKEN = "secretsmanager:shop/mail" }
events = [{ type = "schedule", expression = "cron(30 2 * * ? *)" }]
"""


def _env(workload: dict[str, Any]) -> dict[str, str]:
    spec = workload["spec"]
    pod = (
        spec["jobTemplate"]["spec"]["template"]["spec"]
        if "jobTemplate" in spec
        else spec["template"]["spec"]
    )
    (container,) = pod["containers"]
    names = [item["name"] for item in container["env"]]
    assert len(names) == len(set(names)), f"a variable twice: {names}"
    return {item["name"]: item["value"] for item in container["env"] if "value" in item}


def test_consumer_and_cronjob_pods_see_what_the_lambda_function_sees(tmp_path: Path) -> None:
    project = write_project(tmp_path, FUNCTIONS)
    rendered = render_project(project)
    lambdas = {
        fn.key: fn.environment for fn in build_stack(load_config(project, environ={})).functions
    }
    consumer = _env(one(rendered, "Deployment", "shop-worker"))
    cronjob = _env(one(rendered, "CronJob", "shop-nightly"))

    for key, pods in (("worker", consumer), ("nightly", cronjob)):
        own = {
            k: v
            for k, v in lambdas[key].items()
            if not k.startswith("ALOFT_") or k in ("ALOFT_SECRET_REFS", "ALOFT_IDEMPOTENCY_TABLE")
        }
        assert own and {k: pods.get(k) for k in own} == own, key
        assert pods["AWS_REGION"] == "us-east-1"

    assert consumer["ALOFT_IDEMPOTENCY_TABLE"] == lambdas["worker"]["ALOFT_IDEMPOTENCY_TABLE"]
    assert consumer["ALOFT_SECRET_REFS"] == "PAYMENTS_KEY=ssm:/shop/payments-key"
    assert cronjob["ALOFT_SECRET_REFS"] == "MAIL_TOKEN=secretsmanager:shop/mail"
    assert "ALOFT_IDEMPOTENCY_TABLE" not in cronjob  # nightly has no idempotency
    # The function's FEATURE=on is a container variable, which Kubernetes puts above the
    # service's ConfigMap (envFrom), where FEATURE=off and PLAIN stay for everything else.
    assert consumer["FEATURE"] == "on"
    assert "PLAIN" not in consumer
