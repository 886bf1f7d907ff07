"""Deploy keeps tags in step and prunes what the config dropped, only what it made; a plan
changes nothing and says what a deploy would do. Against moto server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from aloft.serverless.deploy import deploy
from lambdakit import aws_state, deployable

HEAD = """
[project]
name = "{name}"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.tags]
{tags}
"""
API = """
[tool.aloft.lambda.functions.api]
idempotency = true
events = [{ type = "http_api" }, { type = "function_url" }]
"""
WORKER = """
[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
events = [
  { type = "sqs", queue = "orders", batch_size = 5 },
  { type = "schedule", expression = "rate(5 minutes)" },
]
"""
WORKER_SCHEDULE_ONLY = """
[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
events = [{ type = "schedule", expression = "rate(5 minutes)" }]
"""


def stack_of(tmp_path: Path, name: str, *functions: str, tags: str = 'team = "payments"') -> Any:
    return deployable(tmp_path, HEAD.format(name=name, tags=tags) + "".join(functions))


def exists(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except Exception as exc:  # each service names its not-found error differently
        if "NotFound" in type(exc).__name__ or "NoSuch" in type(exc).__name__:
            return False
        if "NonExistentQueue" in str(exc) or "does not exist" in str(exc):
            return False
        raise
    return True


def queue_exists(name: str) -> bool:
    return exists(boto3.client("sqs").get_queue_url, QueueName=name)


def function_exists(name: str) -> bool:
    return exists(boto3.client("lambda").get_function, FunctionName=name)


def role_exists(name: str) -> bool:
    return exists(boto3.client("iam").get_role, RoleName=name)


def api_names() -> list[str]:
    return [a["Name"] for a in boto3.client("apigatewayv2").get_apis()["Items"]]


def tags_everywhere(prefix: str) -> dict[str, dict[str, str]]:
    """Each resource's tags as a dict, from the snapshot of the account."""
    out: dict[str, dict[str, str]] = {}
    for resource, value in aws_state(prefix).items():
        tags = value.get("tags", value) if isinstance(value, dict) else value
        if isinstance(tags, list):
            tags = {t["Key"]: t["Value"] for t in tags}
        out[resource] = dict(tags or {})
        for source, _, mapping_tags in value.get("mappings", []) if isinstance(value, dict) else []:
            out[f"sqs-mapping {resource} {source}"] = dict(mapping_tags)
    return out


def test_changed_tags_reach_every_resource_dropped_keys_go_and_a_rerun_changes_nothing(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = stack_of(
        tmp_path, "tg-a", API, WORKER, tags='team = "payments"\nenvironment = "prod"'
    )
    deploy(stack, function_zip, layer_zip)
    lam = boto3.client("lambda")
    api_arn = lam.get_function(FunctionName="tg-a-api")["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=api_arn, Tags={"owner": "alice"})  # added by hand: stays

    retagged, function_zip, layer_zip = stack_of(
        tmp_path, "tg-a", API, WORKER, tags='team = "checkout"\ncost_center = "cc-1"'
    )
    result = deploy(retagged, function_zip, layer_zip)
    assert result.created == [] and result.deleted == []
    assert not any("version" in line for line in result.changes)  # tags publish nothing
    tags = tags_everywhere("tg-a")
    kinds = {resource.split()[0] for resource in tags}
    assert kinds == {"function", "queue", "role", "http-api", "schedule", "table", "sqs-mapping"}
    assert len(tags) == 12  # 2 functions, 4 queues, 2 roles, API, rule, table, mapping
    for resource, resource_tags in tags.items():
        assert resource_tags.get("team") == "checkout", resource
        assert resource_tags.get("cost-center") == "cc-1", resource
        assert "environment" not in resource_tags, resource
        assert resource_tags.get("aloft:stack") == "tg-a", resource
    assert tags["function tg-a-api"]["owner"] == "alice"
    assert set(result.updated) >= {
        "function tg-a-api",
        "function tg-a-worker",
        "queue tg-a-orders",
        "queue tg-a-orders-dlq",
        "role tg-a-api-role",
        "table tg-a-idempotency",
        "http-api tg-a-api",
        "schedule tg-a-worker-schedule",
        "sqs-mapping tg-a-worker:tg-a-orders",
    }

    again = deploy(retagged, function_zip, layer_zip)
    assert again.changes == []
    assert tags_everywhere("tg-a") == tags


def test_removing_an_sqs_event_deletes_its_mapping_then_its_queue_and_dead_letter_queue(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = stack_of(tmp_path, "sq-a", WORKER)
    deploy(stack, function_zip, layer_zip)
    lam = boto3.client("lambda")
    alias = lam.get_alias(FunctionName="sq-a-worker", Name="live")["AliasArn"]
    assert lam.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"]

    fewer, function_zip, layer_zip = stack_of(tmp_path, "sq-a", WORKER_SCHEDULE_ONLY)
    result = deploy(fewer, function_zip, layer_zip)
    assert result.deleted == [
        "sqs-mapping sq-a-worker:sq-a-orders",
        "queue sq-a-orders",
        "queue sq-a-orders-dlq",
    ]
    assert lam.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"] == []
    assert not queue_exists("sq-a-orders") and not queue_exists("sq-a-orders-dlq")
    # What the function still declares stays: itself, its failure queue, its schedule.
    assert function_exists("sq-a-worker") and queue_exists("sq-a-worker-failed")
    assert boto3.client("events").describe_rule(Name="sq-a-worker-schedule")["Arn"]
    policy = boto3.client("iam").get_role_policy(RoleName="sq-a-worker-role", PolicyName="aloft")
    assert "sq-a-orders" not in json.dumps(policy["PolicyDocument"])
    assert deploy(fewer, function_zip, layer_zip).changes == []


def test_a_dead_letter_queue_holding_messages_is_kept_until_it_is_empty(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = stack_of(tmp_path, "sq-b", WORKER)
    deploy(stack, function_zip, layer_zip)
    sqs = boto3.client("sqs")
    dlq = sqs.get_queue_url(QueueName="sq-b-orders-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody='{"order": 7}')  # a failed order, to look at

    fewer, function_zip, layer_zip = stack_of(tmp_path, "sq-b", WORKER_SCHEDULE_ONLY)
    result = deploy(fewer, function_zip, layer_zip)
    assert "queue sq-b-orders" in result.deleted
    assert result.orphaned == ["queue sq-b-orders-dlq"]
    assert any("sq-b-orders-dlq kept: 1 messages" in line for line in result.changes)
    assert queue_exists("sq-b-orders-dlq")

    sqs.purge_queue(QueueUrl=dlq)
    emptied = deploy(fewer, function_zip, layer_zip)
    assert emptied.deleted == ["queue sq-b-orders-dlq"]
    assert not queue_exists("sq-b-orders-dlq")


def test_removing_a_function_deletes_all_it_had_and_leaves_the_other_function_alone(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = stack_of(tmp_path, "fn-a", API, WORKER)
    deploy(stack, function_zip, layer_zip)
    worker_before = {k: v for k, v in aws_state("fn-a").items() if "worker" in k or "orders" in k}

    only_worker, function_zip, layer_zip = stack_of(tmp_path, "fn-a", WORKER)
    result = deploy(only_worker, function_zip, layer_zip)
    assert result.created == [] and result.updated == []
    # Its Function URL, alias and versions go with the function.
    assert result.deleted == [
        "http-api fn-a-api",
        "function fn-a-api",
        "role fn-a-api-role",
        "queue fn-a-api-failed",
        "table fn-a-idempotency",
    ]
    assert not function_exists("fn-a-api") and not role_exists("fn-a-api-role")
    assert "fn-a-api" not in api_names() and not queue_exists("fn-a-api-failed")
    assert not exists(boto3.client("dynamodb").describe_table, TableName="fn-a-idempotency")
    assert aws_state("fn-a") == worker_before
    assert deploy(only_worker, function_zip, layer_zip).changes == []


def test_removing_a_worker_deletes_its_schedule_and_mapping_before_the_function_and_queues(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = stack_of(tmp_path, "fn-b", API, WORKER)
    deploy(stack, function_zip, layer_zip)
    only_api, function_zip, layer_zip = stack_of(tmp_path, "fn-b", API)
    result = deploy(only_api, function_zip, layer_zip)
    assert result.deleted == [
        "schedule fn-b-worker-schedule",
        "sqs-mapping fn-b-worker:fn-b-orders",
        "function fn-b-worker",
        "role fn-b-worker-role",
        "queue fn-b-orders",
        "queue fn-b-worker-failed",
        "queue fn-b-orders-dlq",
    ]
    assert boto3.client("events").list_rules(NamePrefix="fn-b")["Rules"] == []
    assert (
        boto3.client("lambda").list_event_source_mappings(
            EventSourceArn="arn:aws:sqs:us-east-1:123456789012:fn-b-orders"
        )["EventSourceMappings"]
        == []
    )
    assert function_exists("fn-b-api")


def test_removing_only_an_event_of_a_kept_function_deletes_that_event(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = stack_of(tmp_path, "ev-a", API)
    deploy(stack, function_zip, layer_zip)
    lam = boto3.client("lambda")
    assert lam.get_function_url_config(FunctionName="ev-a-api", Qualifier="live")
    url_only = API.replace('{ type = "http_api" }, ', "")
    api_only = API.replace(', { type = "function_url" }', "")

    without_api, function_zip, layer_zip = stack_of(tmp_path, "ev-a", url_only)
    assert deploy(without_api, function_zip, layer_zip).deleted == ["http-api ev-a-api"]
    assert "ev-a-api" not in api_names()
    policy = json.loads(lam.get_policy(FunctionName="ev-a-api", Qualifier="live")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["aloft-function-url"]

    without_url, function_zip, layer_zip = stack_of(tmp_path, "ev-a", api_only)
    result = deploy(without_url, function_zip, layer_zip)
    assert result.created == ["http-api ev-a-api"]
    assert result.deleted == ["function-url ev-a-api"]
    assert not exists(lam.get_function_url_config, FunctionName="ev-a-api", Qualifier="live")
    policy = json.loads(lam.get_policy(FunctionName="ev-a-api", Qualifier="live")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["aloft-http-api"]


def test_hand_made_resources_and_another_projects_are_never_deleted(
    aws_env: str, tmp_path: Path
) -> None:
    # "hm-a-two" starts with "hm-a" too: its resources carry aloft:stack=hm-a-two, not hm-a.
    (tmp_path / "two").mkdir()
    deploy(*stack_of(tmp_path / "two", "hm-a-two", API))
    before_other = aws_state("hm-a-two")

    stack, function_zip, layer_zip = stack_of(tmp_path, "hm-a", WORKER)
    deploy(stack, function_zip, layer_zip)
    # Made by hand with names deploy could have made, one even carrying our tags but no owner.
    iam, lam, sqs = boto3.client("iam"), boto3.client("lambda"), boto3.client("sqs")
    role = iam.get_role(RoleName="hm-a-worker-role")["Role"]["Arn"]
    iam.create_role(RoleName="hm-a-legacy-role", AssumeRolePolicyDocument="{}")
    lam.create_function(
        FunctionName="hm-a-legacy",
        Role=role,
        Handler="h.h",
        Runtime="python3.12",
        Code={"ZipFile": function_zip.read_bytes()},
        Tags={"team": "payments", "aloft:service": "hm-a"},
    )
    sqs.create_queue(QueueName="hm-a-orders-old", tags={"team": "payments"})
    sqs.create_queue(QueueName="hm-a-legacy-failed")
    boto3.client("events").put_rule(Name="hm-a-legacy-schedule", ScheduleExpression="rate(1 day)")
    boto3.client("apigatewayv2").create_api(Name="hm-a-legacy", ProtocolType="HTTP")
    boto3.client("dynamodb").create_table(
        TableName="hm-a-idempotency",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    hand_made = {k: v for k, v in aws_state("hm-a").items() if "legacy" in k or "old" in k}
    hand_made["table hm-a-idempotency"] = aws_state("hm-a")["table hm-a-idempotency"]

    web = '[tool.aloft.lambda.functions.web]\nevents = [{ type = "function_url" }]\n'
    nothing_left, function_zip, layer_zip = stack_of(tmp_path, "hm-a", web)
    result = deploy(nothing_left, function_zip, layer_zip)
    assert "function hm-a-worker" in result.deleted
    assert not any("legacy" in r or "old" in r or "two" in r for r in result.deleted)
    after = aws_state("hm-a")
    assert {k: v for k, v in after.items() if k in hand_made} == hand_made
    assert aws_state("hm-a-two") == before_other


def test_no_prune_keeps_what_the_config_dropped_and_reports_it_orphaned(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = stack_of(tmp_path, "np-a", API, WORKER)
    deploy(stack, function_zip, layer_zip)
    before = aws_state("np-a")

    only_api, function_zip, layer_zip = stack_of(tmp_path, "np-a", API)
    kept = deploy(only_api, function_zip, layer_zip, prune=False)
    assert kept.deleted == [] and kept.changes
    assert set(kept.orphaned) == {
        "schedule np-a-worker-schedule",
        "sqs-mapping np-a-worker:np-a-orders",
        "function np-a-worker",
        "role np-a-worker-role",
        "queue np-a-orders",
        "queue np-a-orders-dlq",
        "queue np-a-worker-failed",
    }
    assert aws_state("np-a") == before

    pruned = deploy(only_api, function_zip, layer_zip)
    assert set(pruned.deleted) == set(kept.orphaned)
    assert not function_exists("np-a-worker")


def test_a_plan_changes_nothing_and_says_exactly_what_the_deploy_then_does(
    aws_env: str, tmp_path: Path
) -> None:
    first, function_zip, layer_zip = stack_of(tmp_path, "pl-a", API, WORKER)
    assert aws_state("pl-a") == {}
    planned = deploy(first, function_zip, layer_zip, plan=True)
    assert planned.plan and "function pl-a-api" in planned.created
    assert aws_state("pl-a") == {}
    done = deploy(first, function_zip, layer_zip)
    assert (done.created, done.updated, done.changes) == (
        planned.created,
        planned.updated,
        planned.changes,
    )

    (tmp_path / "code" / "handler.py").write_text("def handler(event, context):\n    return 2\n")
    changed = WORKER.replace("batch_size = 5", "batch_size = 7")
    second, function_zip, layer_zip = stack_of(tmp_path, "pl-a", changed, tags='team = "checkout"')
    before = aws_state("pl-a")
    planned = deploy(second, function_zip, layer_zip, plan=True)
    assert aws_state("pl-a") == before
    assert "function pl-a-api" in planned.deleted and "function pl-a-worker" in planned.updated
    done = deploy(second, function_zip, layer_zip)
    assert (done.created, done.updated, done.deleted, done.changes) == (
        planned.created,
        planned.updated,
        planned.deleted,
        planned.changes,
    )
    assert deploy(second, function_zip, layer_zip, plan=True).changes == []


def test_too_many_tag_keys_for_the_record_is_one_config_error(tmp_path: Path) -> None:
    from aloft.exceptions import ConfigError
    from aloft.serverless.tagging import deploy_tags

    tags = "\n".join(f'key-number-{i:02d}-with-a-long-name = "x"' for i in range(12))
    stack, _, _ = stack_of(tmp_path, "tk-a", WORKER, tags=tags)
    with pytest.raises(ConfigError, match=r"\[tool.aloft.tags\].*fewer or shorter keys"):
        deploy_tags(stack)


def test_the_cli_plans_deploys_and_reports_orphans_as_json(aws_env: str, tmp_path: Path) -> None:
    import subprocess

    from testkit import ALOFT

    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "__init__.py").write_text("")
    (tmp_path / "orders" / "main.py").write_text("app = None\n")
    # The worker's handler must be in the zip: packaging refuses a zip without it.
    (tmp_path / "orders" / "jobs.py").write_text("def handler(event, context):\n    return None\n")
    base = (
        '[project]\nname = "cli-a"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
        'dependencies = []\n[tool.uv]\npackage = false\n[tool.aloft]\napp = "orders.main:app"\n'
        '[tool.aloft.lambda.functions.api]\nevents = [{ type = "function_url" }]\n'
    )
    (tmp_path / "pyproject.toml").write_text(base + WORKER_SCHEDULE_ONLY)
    subprocess.run(["uv", "lock", "--offline", "--quiet"], cwd=tmp_path, check=True, timeout=60)

    def aloft_deploy(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ALOFT, "lambda", "deploy", "--project", str(tmp_path), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    planned = aloft_deploy("--dry-run", "--output", "json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["plan"] is True and plan["deleted"] == []
    assert {"function cli-a-api", "function cli-a-worker"} <= set(plan["created"])
    assert aws_state("cli-a") == {}

    shown = aloft_deploy()
    assert shown.returncode == 0, shown.stderr
    assert "function cli-a-api created" in shown.stdout
    assert f"resources: {len(plan['created'])} created" in shown.stdout

    (tmp_path / "pyproject.toml").write_text(base)
    before = aws_state("cli-a")
    kept = aloft_deploy("--no-prune", "-o", "json")
    assert kept.returncode == 0, kept.stderr
    report = json.loads(kept.stdout)
    assert report["deleted"] == [] and "function cli-a-worker" in report["orphaned"]
    assert aws_state("cli-a") == before
    planned = aloft_deploy("--plan")
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("plan: nothing was changed")
    assert "function cli-a-worker deleted" in planned.stdout and "to delete" in planned.stdout
    assert aws_state("cli-a") == before
