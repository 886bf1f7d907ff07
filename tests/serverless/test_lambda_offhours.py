"""Off-hours on Lambda, deployed to moto server: outside `active_hours` no provisioned concurrency
and the schedule rules disabled, inside both on, and the EventBridge Scheduler schedules deploy
creates really switch them when they fire.

The schedules, their group, the scheduler's role and the rules are moto's. Lambda's
provisioned-concurrency calls (deploy's and the fired schedules') are answered by
provisionedkit.py after botocore validated them against Lambda's real service model: moto
implements none of them.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
import yaml
from provisionedkit import ProvisionedConcurrency, fire

from aloft.serverless import offhours
from aloft.serverless.deploy import deploy
from aloft.serverless.model import rule_name
from aloft.serverless.template import sam_template
from lambdakit import deployable, translate
from testkit import ALOFT

PROJECT = """
[project]
name = "{name}"
requires-python = "==3.12.*"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.tags]
team = "payments"

[tool.aloft.lambda]
provisioned_concurrency = 2
active_hours = "Mon-Fri 08:00-20:00 Europe/Berlin"

[tool.aloft.lambda.functions.api]

[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
provisioned_concurrency = 0
events = [
  {{ type = "schedule", expression = "rate(5 minutes)" }},
  {{ type = "schedule", expression = "cron(0 3 * * ? *)" }},
]
"""

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY_MORNING = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)
WEDNESDAY_NIGHT = datetime.datetime(2026, 12, 2, 22, 0, tzinfo=BERLIN)
SATURDAY_NOON = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=BERLIN)
# Just before the opening, in summer time (UTC+2): the window is read in its own zone.
JULY_MONDAY_EARLY = datetime.datetime(2026, 7, 6, 5, 59, tzinfo=datetime.timezone.utc)


def rules_state(name: str) -> dict[str, str]:
    events = boto3.client("events")
    return {
        rule: events.describe_rule(Name=rule)["State"]
        for rule in (f"{name}-worker-schedule", f"{name}-worker-schedule-2")
    }


def schedules(name: str) -> dict[str, dict[str, Any]]:
    scheduler = boto3.client("scheduler")
    group = f"{name}-off-hours"
    listed = scheduler.list_schedules(GroupName=group)["Schedules"]
    return {s["Name"]: scheduler.get_schedule(Name=s["Name"], GroupName=group) for s in listed}


def test_a_deploy_outside_the_hours_switches_nothing_on(aws_env: str, tmp_path: Path) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="off-a"))
    provisioned = ProvisionedConcurrency()
    result = deploy(
        stack, function_zip, layer_zip, session=provisioned.session(), clock=lambda: WEDNESDAY_NIGHT
    )
    assert provisioned.configs == {}
    assert rules_state("off-a") == {
        "off-a-worker-schedule": "DISABLED",
        "off-a-worker-schedule-2": "DISABLED",
    }
    assert "off-a-worker: schedule rate(5 minutes), disabled until active hours" in result.changes
    # The schedules that will switch them on are in place all the same.
    assert len(schedules("off-a")) == 6
    assert result.report().endswith(
        "active hours Mon-Fri 08:00-20:00 Europe/Berlin: outside them: provisioned concurrency"
        " off and schedules disabled until they open"
    )
    assert result.as_json()["off_hours"] == {
        "active_hours": "Mon-Fri 08:00-20:00 Europe/Berlin",
        "inside": False,
    }


@pytest.mark.parametrize("now", [SATURDAY_NOON, JULY_MONDAY_EARLY], ids=["weekend", "dst-early"])
def test_outside_the_window_in_its_own_zone_is_off(
    aws_env: str, tmp_path: Path, now: datetime.datetime
) -> None:
    name = f"off-b{now.day}"
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name=name))
    provisioned = ProvisionedConcurrency()
    deploy(stack, function_zip, layer_zip, session=provisioned.session(), clock=lambda: now)
    assert provisioned.configs == {}
    assert set(rules_state(name).values()) == {"DISABLED"}


def test_a_deploy_inside_the_hours_switches_on_and_a_rerun_changes_nothing(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="off-c"))
    provisioned = ProvisionedConcurrency()
    session = provisioned.session()
    first = deploy(stack, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_MORNING)
    assert provisioned.configs == {("off-c-api", "live"): 2}
    assert "alias off-c-api:live provisioned concurrency 2" in first.changes
    assert set(rules_state("off-c").values()) == {"ENABLED"}
    again = deploy(stack, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_MORNING)
    assert again.changes == []
    # The same stack deployed that night releases it and disables the rules.
    night = deploy(stack, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_NIGHT)
    assert provisioned.configs == {}
    assert "alias off-c-api:live provisioned concurrency released (outside active hours)" in (
        night.changes
    )
    assert set(rules_state("off-c").values()) == {"DISABLED"}


def test_the_schedules_switch_off_at_the_close_and_on_at_the_opening(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="off-d"))
    provisioned = ProvisionedConcurrency()
    session = provisioned.session()
    deploy(stack, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_MORNING)
    found = schedules("off-d")
    role = boto3.client("iam").get_role(RoleName="off-d-off_hours-role")["Role"]["Arn"]
    closes = {n: s for n, s in found.items() if s["ScheduleExpression"].startswith("cron(0 20 ")}
    opens = {n: s for n, s in found.items() if s["ScheduleExpression"].startswith("cron(0 8 ")}
    assert sorted(closes) == [
        "off-d-api-concurrency-off",
        "off-d-worker-schedule-2-off",
        "off-d-worker-schedule-off",
    ]
    assert len(opens) == 3 and len(found) == 6
    for schedule in found.values():
        assert schedule["ScheduleExpression"].endswith(" ? * MON,TUE,WED,THU,FRI *)")
        assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
        assert schedule["State"] == "ENABLED"
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert schedule["Target"]["RoleArn"] == role
        assert schedule["Target"]["Arn"].startswith("arn:aws:scheduler:::aws-sdk:")

    for schedule in closes.values():  # 20:00: the window closes
        fire(session, schedule["Target"])
    assert provisioned.configs == {}
    assert set(rules_state("off-d").values()) == {"DISABLED"}

    for schedule in opens.values():  # 08:00 next morning: it opens again
        fire(session, schedule["Target"])
    assert provisioned.configs == {("off-d-api", "live"): 2}
    assert set(rules_state("off-d").values()) == {"ENABLED"}
    fired = [operation for operation, _ in provisioned.calls[-2:]]
    assert fired == ["DeleteProvisionedConcurrencyConfig", "PutProvisionedConcurrencyConfig"]


def document(value: Any) -> Any:
    return json.loads(urllib.parse.unquote(value)) if isinstance(value, str) else value


def test_the_scheduler_role_may_switch_only_these_aliases_and_rules(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="off-e"))
    provisioned = ProvisionedConcurrency()
    deploy(
        stack, function_zip, layer_zip, session=provisioned.session(), clock=lambda: SATURDAY_NOON
    )
    iam = boto3.client("iam")
    name = "off-e-off_hours-role"
    role = iam.get_role(RoleName=name)["Role"]
    assert document(role["AssumeRolePolicyDocument"])["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["aloft"]
    policy = document(iam.get_role_policy(RoleName=name, PolicyName="aloft")["PolicyDocument"])
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "lambda:PutProvisionedConcurrencyConfig",
                    "lambda:DeleteProvisionedConcurrencyConfig",
                ],
                "Resource": ["arn:aws:lambda:us-east-1:123456789012:function:off-e-api:live"],
            },
            {
                "Effect": "Allow",
                "Action": ["events:EnableRule", "events:DisableRule"],
                "Resource": [
                    "arn:aws:events:us-east-1:123456789012:rule/off-e-worker-schedule",
                    "arn:aws:events:us-east-1:123456789012:rule/off-e-worker-schedule-2",
                ],
            },
        ],
    }
    # The role and the group carry the stack's tags (schedules take none).
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
    assert tags["aloft:stack"] == "off-e" and tags["team"] == "payments"
    scheduler = boto3.client("scheduler")
    group = scheduler.get_schedule_group(Name="off-e-off-hours")["Arn"]
    tags = {
        t["Key"]: t["Value"] for t in scheduler.list_tags_for_resource(ResourceArn=group)["Tags"]
    }
    assert tags["aloft:stack"] == "off-e" and tags["team"] == "payments"


def test_dropping_active_hours_and_then_provisioned_concurrency_leaves_no_orphans(
    aws_env: str, tmp_path: Path
) -> None:
    text = PROJECT.format(name="off-f")
    stack, function_zip, layer_zip = deployable(tmp_path, text)
    provisioned = ProvisionedConcurrency()
    session = provisioned.session()
    deploy(stack, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_NIGHT)

    window = 'active_hours = "Mon-Fri 08:00-20:00 Europe/Berlin"\n'
    always, _, _ = deployable(tmp_path, text.replace(window, ""))
    assert always.off_hours is None
    result = deploy(always, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_NIGHT)
    scheduler = boto3.client("scheduler")
    assert [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]].count(
        "off-f-off-hours"
    ) == 0
    assert scheduler.list_schedules(GroupName="off-f-off-hours")["Schedules"] == []
    roles = [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]]
    assert "off-f-off_hours-role" not in roles
    assert {"schedule-group off-f-off-hours", "role off-f-off_hours-role"} <= set(result.deleted)
    # Without a window: on at night too, and the rules run.
    assert provisioned.configs == {("off-f-api", "live"): 2}
    assert set(rules_state("off-f").values()) == {"ENABLED"}

    none, _, _ = deployable(
        tmp_path, text.replace("provisioned_concurrency = 2\n", "").replace(window, "")
    )
    result = deploy(none, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_NIGHT)
    assert provisioned.configs == {}
    assert "alias off-f-api:live provisioned concurrency released" in result.changes
    tags = boto3.client("lambda").list_tags(
        Resource=boto3.client("lambda").get_function(FunctionName="off-f-api")["Configuration"][
            "FunctionArn"
        ]
    )["Tags"]
    assert "aloft:provisioned-concurrency" not in tags


def test_a_schedule_the_config_no_longer_declares_is_pruned_from_the_group(
    aws_env: str, tmp_path: Path
) -> None:
    text = PROJECT.format(name="off-g")
    stack, function_zip, layer_zip = deployable(tmp_path, text)
    session = ProvisionedConcurrency().session()
    deploy(stack, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_MORNING)
    one = text.replace('  {{ type = "schedule", expression = "cron(0 3 * * ? *)" }},\n', "")
    one = one.replace('  { type = "schedule", expression = "cron(0 3 * * ? *)" },\n', "")
    fewer, _, _ = deployable(tmp_path, one)
    result = deploy(
        fewer, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_MORNING
    )
    assert sorted(schedules("off-g")) == [
        "off-g-api-concurrency-off",
        "off-g-api-concurrency-on",
        "off-g-worker-schedule-off",
        "off-g-worker-schedule-on",
    ]
    assert "schedule off-g-off-hours/off-g-worker-schedule-2-on" in result.deleted
    # And the role no longer names the rule that went.
    policy = document(
        boto3.client("iam").get_role_policy(RoleName="off-g-off_hours-role", PolicyName="aloft")[
            "PolicyDocument"
        ]
    )
    assert policy["Statement"][1]["Resource"] == [
        "arn:aws:events:us-east-1:123456789012:rule/off-g-worker-schedule"
    ]


def test_each_schedule_of_a_function_may_invoke_its_alias(aws_env: str, tmp_path: Path) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="off-h"))
    session = ProvisionedConcurrency().session()
    deploy(stack, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_MORNING)
    policy = json.loads(
        boto3.client("lambda").get_policy(FunctionName="off-h-worker", Qualifier="live")["Policy"]
    )
    events = boto3.client("events")
    granted = {
        s["Condition"]["ArnLike"]["AWS:SourceArn"]
        for s in policy["Statement"]
        if s["Principal"] == {"Service": "events.amazonaws.com"}
    }
    assert granted == {
        events.describe_rule(Name=rule)["Arn"]
        for rule in ("off-h-worker-schedule", "off-h-worker-schedule-2")
    }


def test_a_plan_changes_nothing_and_lists_the_off_hours_resources(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="off-i"))
    provisioned = ProvisionedConcurrency()
    plan = deploy(
        stack,
        function_zip,
        layer_zip,
        session=provisioned.session(),
        clock=lambda: WEDNESDAY_MORNING,
        plan=True,
    )
    assert {
        "role off-i-off_hours-role",
        "schedule-group off-i-off-hours",
        "schedule off-i-off-hours/off-i-api-concurrency-on",
    } <= set(plan.created)
    assert "alias off-i-api:live provisioned concurrency 2" in plan.changes
    assert provisioned.calls == []
    groups = boto3.client("scheduler").list_schedule_groups()["ScheduleGroups"]
    assert "off-i-off-hours" not in [g["Name"] for g in groups]


def test_provisioned_concurrency_is_put_once_a_gradual_release_has_finished(
    aws_env: str, tmp_path: Path
) -> None:
    """On the alias release moves: after its last step, never on a version it may still roll
    back from."""
    text = PROJECT.format(name="off-j").replace(
        "[tool.aloft.lambda.functions.api]\n",
        '[tool.aloft.lambda.functions.api]\ndeployment = "Linear10PercentEvery1Minute"\n',
    )
    stack, function_zip, layer_zip = deployable(tmp_path, text)
    provisioned = ProvisionedConcurrency()
    session = provisioned.session()
    order: list[str] = []
    for operation in ("UpdateAlias", "PutProvisionedConcurrencyConfig", "PublishVersion"):
        session.events.register(
            f"provide-client-params.lambda.{operation}",
            lambda params, operation=operation, **_: order.append(
                f"{operation} {params.get('FunctionName')}"
            ),
        )
    deploy(stack, function_zip, layer_zip, session=session, clock=lambda: WEDNESDAY_MORNING)
    changed, _, _ = deployable(
        tmp_path,
        text.replace(
            "[tool.aloft.lambda.functions.api]\n",
            ("[tool.aloft.lambda.functions.api]\nmemory = 1024\n"),
        ),
    )
    provisioned.configs.clear()  # as if the close had released it: the release puts it back
    order.clear()
    deploy(
        changed,
        function_zip,
        layer_zip,
        session=session,
        clock=lambda: WEDNESDAY_MORNING,
        sleep=lambda _: None,
        step_seconds=0,
    )
    api = [entry for entry in order if entry.endswith(" off-j-api")]
    assert api[0] == "PublishVersion off-j-api"
    assert api.count("UpdateAlias off-j-api") == 10  # nine weighted steps, then all of it
    assert api[-1] == "PutProvisionedConcurrencyConfig off-j-api"
    assert provisioned.configs == {("off-j-api", "live"): 2}


def test_a_schedule_is_retried_while_iam_has_not_yet_made_its_new_role_assumable(
    aws_env: str, tmp_path: Path
) -> None:
    """Scheduler refuses a role it cannot assume yet; moto never does, so the refusal (as AWS
    words it) is injected for the first two CreateSchedule calls, then moto answers."""
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="off-k"))
    session = ProvisionedConcurrency().session()
    refused: list[str] = []

    def not_yet(**_: Any) -> Any:
        if len(refused) >= 2:
            return None
        refused.append("CreateSchedule")
        error = {
            "Code": "ValidationException",
            "Message": "The execution role you provide must allow AWS EventBridge Scheduler to"
            " assume the role.",
        }
        return _Refused(), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    session.events.register("before-call.scheduler.CreateSchedule", not_yet)
    waits: list[float] = []
    deploy(
        stack,
        function_zip,
        layer_zip,
        session=session,
        clock=lambda: WEDNESDAY_MORNING,
        sleep=waits.append,
    )
    assert refused == ["CreateSchedule", "CreateSchedule"] and waits == [5.0, 5.0]
    assert len(schedules("off-k")) == 6


class _Refused:
    def __init__(self) -> None:
        self.status_code = 400
        self.headers: dict[str, str] = {}


ENVIRONMENTS = """
[project]
name = "env-off"
requires-python = "==3.12.*"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.lambda]
provisioned_concurrency = 1

