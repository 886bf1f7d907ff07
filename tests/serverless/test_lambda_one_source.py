"""One source per fact for every Lambda target: environment, permissions, streaming, SnapStart,
provisioned concurrency and the off-hours schedules.

The SAM template, serverless.yml and `aloft lambda deploy` (against moto server) must agree, and
the environment must be the one `[tool.aloft]` gives a container, less the server's own settings.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import boto3
import pytest
from provisionedkit import ProvisionedConcurrency

from aloft.config import load_config
from aloft.exceptions import ConfigError
from aloft.kube.spec import service_specs
from aloft.kube.versions import KubeVersion
from aloft.runtime.options import SERVER_ONLY, ServeOptions
from aloft.serverless import serverless_yml
from aloft.serverless.deploy import deploy
from aloft.serverless.model import build_stack
from aloft.serverless.permissions import fill
from aloft.serverless.template import sam_template
from lambdakit import cfn_lint, deployable, translate
from testkit import ALOFT

PROJECT = """
[project]
name = "{name}"
requires-python = "==3.12.*"

[tool.aloft]
app = "orders.main:app"
log_level = "debug"
access_log = false
log_sample_rate = 0.25
port = 9000
workers = 3

[tool.aloft.lambda]
snap_start = true

[tool.aloft.lambda.functions.api]
idempotency = true
secrets = {{ DB_PASSWORD = "ssm:/orders/db-password", API_KEY = "secretsmanager:orders/api-key" }}

[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
snap_start = false
events = [{{ type = "sqs", queue = "orders", batch_size = 5 }}]

[tool.aloft.lambda.functions.feed]
stream = true
events = [{{ type = "function_url" }}]
"""


DIGEST = "registry.test/orders@sha256:" + "0" * 64


def sam(stack: Any) -> dict[str, Any]:
    return sam_template(stack, "s3://bucket/function.zip", "s3://bucket/layer.zip")


def sam_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["FunctionName"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }


# -- environment ----------------------------------------------------------------------------


def test_serve_settings_reach_every_lambda_target_as_they_reach_kubernetes(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="env-a"))
    resolved = load_config(tmp_path, environ={})
    template = sam_functions(sam(stack))
    yml = {
        f["name"]: f["environment"]
        for f in serverless_yml.serverless_config(stack)["functions"].values()
    }
    deploy(stack, function_zip, layer_zip)
    lam = boto3.client("lambda")
    kube = service_specs(resolved, DIGEST, KubeVersion.parse("1.20"))[0]
    for fn in stack.functions:
        deployed = lam.get_function_configuration(FunctionName=fn.name)["Environment"]["Variables"]
        variables = template[fn.name]["Environment"]["Variables"]
        assert variables == yml[fn.name] == deployed
        assert variables["ALOFT_LOG_LEVEL"] == "debug"
        assert variables["ALOFT_ACCESS_LOG"] == "false"
        assert variables["ALOFT_LOG_SAMPLE_RATE"] == "0.25"
        # The very values the container gets, but for what only a server has.
        shared = {k: v for k, v in kube.config_env.items() if k.startswith("ALOFT_")}
        for name in SERVER_ONLY:
            assert shared.pop(f"ALOFT_{name.upper()}", None) is not None or name == "reload"
            assert f"ALOFT_{name.upper()}" not in variables
        if fn.handler != "aloft.runtime.aws_lambda.entry.handler":
            shared.pop("ALOFT_APP")
        assert {k: variables[k] for k in shared} == shared
        # The runtime client answers in streaming mode exactly where the URL streams.
        assert (variables.get("ALOFT_LAMBDA_STREAM") == "true") == fn.stream
        # And the Lambda runtime reads them back as the project set them.
        options = ServeOptions.from_env(deployed)
        assert (options.log_level, options.access_log, options.log_sample_rate) == (
            "debug",
            False,
            0.25,
        )


# -- permissions ----------------------------------------------------------------------------


def resolve(value: Any, pseudo: tuple[str, str, str]) -> Any:
    """A translated template's value with Fn::Sub filled in, as CloudFormation would."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"}:
            return fill(value["Fn::Sub"], *pseudo)
        assert not any(k.startswith("Fn::") or k == "Ref" for k in value), value
        return {k: resolve(v, pseudo) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, pseudo) for v in value]
    return value


def document(value: Any) -> Any:
    """A policy document as IAM returns it: a dict, or URL-encoded JSON text."""
    return json.loads(urllib.parse.unquote(value)) if isinstance(value, str) else value


