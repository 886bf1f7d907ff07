"""SAM templates: they translate with aws-sam-translator and pass cfn-lint in both forms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aloft.config import load_config
from aloft.serverless.model import build_stack
from aloft.serverless.template import sam_template
from lambdakit import cfn_lint, translate

PROJECT = """
[project]
name = "orders"
requires-python = "==3.12.*"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.tags]
team = "payments"
cost_center = "cc-77"

[tool.aloft.cost]
budget_usd = 250.0
budget_alerts = [50.0, 90.0, 100.0]

[tool.aloft.lambda]
architecture = "arm64"

[tool.aloft.lambda.functions.api]
memory = 1024
reserved_concurrency = 20
deployment = "Canary10Percent5Minutes"
idempotency = true
snap_start = true
secrets = { DB_PASSWORD = "ssm:/orders/db-password", API_KEY = "secretsmanager:orders/api-key" }
environment = { LOG_FORMAT = "json" }

[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
timeout = 60
events = [
  { type = "sqs", queue = "orders", batch_size = 100 },
  { type = "sqs", queue = "ledger", fifo = true, batch_size = 10 },
]

[tool.aloft.lambda.functions.nightly]
handler = "orders.jobs.handler"
events = [{ type = "schedule", expression = "cron(0 3 * * ? *)" }]

[tool.aloft.lambda.functions.hook]
stream = true
events = [{ type = "function_url" }]
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("orders")
    (folder / "pyproject.toml").write_text(PROJECT)
    stack = build_stack(load_config(folder, environ={}))
    return sam_template(stack, "s3://bucket/function.zip", "s3://bucket/layer.zip")


def errors(findings: list[dict[str, Any]]) -> list[str]:
    return [
        f"{f['Rule']['Id']} {f['Message']}" for f in findings if f["Level"] in ("Error", "Warning")
    ]


def test_sam_form_passes_cfn_lint(template: dict[str, Any], tmp_path: Path) -> None:
    assert errors(cfn_lint(template, tmp_path)) == []


def test_translated_form_passes_cfn_lint(template: dict[str, Any], tmp_path: Path) -> None:
    cloudformation = translate(template)
    assert errors(cfn_lint(cloudformation, tmp_path)) == []
    types = sorted({r["Type"] for r in cloudformation["Resources"].values()})
    for expected in (
        "AWS::ApiGatewayV2::Api",
        "AWS::CodeDeploy::DeploymentGroup",
        "AWS::DynamoDB::Table",
        "AWS::Events::Rule",
        "AWS::Lambda::Alias",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Url",
        "AWS::SQS::Queue",
    ):
        assert expected in types


def test_lint_of_the_translated_form_catches_what_the_sam_form_hides(
    template: dict[str, Any], tmp_path: Path
) -> None:
    broken = json.loads(json.dumps(template))
    broken["Resources"]["WorkerFunction"]["Properties"]["Architectures"] = ["x86"]
    broken["Resources"]["WorkerFunction"]["Properties"]["Events"]["Queue1"]["Properties"][
        "BatchSize"
    ] = 20000
    found = errors(cfn_lint(translate(broken), tmp_path))
    assert any("x86" in e for e in found) and any("20000" in e for e in found)


def test_sqs_events_report_batch_item_failures_and_redrive_to_a_dlq(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    queue_event = resources["WorkerFunction"]["Properties"]["Events"]["Queue"]["Properties"]
    assert queue_event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue_event["BatchSize"] == 100
    ledger = resources["WorkerLedgerQueue"]["Properties"]
    assert ledger["FifoQueue"] and ledger["QueueName"].endswith(".fifo")
    assert ledger["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["WorkerLedgerDlq", "Arn"]
    }
    assert ledger["VisibilityTimeout"] == 360


def test_settings_secrets_and_tags_reach_the_function(template: dict[str, Any]) -> None:
    api = template["Resources"]["ApiFunction"]["Properties"]
    assert (api["Architectures"], api["MemorySize"], api["ReservedConcurrentExecutions"]) == (
        ["arm64"],
        1024,
        20,
    )
    variables = api["Environment"]["Variables"]
    assert variables["ALOFT_APP"] == "orders.main:app"
    assert (
        variables["ALOFT_SECRET_REFS"]
        == "API_KEY=secretsmanager:orders/api-key,DB_PASSWORD=ssm:/orders/db-password"
    )
    assert "DB_PASSWORD" not in variables  # by reference only, never the value
    assert api["Tags"]["cost-center"] == "cc-77" and api["PropagateTags"]
    assert api["DeploymentPreference"]["Type"] == "Canary10Percent5Minutes"
    assert api["EventInvokeConfig"]["MaximumRetryAttempts"] == 2
    for resource in template["Resources"].values():
        if resource["Type"] in ("AWS::SQS::Queue", "AWS::DynamoDB::Table"):
            assert {"Key": "team", "Value": "payments"} in resource["Properties"]["Tags"]


def test_the_cost_budget_becomes_an_aws_budget_with_alerts(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    budget = resources["MonthlyBudget"]["Properties"]
    assert budget["Budget"]["BudgetLimit"] == {"Amount": 250.0, "Unit": "USD"}
    assert budget["Budget"]["CostFilters"] == {"TagKeyValue": ["user:aloft:service$orders"]}
    alerts = budget["NotificationsWithSubscribers"]
    assert [a["Notification"]["Threshold"] for a in alerts] == [50.0, 90.0, 100.0]
    assert all(
        a["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": "BudgetAlertsTopic"}}]
        for a in alerts
    )
    policy = resources["BudgetAlertsTopicPolicy"]["Properties"]["PolicyDocument"]
    assert policy["Statement"][0]["Principal"] == {"Service": "budgets.amazonaws.com"}


def test_every_rendered_resource_carries_the_shared_tags(template: dict[str, Any]) -> None:
    from tagcheck import check_tags

    check_tags(template["Resources"], {"team": "payments", "cost-center": "cc-77"})


def test_each_function_runs_under_its_declared_role_and_sam_adds_none(
    template: dict[str, Any],
) -> None:
    cloudformation = translate(template)
    roles = {
        key: r["Properties"]
        for key, r in cloudformation["Resources"].items()
        if r["Type"] == "AWS::IAM::Role"
    }
    functions = [
        r["Properties"]
        for r in cloudformation["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    ]
    used = {fn["Role"]["Fn::GetAtt"][0] for fn in functions}
    assert len(used) == len(functions)
    assert used == {key for key in roles if key.endswith("FunctionRole")}
    # Besides them, only the role CodeDeploy needs for the canary deployment.
    assert set(roles) - used == {"CodeDeployServiceRole"}
    for key in used:
        assert roles[key] == template["Resources"][key]["Properties"]  # passed through as declared
        for statement in roles[key]["Policies"][0]["PolicyDocument"]["Statement"]:
            assert "*" not in json.dumps(statement["Resource"])
