"""Deploy to moto server with the boto3 calls a real account gets; re-runs change nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import boto3
import pytest

from aloft.serverless.deploy import deploy
from lambdakit import deployable, record_errors

PROJECT = """
[project]
name = "{name}"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.tags]
team = "payments"

[tool.aloft.lambda.functions.api]
idempotency = true
reserved_concurrency = 5
events = [{{ type = "http_api" }}, {{ type = "function_url" }}]

[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
events = [
  {{ type = "sqs", queue = "orders", batch_size = 5 }},
  {{ type = "schedule", expression = "rate(5 minutes)" }},
]
"""


def project(tmp_path: Path, name: str) -> Any:
    return deployable(tmp_path, PROJECT.format(name=name))


def test_deploy_creates_what_the_template_declares_and_a_rerun_changes_nothing(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = project(tmp_path, "shop-a")
    first = deploy(stack, function_zip, layer_zip)
    assert any("function shop-a-api created" in c for c in first.changes)
    lam = boto3.client("lambda")
    api = lam.get_function(FunctionName="shop-a-api")
    assert api["Configuration"]["Environment"]["Variables"]["ALOFT_APP"] == "orders.main:app"
    assert api["Tags"]["team"] == "payments"
    assert lam.get_alias(FunctionName="shop-a-api", Name="live")["FunctionVersion"] == "1"
    assert (
        lam.get_function_concurrency(FunctionName="shop-a-api")["ReservedConcurrentExecutions"] == 5
    )
    assert lam.get_function_url_config(FunctionName="shop-a-api", Qualifier="live")["FunctionUrl"]
    mappings = lam.list_event_source_mappings(
        FunctionName=lam.get_alias(FunctionName="shop-a-worker", Name="live")["AliasArn"]
    )["EventSourceMappings"]
    assert len(mappings) == 1 and mappings[0]["BatchSize"] == 5
    assert mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName="shop-a-orders")["QueueUrl"]
    assert (
        "shop-a-orders-dlq"
        in sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])["Attributes"][
            "RedrivePolicy"
        ]
    )
    assert boto3.client("dynamodb").describe_table(TableName="shop-a-idempotency")["Table"][
        "TableStatus"
    ]
    assert [a["Name"] for a in boto3.client("apigatewayv2").get_apis()["Items"]].count(
        "shop-a-api"
    ) == 1
    assert (
        boto3.client("events").describe_rule(Name="shop-a-worker-schedule")["ScheduleExpression"]
        == "rate(5 minutes)"
    )

    again = deploy(stack, function_zip, layer_zip)
    assert again.changes == []
    assert again.versions == {"shop-a-api": "1", "shop-a-worker": "1"}


def test_a_config_change_publishes_a_version_and_moves_the_alias(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = project(tmp_path, "shop-b")
    deploy(stack, function_zip, layer_zip)
    api = dataclasses.replace(stack.functions[0], memory=1024)
    changed = deploy(
        dataclasses.replace(stack, functions=[api, stack.functions[1]]), function_zip, layer_zip
    )
    assert changed.changes == [
        "function shop-b-api configuration updated",
        "function shop-b-api version 2 published",
        "alias shop-b-api:live -> 2",
    ]
    assert (
        boto3.client("lambda").get_alias(FunctionName="shop-b-api", Name="live")["FunctionVersion"]
        == "2"
    )


def test_gradual_deploy_rolls_back_when_the_new_version_errors(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = project(tmp_path, "shop-c")
    deploy(stack, function_zip, layer_zip)
    api = dataclasses.replace(
        stack.functions[0], memory=256, deployment="Linear10PercentEvery1Minute"
    )

    def errors_appear(seconds: float) -> None:
        record_errors("shop-c-api", "2", 3)  # the new version (2) fails in production

    result = deploy(
        dataclasses.replace(stack, functions=[api]),
        function_zip,
        layer_zip,
        sleep=errors_appear,
        step_seconds=0,
    )
    assert result.rolled_back == ["shop-c-api"]
    alias = boto3.client("lambda").get_alias(FunctionName="shop-c-api", Name="live")
    assert alias["FunctionVersion"] == "1"
    assert not alias.get("RoutingConfig", {}).get("AdditionalVersionWeights")


def test_missing_boto3_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from aloft.exceptions import OperationFailed
    from aloft.serverless.deploy.run import boto3_module

    real_import = builtins.__import__

    def no_boto3(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "boto3":
            raise ImportError("No module named 'boto3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_boto3)
    with pytest.raises(OperationFailed, match=r"uv tool install 'aloft-cli\[aws\]'"):
        boto3_module()


def test_the_release_readers_see_what_deploy_published_and_a_plan_numbers_the_next(
    aws_env: str, tmp_path: Path
) -> None:
    """What a rollback reads (published versions, the live alias) is what deploy made."""
    from aloft.serverless.deploy.release import live_alias, point_alias, published_versions
    from aloft.serverless.model import next_version

    stack, function_zip, layer_zip = project(tmp_path, "shop-r")
    deploy(stack, function_zip, layer_zip)
    api = dataclasses.replace(stack.functions[0], memory=1024)
    changed = dataclasses.replace(stack, functions=[api, stack.functions[1]])
    assert deploy(changed, function_zip, layer_zip, plan=True).versions["shop-r-api"] == "1"
    assert deploy(changed, function_zip, layer_zip).versions["shop-r-api"] == "2"
    lam = boto3.client("lambda")
    assert published_versions(lam, "shop-r-api") == ["1", "2"]
    alias = live_alias(lam, "shop-r-api")
    assert alias is not None and alias["FunctionVersion"] == "2"
    assert live_alias(lam, "shop-r-nothing-here") is None
    point_alias(lam, "shop-r-api", "1")  # what a rollback does
    assert deploy(changed, function_zip, layer_zip, plan=True).versions["shop-r-api"] == "1"
    # Versions are numbers: after 9 comes 10, not a string's "9" > "10".
    assert next_version(["1", "9", "10"]) == "11"
    assert next_version(["$LATEST"]) == "1"
