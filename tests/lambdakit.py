"""Helpers for the Lambda tests: events, a Lambda context, tiny apps, an emulator on a function."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aloft.serverless.emulator import Emulator, FunctionSpec, HTTPFront
from aloft.serverless.http_events import EventFormat, http_event

FUNCTIONS = Path(__file__).parent / "serverless" / "functions"

ALOFT_BOOTSTRAP = [sys.executable, "-m", "aloft.runtime.aws_lambda"]


def awslambdaric(handler: str) -> list[str]:
    return [sys.executable, "-m", "awslambdaric", handler]


class Context:
    """What a Lambda runtime client passes as `context`."""

    def __init__(
        self, request_id: str = "req-0001", remaining_ms: int = 30_000, trace: str = ""
    ) -> None:
        self.aws_request_id = request_id
        self.trace_id = trace
        self.function_name = "test"
        self._deadline = time.time() * 1000 + remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(int(self._deadline - time.time() * 1000), 0)


def event(
    fmt: EventFormat = "v2",
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    stage: str = "$default",
) -> dict[str, Any]:
    return http_event(
        fmt, method, path, query, headers or [("host", "api.test")], body, stage=stage
    )


async def echo_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with what it was asked: the request as JSON, or the raw body for /raw."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                ECHO_LIFESPAN.append("startup")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                ECHO_LIFESPAN.append("shutdown")
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"].endswith("/boom"):
        raise RuntimeError("boom")
    if scope["path"].endswith("/raw"):
        ctype = dict(scope["headers"]).get(b"content-type", b"application/octet-stream")
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", ctype)]}
        )
        await send({"type": "http.response.body", "body": body})
        return
    payload = {
        "method": scope["method"],
        "path": scope["path"],
        "root_path": scope["root_path"],
        "query": scope["query_string"].decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        "body": body.decode("utf-8", "replace"),
        "has_event": "aws.event" in scope,
    }
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [
                (b"content-type", b"application/json"),
                (b"set-cookie", b"a=1"),
                (b"set-cookie", b"b=2"),
                (b"x-multi", b"one"),
                (b"x-multi", b"two"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


ECHO_LIFESPAN: list[str] = []


def header(response: dict[str, Any], name: str) -> list[str]:
    """Every value of header `name` in a Lambda HTTP response, whichever form it uses."""
    values = [v for k, v in (response.get("headers") or {}).items() if k.lower() == name]
    for k, vs in (response.get("multiValueHeaders") or {}).items():
        if k.lower() == name:
            values.extend(vs)
    if name == "set-cookie":
        values.extend(response.get("cookies") or [])
    return values


@contextlib.contextmanager
def emulated(
    command: list[str],
    cwd: Path = FUNCTIONS,
    env: dict[str, str] | None = None,
    timeout: float = 10.0,
    concurrency: int = 2,
    fmt: EventFormat = "v2",
    name: str = "fn",
    stream: bool = False,
    extensions: bool = False,
) -> Iterator[tuple[Emulator, HTTPFront, list[str]]]:
    lines: list[str] = []
    spec = FunctionSpec(
        name,
        command,
        cwd,
        dict(env or {}),
        timeout=timeout,
        concurrency=concurrency,
        stream=stream,
        extensions=extensions,
    )
    emulator = Emulator(spec, output=lines.append)
    front = HTTPFront(emulator, fmt=fmt)
    front.start()
    try:
        yield emulator, front, lines
    finally:
        front.close()
        emulator.close()


def json_lines(lines: list[str]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                out.append(value)
    return out


class ManagedPolicies:
    """The managed-policy map aws-sam-translator would otherwise fetch from IAM."""

    def load(self) -> dict[str, str]:
        names = [
            "AWSLambdaBasicExecutionRole",
            "AWSLambdaSQSQueueExecutionRole",
            "AWSXrayWriteOnlyAccess",
        ]
        return {name: f"arn:aws:iam::aws:policy/service-role/{name}" for name in names}


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """SAM -> CloudFormation with aws-sam-translator, offline."""
    import os

    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(template, {}, ManagedPolicies())  # type: ignore[arg-type]


def cfn_lint(template: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """cfn-lint's findings (errors and warnings) for a template, as JSON records."""
    import subprocess

    path = folder / f"template-{len(list(folder.glob('template-*')))}.json"
    path.write_text(json.dumps(template))
    cfn_lint_bin = Path(sys.executable).parent / "cfn-lint"
    run = subprocess.run(
        [str(cfn_lint_bin), "--format", "json", "--regions", "us-east-1", "--", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode in (0, 2, 4, 6, 8, 10, 12, 14), run.stderr
    return json.loads(run.stdout or "[]")  # type: ignore[no-any-return]


def deployable(tmp_path: Path, pyproject: str) -> tuple[Any, Path, Path]:
    """A project's stack from `pyproject` text, with a function zip and a layer zip to deploy."""
    from aloft.config import load_config
    from aloft.serverless.model import build_stack
    from aloft.serverless.package import write_zip

    (tmp_path / "pyproject.toml").write_text(pyproject)
    code = tmp_path / "code"
    deps = tmp_path / "deps"
    if not code.exists():
        code.mkdir()
        (code / "handler.py").write_text("def handler(event, context):\n    return 1\n")
        deps.mkdir()
        (deps / "lib.py").write_text("X = 1\n")
    stack = build_stack(load_config(tmp_path, environ={}))
    return (
        stack,
        write_zip(code, tmp_path / "function.zip").path,
        write_zip(deps, tmp_path / "layer.zip", "python/").path,
    )


def aws_state(prefix: str) -> dict[str, Any]:
    """Everything on the (moto) account whose name starts with `prefix`, with tags and settings:
    two snapshots are equal only if nothing deploy manages has changed in between."""
    import boto3

    lam, sqs, iam = boto3.client("lambda"), boto3.client("sqs"), boto3.client("iam")
    api, events, dynamodb = (
        boto3.client("apigatewayv2"),
        boto3.client("events"),
        boto3.client("dynamodb"),
    )
    state: dict[str, Any] = {}
    for fn in lam.list_functions()["Functions"]:
        name = fn["FunctionName"]
        if not name.startswith(prefix):
            continue
        aliases = lam.list_aliases(FunctionName=name)["Aliases"]
        urls = []  # moto has no list_function_url_configs: ask per alias
        for alias in aliases:
            with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
                urls.append(lam.get_function_url_config(FunctionName=name, Qualifier=alias["Name"]))
        mappings = []
        for alias in aliases:
            for m in lam.list_event_source_mappings(FunctionName=alias["AliasArn"])[
                "EventSourceMappings"
            ]:
                mappings.append(
                    (
                        m["EventSourceArn"],
                        m["BatchSize"],
                        lam.list_tags(Resource=m["EventSourceMappingArn"])["Tags"],
                    )
                )
        state[f"function {name}"] = {
            "config": {k: fn.get(k) for k in ("CodeSha256", "MemorySize", "Role", "Layers")},
            "tags": lam.list_tags(Resource=fn["FunctionArn"])["Tags"],
            "versions": [
                v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]
            ],
            "aliases": sorted((a["Name"], a["FunctionVersion"]) for a in aliases),
            "urls": sorted(u["FunctionUrl"] for u in urls),
            "mappings": sorted(mappings, key=str),
        }
    for url in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        state[f"queue {url.rsplit('/', 1)[-1]}"] = {
            "tags": sqs.list_queue_tags(QueueUrl=url).get("Tags", {}),
            "redrive": attributes.get("RedrivePolicy"),
            "visibility": attributes.get("VisibilityTimeout"),
        }
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        if name.startswith(prefix):
            state[f"role {name}"] = {
                "tags": iam.list_role_tags(RoleName=name)["Tags"],
                "policies": iam.list_role_policies(RoleName=name)["PolicyNames"],
            }
    for item in api.get_apis()["Items"]:
        if item["Name"].startswith(prefix):
            state[f"http-api {item['Name']} {item['ApiId']}"] = item.get("Tags")
    for rule in events.list_rules(NamePrefix=prefix)["Rules"]:
        state[f"schedule {rule['Name']}"] = {
            "expression": rule.get("ScheduleExpression"),
            "tags": events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"],
            "targets": events.list_targets_by_rule(Rule=rule["Name"])["Targets"],
        }
    for table in dynamodb.list_tables()["TableNames"]:
        if table.startswith(prefix):
            arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
            state[f"table {table}"] = dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    return state


@contextlib.contextmanager
def moto(**env: str) -> Iterator[str]:
    """A moto server (AWS's APIs) on 127.0.0.1 for the block; its URL. `env` tunes moto."""
    import os
    import shutil
    import subprocess

    import httpx
    import pytest

    from testkit import free_port

    binary = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # AWS's managed policies (AWSLambdaBasicExecutionRole) exist in every real account.
        env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true", **env},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/moto-api/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("moto_server did not start")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(10)


def point_boto3_at(url: str, monkeypatch: Any) -> str:
    """boto3 pointed at a moto server, with dummy credentials (no AWS account is involved)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return url


SLS_PRELOAD = """
// Every AWS SDK call of the Serverless Framework goes to a local endpoint, never to AWS.
const sdk = require(process.env.ALOFT_SLS_AWS_SDK);
sdk.config.update({ endpoint: process.env.ALOFT_SLS_AWS_ENDPOINT, s3ForcePathStyle: true });
"""


def sls(binary: Path, folder: Path, env: dict[str, str], *args: str) -> Any:
    """The Serverless Framework run in `folder`; the finished process (text output)."""
    import subprocess

    return subprocess.run(
        [str(binary), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def record_errors(function: str, version: str, count: int = 1) -> None:
    """What Lambda records when `version` of `function` fails in production: its Errors metric
    (on the moto server boto3 points at), which a gradual release watches."""
    import datetime

    import boto3

    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "Errors",
                "Value": count,
                "Timestamp": datetime.datetime.now(datetime.timezone.utc),
                "Dimensions": [
                    {"Name": "FunctionName", "Value": function},
                    {"Name": "ExecutedVersion", "Value": version},
                ],
            }
        ],
    )
