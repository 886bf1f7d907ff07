"""serverless.yml read back by the Serverless Framework v3 itself, against the SAM template.

Both are rendered from one model; `serverless print` must resolve the serverless.yml into the
functions, events, settings and grants the SAM template declares, and `serverless package` must
compile it to CloudFormation that passes cfn-lint and matches the translated SAM template. The
framework runs offline: dummy credentials, and a preloaded module sends every AWS SDK call it
makes (package compares layers with the deployed stack) to the moto server instead of AWS.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from aloft.config import load_config
from aloft.serverless import serverless_yml
from aloft.serverless.model import Stack, build_stack
from aloft.serverless.template import sam_template
from lambdakit import cfn_lint, sls, translate
from testkit import EXAMPLES

ORDERS = """
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
budget_alerts = [50.0, 90.0]

[tool.aloft.lambda]
architecture = "arm64"
active_hours = "Mon-Fri 07:30-19:00 America/New_York"

[tool.aloft.lambda.functions.api]
memory = 1024
timeout = 20
reserved_concurrency = 20
idempotency = true
snap_start = true
secrets = { DB_PASSWORD = "ssm:/orders/db-password", API_KEY = "secretsmanager:orders/api-key" }
environment = { LOG_FORMAT = "json" }

[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
timeout = 60
maximum_retry_attempts = 0
events = [
  { type = "sqs", queue = "orders", batch_size = 100, max_receive_count = 5 },
  { type = "sqs", queue = "ledger", fifo = true, batch_size = 10 },
]

[tool.aloft.lambda.functions.nightly]
handler = "orders.jobs.nightly"
memory = 256
events = [{ type = "schedule", expression = "cron(0 3 * * ? *)" }]

[tool.aloft.lambda.functions.hook]
timeout = 10
provisioned_concurrency = 3
stream = true
events = [{ type = "function_url" }]
"""

PROJECTS = {
    "fastapi": (EXAMPLES / "fastapi" / "pyproject.toml").read_text(),
    "orders": ORDERS,
}
CODE, LAYER = "dist/lambda/function.zip", "dist/lambda/layer.zip"
# serverless@3's schema lists Lambda runtimes up to python3.11: newer ones are warned about.
RUNTIME_WARNING = re.compile(r"at '[^']*(runtime|compatibleRuntimes\.\d+)': must be equal to one")


class Rendered:
    def __init__(self, folder: Path, stack: Stack, sam: dict[str, Any]) -> None:
        self.folder = folder
        self.stack = stack
        self.sam = sam
        self.printed: dict[str, Any] = {}
        self.print_stderr = ""

    def sam_functions(self) -> dict[str, dict[str, Any]]:
        """SAM function properties by AWS function name."""
        return {
            r["Properties"]["FunctionName"]: r["Properties"]
            for r in self.sam["Resources"].values()
            if r["Type"] == "AWS::Serverless::Function"
        }

    def printed_functions(self) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.printed["functions"].values()}


@pytest.fixture(scope="module", params=sorted(PROJECTS))
def rendered(
    request: pytest.FixtureRequest,
    serverless: Path,
    sls_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Rendered:
    folder = tmp_path_factory.mktemp(request.param)
    (folder / "pyproject.toml").write_text(PROJECTS[request.param])
    stack = build_stack(load_config(folder, environ={}))
    config = serverless_yml.serverless_config(stack, CODE, LAYER)
    (folder / "serverless.yml").write_text(serverless_yml.to_yaml(config))
    (folder / "dist" / "lambda").mkdir(parents=True)
    for artifact in (CODE, LAYER):
        with zipfile.ZipFile(folder / artifact, "w") as zf:
            zf.writestr("placeholder.py", "")
    result = Rendered(
        folder, stack, sam_template(stack, f"s3://bucket/{CODE}", f"s3://bucket/{LAYER}")
    )
    run = sls(serverless, folder, sls_env, "print", "--format", "json")
    assert run.returncode == 0, run.stderr[-3000:]
    result.printed = json.loads(run.stdout)
    result.print_stderr = run.stderr
    return result


def test_print_finds_nothing_invalid_but_runtimes_newer_than_v3(rendered: Rendered) -> None:
    findings = [
        line.strip()
        for line in rendered.print_stderr.splitlines()
        if line.strip().startswith("at '")
    ]
    assert [f for f in findings if not RUNTIME_WARNING.search(f)] == []
    assert "deprecation" not in rendered.print_stderr


def test_printed_settings_match_the_sam_template(rendered: Rendered) -> None:
    provider = rendered.printed["provider"]
    sam = rendered.sam_functions()
    printed = rendered.printed_functions()
    assert set(printed) == set(sam)
    for name, props in sam.items():
        fn = printed[name]
        assert fn["handler"] == props["Handler"]
        assert fn["memorySize"] == props["MemorySize"]
        assert fn["timeout"] == props["Timeout"]
        assert fn["environment"] == props["Environment"]["Variables"]
        assert fn.get("reservedConcurrency") == props.get("ReservedConcurrentExecutions")
        invoke = props["EventInvokeConfig"]
        assert fn["maximumRetryAttempts"] == invoke["MaximumRetryAttempts"]
        assert (
            fn["destinations"]["onFailure"]["arn"]
            == (invoke["DestinationConfig"]["OnFailure"]["Destination"])
        )
        assert [provider["architecture"]] == props["Architectures"]
        assert provider["runtime"] == props["Runtime"]
        assert provider["tags"] == props["Tags"] == provider["stackTags"]
        assert ("layers" in fn) == ("Layers" in props)


def test_printed_events_match_the_sam_template(rendered: Rendered) -> None:
    printed = rendered.printed_functions()
    for name, props in rendered.sam_functions().items():
        expected: list[Any] = []
        for event in (props.get("Events") or {}).values():
            kind, spec = event["Type"], event.get("Properties", {})
            if kind == "HttpApi":
                expected.append({"httpApi": "*"})
            elif kind == "SQS":
                (response_type,) = spec["FunctionResponseTypes"]
                expected.append(
                    {
                        "sqs": {
                            "arn": spec["Queue"],
                            "batchSize": spec["BatchSize"],
                            "functionResponseType": response_type,
                        }
                    }
                )
            elif kind == "Schedule":
                # Named alike: off-hours switches the rule by its name.
                expected.append({"schedule": {"rate": [spec["Schedule"]], "name": spec["Name"]}})
        assert printed[name]["events"] == expected
        assert bool(printed[name].get("url")) == ("FunctionUrlConfig" in props)


def on_alias(resources: dict[str, Any], alias: str) -> dict[str, Any]:
    """Resources with every reference to a function alias moved to `alias`."""
    text = json.dumps(resources)
    for fn in ("live", "provisioned"):
        text = text.replace(f'\\"Qualifier\\":\\"{fn}\\"', f'\\"Qualifier\\":\\"{alias}\\"')
        text = re.sub(rf'(:function:[A-Za-z0-9-]+):{fn}"', rf'\1:{alias}"', text)
    return json.loads(text)  # type: ignore[no-any-return]


def test_printed_resources_match_the_sam_template(rendered: Rendered) -> None:
    """Queues (with their DLQ redrive), the idempotency table, the budget and the off-hours
    schedules: the same resources, but that the framework's provisioned concurrency alias is
    named `provisioned`, so the off-hours schedules and their role address that alias."""
    sam = {
        key: value
        for key, value in rendered.sam["Resources"].items()
        if not value["Type"].startswith("AWS::Serverless::")
        and value["Type"] != "AWS::CloudWatch::Alarm"  # traffic-shifting alarms: SAM only
    }
    printed = rendered.printed["resources"]["Resources"]
    assert printed == on_alias(sam, "provisioned")
    assert on_alias(printed, "live") == sam
    if any(fn.provisioned_concurrency for fn in rendered.stack.functions):
        assert printed != sam  # the alias really is another here


def test_each_function_runs_under_the_role_the_sam_template_declares(rendered: Rendered) -> None:
    """One permissions builder: the same role resource in both, and no shared role beside it."""
    printed = rendered.printed_functions()
    resources = rendered.printed["resources"]["Resources"]
    for name, props in rendered.sam_functions().items():
        ((role, _),) = [props["Role"]["Fn::GetAtt"]]
        assert printed[name]["role"] == role
        assert resources[role] == rendered.sam["Resources"][role]
        assert resources[role]["Type"] == "AWS::IAM::Role"
    assert "iam" not in rendered.printed["provider"]


def test_printed_streaming_snap_start_and_provisioned_match_the_sam_template(
    rendered: Rendered,
) -> None:
    printed = rendered.printed_functions()
    for name, props in rendered.sam_functions().items():
        provisioned = props.get("ProvisionedConcurrencyConfig", {})
        assert printed[name].get("provisionedConcurrency") == provisioned.get(
            "ProvisionedConcurrentExecutions"
        )
        url = props.get("FunctionUrlConfig", {})
        streams = url.get("InvokeMode") == "RESPONSE_STREAM"
        assert (printed[name].get("url") == {"invokeMode": "RESPONSE_STREAM"}) == streams
        assert bool(printed[name].get("snapStart")) == ("SnapStart" in props)


@pytest.fixture(scope="module")
def packaged(rendered: Rendered, serverless: Path, sls_env: dict[str, str]) -> dict[str, Any]:
    run = sls(serverless, rendered.folder, sls_env, "package")
    assert run.returncode == 0, run.stderr[-3000:]
    path = rendered.folder / ".serverless" / "cloudformation-template-update-stack.json"
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_packaged_cloudformation_passes_cfn_lint(packaged: dict[str, Any], tmp_path: Path) -> None:
    findings = [
        f"{f['Rule']['Id']} {f['Location']['Path']} {f['Message']}"
        for f in cfn_lint(packaged, tmp_path)
        if f["Level"] in ("Error", "Warning")
        # The framework names its HTTP API route's integration, a function's own role and the
        # function of its SnapStart alias twice (a Ref or GetAtt, and a DependsOn it adds).
        and not (
            f["Rule"]["Id"] == "W3005"
            and (
                any(
                    k in str(f["Location"]["Path"])
                    for k in ("HttpApiRoute", "SnapStartLambdaAlias", "ProvConcLambdaAlias")
                )
                or "Role" in f["Message"]
            )
        )
    ]
    assert findings == []


def by_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def test_packaged_cloudformation_matches_the_translated_sam_template(
    rendered: Rendered, packaged: dict[str, Any]
) -> None:
    sam = translate(rendered.sam)
    keys = (
        "Handler",
        "Runtime",
        "MemorySize",
        "Timeout",
        "Architectures",
        "Environment",
        "Role",
        "SnapStart",
    )
    sls_fns = {p["FunctionName"]: p for p in by_type(packaged, "AWS::Lambda::Function")}
    sam_fns = {p["FunctionName"]: p for p in by_type(sam, "AWS::Lambda::Function")}
    assert set(sls_fns) == set(sam_fns)
    for name, props in sam_fns.items():
        assert {k: sls_fns[name].get(k) for k in keys} == {k: props.get(k) for k in keys}
        assert sls_fns[name].get("ReservedConcurrentExecutions") == props.get(
            "ReservedConcurrentExecutions"
        )
        tags = {t["Key"]: t["Value"] for t in sls_fns[name]["Tags"]}
        assert tags == rendered.stack.tags
    mappings = ("BatchSize", "FunctionResponseTypes", "EventSourceArn")
    assert sorted(
        json.dumps({k: p[k] for k in mappings}, sort_keys=True)
        for p in by_type(packaged, "AWS::Lambda::EventSourceMapping")
    ) == sorted(
        json.dumps({k: p[k] for k in mappings}, sort_keys=True)
        for p in by_type(sam, "AWS::Lambda::EventSourceMapping")
    )
    assert sorted(
        (p["Name"], p["ScheduleExpression"]) for p in by_type(packaged, "AWS::Events::Rule")
    ) == sorted((p["Name"], p["ScheduleExpression"]) for p in by_type(sam, "AWS::Events::Rule"))

    def modes(template: dict[str, Any]) -> list[str]:
        return sorted(
            p.get("InvokeMode", "BUFFERED") for p in by_type(template, "AWS::Lambda::Url")
        )

    assert modes(packaged) == modes(sam)
    # SnapStart and provisioned-concurrency versions are served behind the framework's own
    # aliases, the latter with the concurrency SAM puts on `live`.
    snap_starts = [fn for fn in rendered.stack.functions if fn.snap_start]
    aliases = {p["Name"]: p for p in by_type(packaged, "AWS::Lambda::Alias")}
    sam_aliases = by_type(sam, "AWS::Lambda::Alias")
    wanted = {
        fn.provisioned_concurrency for fn in rendered.stack.functions if fn.provisioned_concurrency
    }
    assert sorted(aliases) == sorted(
        ["snapstart"] * len(snap_starts) + ["provisioned"] * len(wanted)
    )
    # Every alias an event or permission invokes exists (the framework names it when it
    # compiles the events: an alias renamed after would leave them pointing at nothing).
    declared = {
        (r["Properties"]["FunctionName"]["Ref"], r["Properties"]["Name"])
        for r in packaged["Resources"].values()
        if r["Type"] == "AWS::Lambda::Alias"
    }
    invoked = set(
        re.findall(
            r'"Fn::Join": \[":", \[\{"Fn::GetAtt": \["(\w+)", "Arn"\]\}, "([\w-]+)"\]\]',
            json.dumps(packaged),
        )
    )
    assert invoked <= declared
    assert bool(invoked) == bool(declared)
    assert (
        {
            p["ProvisionedConcurrencyConfig"]["ProvisionedConcurrentExecutions"]
            for p in aliases.values()
            if "ProvisionedConcurrencyConfig" in p
        }
        == wanted
        == {
            p["ProvisionedConcurrencyConfig"]["ProvisionedConcurrentExecutions"]
            for p in sam_aliases
            if "ProvisionedConcurrencyConfig" in p
        }
    )
    schedules = ("Name", "ScheduleExpression", "ScheduleExpressionTimezone", "State")
    assert sorted(
        json.dumps({k: p[k] for k in schedules})
        for p in by_type(packaged, "AWS::Scheduler::Schedule")
    ) == sorted(
        json.dumps({k: p[k] for k in schedules}) for p in by_type(sam, "AWS::Scheduler::Schedule")
    )
    assert "IamRoleLambdaExecution" not in packaged["Resources"]  # no shared role of its own
    stages = by_type(packaged, "AWS::ApiGatewayV2::Stage")
    assert [s["DefaultRouteSettings"] for s in stages] == [
        s["DefaultRouteSettings"] for s in by_type(sam, "AWS::ApiGatewayV2::Stage")
    ]
    assert sorted(
        json.dumps(p, sort_keys=True) for p in by_type(packaged, "AWS::SQS::Queue")
    ) == sorted(json.dumps(p, sort_keys=True) for p in by_type(sam, "AWS::SQS::Queue"))