def test_the_roles_deploy_creates_are_the_translated_sam_templates(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="iam-a"))
    deploy(stack, function_zip, layer_zip)
    identity = boto3.client("sts").get_caller_identity()
    pseudo = (identity["Arn"].split(":")[1], "us-east-1", identity["Account"])
    cloudformation = translate(sam(stack))
    functions = sam_functions(cloudformation)
    lam, iam = boto3.client("lambda"), boto3.client("iam")
    for fn in stack.functions:
        (role_id, _) = functions[fn.name]["Role"]["Fn::GetAtt"]
        declared = resolve(cloudformation["Resources"][role_id]["Properties"], pseudo)
        role_name = lam.get_function_configuration(FunctionName=fn.name)["Role"].split("/")[-1]
        created = iam.get_role(RoleName=role_name)["Role"]
        assert document(created["AssumeRolePolicyDocument"]) == declared["AssumeRolePolicyDocument"]
        attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
        assert sorted(p["PolicyArn"] for p in attached) == sorted(declared["ManagedPolicyArns"])
        (inline,) = declared["Policies"]
        assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == [inline["PolicyName"]]
        policy = iam.get_role_policy(RoleName=role_name, PolicyName=inline["PolicyName"])
        assert document(policy["PolicyDocument"]) == inline["PolicyDocument"]


def test_secrets_are_granted_on_their_own_arns_never_on_everything(tmp_path: Path) -> None:
    stack, _, _ = deployable(tmp_path, PROJECT.format(name="iam-b"))
    (api,) = [fn for fn in stack.functions if fn.key == "api"]
    granted = {
        action: resources
        for statement in api.permissions.resolved("aws", "us-east-1", "123456789012")["Statement"]
        for action in statement["Action"]
        for resources in [statement["Resource"]]
    }
    assert granted["ssm:GetParameter"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/orders/db-password"
    ]
    assert granted["secretsmanager:GetSecretValue"] == [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/api-key-??????"
    ]
    assert all("*" not in r for rs in granted.values() for r in rs)


# -- streaming and SnapStart -----------------------------------------------------------------


def test_deploy_sets_the_url_invoke_mode_and_a_rerun_changes_nothing(
    aws_env: str, tmp_path: Path
) -> None:
    text = PROJECT.format(name="mode-a").replace("snap_start = true\n", "", 1)
    stack, function_zip, layer_zip = deployable(tmp_path, text)
    deploy(stack, function_zip, layer_zip)
    url = boto3.client("lambda").get_function_url_config(
        FunctionName="mode-a-feed", Qualifier="live"
    )
    assert url["InvokeMode"] == "RESPONSE_STREAM"
    template = sam_functions(sam(stack))
    assert template["mode-a-feed"]["FunctionUrlConfig"]["InvokeMode"] == "RESPONSE_STREAM"
    assert deploy(stack, function_zip, layer_zip).changes == []

    # moto 5 ignores InvokeMode on update: the request deploy sends is what is checked.
    session = boto3.session.Session(region_name="us-east-1")
    sent: list[dict[str, Any]] = []
    session.events.register(
        "provide-client-params.lambda.UpdateFunctionUrlConfig",
        lambda params, **_: sent.append(dict(params)),
    )
    changed, _, _ = deployable(tmp_path, text.replace("stream = true\n", ""))
    result = deploy(changed, function_zip, layer_zip, session=session)
    assert "mode-a-feed: function URL invoke mode BUFFERED" in result.changes
    assert sent == [{"FunctionName": "mode-a-feed", "Qualifier": "live", "InvokeMode": "BUFFERED"}]