[tool.aloft.environments.staging.lambda]
active_hours = "Mon-Fri 09:00-18:00 Europe/Paris"
"""


def template(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ALOFT, "lambda", "template", "--project", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_active_hours_per_environment_reach_the_rendered_template(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(ENVIRONMENTS)
    staging = template(tmp_path, "--env", "staging")
    assert staging.returncode == 0, staging.stderr
    resources = yaml.safe_load(staging.stdout)["Resources"]
    (on,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Scheduler::Schedule" and r["Properties"]["Name"].endswith("-on")
    ]
    assert on["ScheduleExpression"] == "cron(0 9 ? * MON,TUE,WED,THU,FRI *)"
    assert on["ScheduleExpressionTimezone"] == "Europe/Paris"
    production = template(tmp_path)
    assert production.returncode == 0, production.stderr
    kinds = {r["Type"] for r in yaml.safe_load(production.stdout)["Resources"].values()}
    assert "AWS::Scheduler::Schedule" not in kinds and "AWS::Scheduler::ScheduleGroup" not in kinds


def test_active_hours_with_nothing_to_switch_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        ENVIRONMENTS.replace("provisioned_concurrency = 1\n", "")
    )
    run = template(tmp_path, "--env", "staging")
    assert run.returncode == 0, run.stderr
    assert "active_hours: no function has provisioned_concurrency or a schedule event" in (
        run.stderr
    )
    assert "AWS::Scheduler" not in run.stdout


def test_sam_keeps_provisioned_concurrency_on_the_alias_codedeploy_shifts(tmp_path: Path) -> None:
    """With traffic shifting SAM's alias carries both: CodeDeploy moves the alias, and Lambda
    splits its provisioned concurrency between the two versions by weight meanwhile."""
    text = PROJECT.format(name="off-l").replace(
        "[tool.aloft.lambda.functions.api]\n",
        '[tool.aloft.lambda.functions.api]\ndeployment = "Canary10Percent5Minutes"\n',
    )
    stack, _, _ = deployable(tmp_path, text)
    translated = translate(sam_template(stack, "s3://bucket/f.zip", "s3://bucket/l.zip"))
    (alias,) = [
        r
        for r in translated["Resources"].values()
        if r["Type"] == "AWS::Lambda::Alias"
        and r["Properties"]["FunctionName"] == {"Ref": "ApiFunction"}
    ]
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 2
    }
    assert "CodeDeployLambdaAliasUpdate" in alias["UpdatePolicy"]


def test_the_window_opens_at_its_first_minute_and_closes_at_its_last() -> None:
    off = offhours.build(
        "shop", "Mon-Fri 08:00-20:00 Europe/Berlin", provisioned={"shop-api": 1}, rules=[]
    )
    assert off is not None
    at = datetime.datetime
    assert off.is_open(at(2026, 12, 2, 8, 0, tzinfo=BERLIN))
    assert not off.is_open(at(2026, 12, 2, 7, 59, tzinfo=BERLIN))
    assert off.is_open(at(2026, 12, 2, 19, 59, tzinfo=BERLIN))
    assert not off.is_open(at(2026, 12, 2, 20, 0, tzinfo=BERLIN))
    # 07:30 UTC is 08:30 in Berlin in winter but 09:30 in summer: both open; 06:30 UTC only in
    # summer.
    assert off.is_open(at(2026, 12, 2, 7, 30, tzinfo=datetime.timezone.utc))
    assert off.is_open(at(2026, 7, 1, 6, 30, tzinfo=datetime.timezone.utc))
    assert not off.is_open(at(2026, 12, 2, 6, 30, tzinfo=datetime.timezone.utc))


def test_long_names_keep_their_on_and_off_apart_within_64_characters() -> None:
    function = "p" * 30 + "-" + "f" * 33
    off = offhours.build(
        "p" * 30,
        "Sat,Sun 10:00-16:00 UTC",
        provisioned={function: 1},
        rules=[rule_name(function), rule_name(function, 1)],
    )
    assert off is not None
    names = [s.name for s in off.switches("live")]
    assert len(set(names)) == len(names) == 6
    assert all(len(n) <= 64 for n in names)
    assert {s.expression for s in off.switches("live")} == {
        "cron(0 10 ? * SUN,SAT *)",
        "cron(0 16 ? * SUN,SAT *)",
    }


def test_a_schedule_that_fires_only_outside_the_hours_is_named(tmp_path: Path) -> None:
    """Its rule is disabled whenever it would fire, so it would never run: template says so."""
    nightly = (
        '\n[tool.aloft.lambda.functions.nightly]\nhandler = "handler.handler"\n'
        'events = [{ type = "schedule", expression = "cron(0 3 * * ? *)" }]\n'
    )
    (tmp_path / "pyproject.toml").write_text(ENVIRONMENTS + nightly)
    run = template(tmp_path, "--env", "staging")
    assert run.returncode == 0, run.stderr
    assert (
        "[tool.aloft.lambda.functions.nightly] schedule 'cron(0 3 * * ? *)' fires only outside"
        " active_hours" in run.stderr
    )
    assert "it would never run" in run.stderr
    daytime = nightly.replace("cron(0 3 * * ? *)", "cron(0 10 ? * MON-FRI *)")
    (tmp_path / "pyproject.toml").write_text(ENVIRONMENTS + daytime)
    quiet = template(tmp_path, "--env", "staging")
    assert quiet.returncode == 0, quiet.stderr
    assert "never run" not in quiet.stderr