def test_deploy_asks_for_snap_start_on_the_versions_the_alias_serves(
    aws_env: str, tmp_path: Path
) -> None:
    """moto 5 keeps no SnapStart setting (it always answers ApplyOn None), so what is checked
    is the request deploy sends, recorded on its boto3 session as botocore builds it."""
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="snap-a"))
    session = boto3.session.Session(region_name="us-east-1")
    sent: dict[str, Any] = {}

    def record(params: dict[str, Any], **_: Any) -> None:
        sent[params["FunctionName"]] = params.get("SnapStart")

    session.events.register("provide-client-params.lambda.CreateFunction", record)
    result = deploy(stack, function_zip, layer_zip, session=session)
    assert sent == {
        "snap-a-api": {"ApplyOn": "PublishedVersions"},
        "snap-a-worker": {"ApplyOn": "None"},
        "snap-a-feed": {"ApplyOn": "PublishedVersions"},
    }
    assert result.versions == {"snap-a-api": "1", "snap-a-worker": "1", "snap-a-feed": "1"}
    template = sam_functions(sam(stack))
    assert template["snap-a-api"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert template["snap-a-api"]["AutoPublishAlias"] == "live"
    assert "SnapStart" not in template["snap-a-worker"]


def test_the_http_api_is_throttled_alike_in_the_template_and_by_deploy(
    aws_env: str, tmp_path: Path
) -> None:
    text = PROJECT.format(name="cap-a").replace(
        "snap_start = true\n", "snap_start = true\nthrottle_rate = 25.0\nthrottle_burst = 50\n", 1
    )
    stack, function_zip, layer_zip = deployable(tmp_path, text)
    deploy(stack, function_zip, layer_zip)
    api = boto3.client("apigatewayv2")
    (found,) = [a for a in api.get_apis()["Items"] if a["Name"] == "cap-a-api"]
    stage = api.get_stage(ApiId=found["ApiId"], StageName="$default")
    expected = {"ThrottlingBurstLimit": 50, "ThrottlingRateLimit": 25.0}
    assert {k: stage["DefaultRouteSettings"][k] for k in expected} == expected
    stages = [
        r["Properties"]
        for r in translate(sam(stack))["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Stage"
    ]
    assert [s["DefaultRouteSettings"] for s in stages] == [expected]


def test_queues_are_encrypted_at_rest_as_declared(aws_env: str, tmp_path: Path) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="sse-a"))
    deploy(stack, function_zip, layer_zip)
    sqs = boto3.client("sqs")
    queues = [r for r in sam(stack)["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    assert queues and all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues)
    for queue in queues:
        url = sqs.get_queue_url(QueueName=queue["Properties"]["QueueName"])["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["SqsManagedSseEnabled"] == "true"


# -- what Lambda would refuse is a config error ----------------------------------------------


def stack_error(tmp_path: Path, text: str) -> str:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        build_stack(load_config(tmp_path, environ={}))
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path / "pyproject.toml") in message
    return message


BASE = '[project]\nname = "x"\nrequires-python = "==3.12.*"\n[tool.aloft]\napp = "m:app"\n'


def test_streaming_behind_api_gateway_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        BASE + "[tool.aloft.lambda.functions.api]\nstream = true\n"
    )
    run = subprocess.run(
        [*ALOFT, "lambda", "template", "--project", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert "[tool.aloft.lambda.functions] api: stream = true" in line and "function_url" in line


def test_snap_start_on_python_before_3_12_is_one_line(tmp_path: Path) -> None:
    text = BASE.replace("==3.12.*", "==3.11.*") + "[tool.aloft.lambda]\nsnap_start = true\n"
    message = stack_error(tmp_path, text)
    assert "[tool.aloft.lambda] snap_start" in message and "python3.11" in message


def test_snap_start_on_an_image_function_is_one_line(tmp_path: Path) -> None:
    text = BASE + (
        '[tool.aloft.lambda]\npackage = "image"\n'
        "[tool.aloft.lambda.functions.api]\nsnap_start = true\n"
    )
    message = stack_error(tmp_path, text)
    assert "[tool.aloft.lambda.functions.api] snap_start" in message
    assert "container images" in message


def test_a_role_that_lost_its_managed_policy_gets_it_back(aws_env: str, tmp_path: Path) -> None:
    # Without SnapStart: moto keeps no SnapStart setting, so a rerun would differ there.
    text = PROJECT.format(name="iam-c").replace("snap_start = true\n", "", 1)
    stack, function_zip, layer_zip = deployable(tmp_path, text)
    deploy(stack, function_zip, layer_zip)
    iam = boto3.client("iam")
    role = boto3.client("lambda").get_function_configuration(FunctionName="iam-c-worker")["Role"]
    name = role.split("/")[-1]
    (attached,) = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    again = deploy(stack, function_zip, layer_zip)
    assert again.changes == [f"role {name} policy AWSLambdaBasicExecutionRole attached"]
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == [attached]


# -- provisioned concurrency and off-hours ---------------------------------------------------

OFF_HOURS = """
[project]
name = "{name}"
requires-python = "==3.12.*"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.lambda]
provisioned_concurrency = 4
active_hours = "Mon-Sat 06:15-22:45 Asia/Kolkata"

[tool.aloft.lambda.functions.api]

[tool.aloft.lambda.functions.report]
handler = "orders.jobs.report"
provisioned_concurrency = 0
events = [{{ type = "schedule", expression = "cron(30 4 ? * MON-FRI *)" }}]
"""

# Wednesday 12:00 in Kolkata: inside the window.
NOON_IN_KOLKATA = datetime.datetime(2026, 12, 2, 6, 30, tzinfo=datetime.timezone.utc)


def test_provisioned_concurrency_and_off_hours_agree_on_every_target(
    aws_env: str, tmp_path: Path
) -> None:
    """SAM (translated), serverless.yml and deploy: the same provisioned concurrency, rule names,
    schedules and scheduler role. Deploy's provisioned-concurrency calls are answered by
    provisionedkit after botocore validated them against Lambda's model (moto has none)."""
    stack, function_zip, layer_zip = deployable(tmp_path, OFF_HOURS.format(name="pc-a"))
    provisioned = ProvisionedConcurrency()
    deploy(
        stack,
        function_zip,
        layer_zip,
        session=provisioned.session(),
        clock=lambda: NOON_IN_KOLKATA,
    )
    identity = boto3.client("sts").get_caller_identity()
    pseudo = (identity["Arn"].split(":")[1], "us-east-1", identity["Account"])
    template = sam(stack)
    cloudformation = translate(template)
    errors = [f for f in cfn_lint(cloudformation, tmp_path) if f["Level"] == "Error"]
    assert errors == []
    yml = serverless_yml.serverless_config(stack)

    # Provisioned concurrency: on the live alias (SAM's AutoPublishAlias; deploy's), and on the
    # framework's alias in serverless.yml.
    aliases = [
        r["Properties"]
        for r in cloudformation["Resources"].values()
        if r["Type"] == "AWS::Lambda::Alias"
    ]
    declared = {
        a["Name"]: a["ProvisionedConcurrencyConfig"]["ProvisionedConcurrentExecutions"]
        for a in aliases
        if "ProvisionedConcurrencyConfig" in a
    }
    assert declared == {"live": 4}
    assert provisioned.configs == {("pc-a-api", "live"): 4}
    assert {f["name"]: f.get("provisionedConcurrency") for f in yml["functions"].values()} == {
        "pc-a-api": 4,
        "pc-a-report": None,
    }

    # Rules: one name everywhere, as off-hours switches them by name.
    rules = sorted(
        r["Properties"]["Name"]
        for r in cloudformation["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
    )
    deployed_rules = boto3.client("events").list_rules(NamePrefix="pc-a-")["Rules"]
    assert rules == sorted(r["Name"] for r in deployed_rules) == ["pc-a-report-schedule"]
    named = [
        e["schedule"]["name"]
        for f in yml["functions"].values()
        for e in f["events"]
        if "schedule" in e
    ]
    assert named == rules

    # The schedules: what SAM declares is what deploy created, ARNs filled in.
    scheduler = boto3.client("scheduler")
    sam_schedules = {
        r["Properties"]["Name"]: r["Properties"]
        for r in cloudformation["Resources"].values()
        if r["Type"] == "AWS::Scheduler::Schedule"
    }
    assert sorted(sam_schedules) == [
        "pc-a-api-concurrency-off",
        "pc-a-api-concurrency-on",
        "pc-a-report-schedule-off",
        "pc-a-report-schedule-on",
    ]
    for name, props in sam_schedules.items():
        made = scheduler.get_schedule(Name=name, GroupName="pc-a-off-hours")
        for key in ("ScheduleExpression", "ScheduleExpressionTimezone", "State"):
            assert made[key] == props[key]
        assert made["Target"]["Arn"] == resolve(props["Target"]["Arn"], pseudo)
        assert json.loads(made["Target"]["Input"]) == json.loads(props["Target"]["Input"])
        assert props["ScheduleExpressionTimezone"] == "Asia/Kolkata"
    assert sam_schedules["pc-a-api-concurrency-on"]["ScheduleExpression"] == (
        "cron(15 6 ? * MON,TUE,WED,THU,FRI,SAT *)"
    )
    assert json.loads(sam_schedules["pc-a-api-concurrency-on"]["Target"]["Input"]) == {
        "FunctionName": "pc-a-api",
        "Qualifier": "live",
        "ProvisionedConcurrentExecutions": 4,
    }
    yml_schedules = {
        r["Properties"]["Name"]: r["Properties"]
        for r in yml["resources"]["Resources"].values()
        if r["Type"] == "AWS::Scheduler::Schedule"
    }
    assert sorted(yml_schedules) == sorted(sam_schedules)
    assert (
        json.loads(yml_schedules["pc-a-api-concurrency-on"]["Target"]["Input"])["Qualifier"]
        == "provisioned"
    )

    # The scheduler's role: the same trust and the same one inline policy.
    iam = boto3.client("iam")
    role = resolve(cloudformation["Resources"]["OffHoursRole"]["Properties"], pseudo)
    created = iam.get_role(RoleName="pc-a-off_hours-role")["Role"]
    assert document(created["AssumeRolePolicyDocument"]) == role["AssumeRolePolicyDocument"]
    (inline,) = role["Policies"]
    policy = iam.get_role_policy(RoleName="pc-a-off_hours-role", PolicyName=inline["PolicyName"])
    assert document(policy["PolicyDocument"]) == inline["PolicyDocument"]
    group = cloudformation["Resources"]["OffHoursScheduleGroup"]["Properties"]
    assert group["Name"] == "pc-a-off-hours"
    assert scheduler.get_schedule_group(Name=group["Name"])["State"] == "ACTIVE"
