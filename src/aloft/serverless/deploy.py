"""`aloft lambda deploy`: create or update exactly what the template declares, with boto3.

Every step first reads what exists and changes only what differs, so re-running with no change
changes nothing. A new version is published only when code or configuration changed; the `live`
alias then moves to it at once, or in steps guarded by the function's error metric, rolling
back to the previous version when errors appear.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aloft.exceptions import OperationFailed
from aloft.serverless.model import ALIAS, Function, Queue, Stack

_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
_BASIC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# Gradual traffic shifting: share of traffic on the new version at each step.
STEPS = {
    "Canary10Percent5Minutes": [0.1],
    "Canary10Percent10Minutes": [0.1],
    "Linear10PercentEvery1Minute": [0.1 * i for i in range(1, 10)],
    "Linear10PercentEvery2Minutes": [0.1 * i for i in range(1, 10)],
}


@dataclass
class DeployResult:
    changes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # function -> version the alias serves
    urls: dict[str, str] = field(default_factory=dict)
    rolled_back: list[str] = field(default_factory=list)


def _boto3() -> Any:
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError:
        raise OperationFailed(
            "aloft lambda deploy needs boto3: install aloft with the aws extra "
            "(pip install 'aloft[aws]')"
        ) from None
    return boto3


class Deployer:
    def __init__(
        self,
        stack: Stack,
        function_zip: Path,
        layer_zip: Path | None = None,
        *,
        session: Any = None,
        step_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.stack = stack
        self.function_zip = function_zip.read_bytes()
        self.layer_zip = layer_zip.read_bytes() if layer_zip else None
        session = session or _boto3().session.Session(region_name=stack.region)
        self.clients = {
            name: session.client(name)
            for name in (
                "iam",
                "sqs",
                "dynamodb",
                "lambda",
                "apigatewayv2",
                "events",
                "cloudwatch",
                "sts",
            )
        }
        self.step_seconds = step_seconds
        self.sleep = sleep
        self.result = DeployResult()

    def client(self, name: str) -> Any:
        return self.clients[name]

    def changed(self, what: str) -> None:
        self.result.changes.append(what)

    # -- supporting resources -------------------------------------------------------------

    def role(self, fn: Function) -> str:
        iam = self.client("iam")
        name = f"{fn.name}-role"[:64]
        try:
            arn = str(iam.get_role(RoleName=name)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            arn = str(
                iam.create_role(
                    RoleName=name,
                    AssumeRolePolicyDocument=_TRUST,
                    Tags=[{"Key": k, "Value": v} for k, v in sorted(self.stack.tags.items())],
                )["Role"]["Arn"]
            )
            iam.attach_role_policy(RoleName=name, PolicyArn=_BASIC_POLICY)
            self.changed(f"role {name} created")
        policy = json.dumps(self._policy(fn), sort_keys=True)
        try:
            current = iam.get_role_policy(RoleName=name, PolicyName="aloft")["PolicyDocument"]
            if not isinstance(current, str):
                current = json.dumps(current, sort_keys=True)
            same = json.loads(current) == json.loads(policy)
        except iam.exceptions.NoSuchEntityException:
            same = False
        if not same:
            iam.put_role_policy(RoleName=name, PolicyName="aloft", PolicyDocument=policy)
            self.changed(f"role {name} policy set")
        return arn

    def _policy(self, fn: Function) -> dict[str, Any]:
        statements: list[dict[str, Any]] = [
            {
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [self.queue_arns[fn.on_failure.name]],
            }
        ]
        if fn.queues:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    "Resource": sorted(self.queue_arns[q.name] for q in fn.queues.values()),
                }
            )
        if fn.idempotency:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": [
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                    ],
                    "Resource": [self.table_arn],
                }
            )
        for ref in sorted(fn.secrets.values()):
            kind = ref.partition(":")[0]
            action = "ssm:GetParameter" if kind == "ssm" else "secretsmanager:GetSecretValue"
            statements.append({"Effect": "Allow", "Action": [action], "Resource": ["*"]})
        return {"Version": "2012-10-17", "Statement": statements}

    def queue(self, queue: Queue) -> str:
        sqs = self.client("sqs")
        attributes = {"VisibilityTimeout": str(queue.visibility_timeout)}
        if queue.fifo:
            attributes["FifoQueue"] = "true"
        if queue.dead_letter is not None:
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": self.queue_arns[queue.dead_letter.name],
                    "maxReceiveCount": str(queue.max_receive_count),
                }
            )
        try:
            url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            url = sqs.create_queue(
                QueueName=queue.name, Attributes=attributes, tags=self.stack.tags
            )["QueueUrl"]
            self.changed(f"queue {queue.name} created")
        current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        differs = {
            k: v
            for k, v in attributes.items()
            if k != "FifoQueue" and not _same_attr(current.get(k), v)
        }
        if differs:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=differs)
            self.changed(f"queue {queue.name} attributes set")
        arn = str(current["QueueArn"])
        self.queue_arns[queue.name] = arn
        return arn

    def table(self) -> None:
        dynamodb = self.client("dynamodb")
        name = self.stack.idempotency_table
        try:
            self.table_arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
            return
        except dynamodb.exceptions.ResourceNotFoundException:
            pass
        self.table_arn = dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            Tags=[{"Key": k, "Value": v} for k, v in sorted(self.stack.tags.items())],
        )["TableDescription"]["TableArn"]
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": True}
        )
        self.changed(f"table {name} created")

    def layer(self) -> str | None:
        if self.layer_zip is None:
            return None
        lam = self.client("lambda")
        digest = "sha256:" + hashlib.sha256(self.layer_zip).hexdigest()
        versions = lam.list_layer_versions(LayerName=self.stack.layer_name).get("LayerVersions", [])
        for version in versions:
            if version.get("Description") == digest:
                return str(version["LayerVersionArn"])
        published = lam.publish_layer_version(
            LayerName=self.stack.layer_name,
            Description=digest,
            Content={"ZipFile": self.layer_zip},
            CompatibleRuntimes=[self.stack.runtime],
            CompatibleArchitectures=[self.stack.architecture],
        )
        self.changed(f"layer {self.stack.layer_name} version {published['Version']} published")
        return str(published["LayerVersionArn"])

    # -- the function -----------------------------------------------------------------------

    def function(self, fn: Function, role: str, layer: str | None) -> None:
        lam = self.client("lambda")
        code_sha = base64.b64encode(hashlib.sha256(self.function_zip).digest()).decode()
        config: dict[str, Any] = {
            "Role": role,
            "Handler": fn.handler,
            "Runtime": self.stack.runtime,
            "MemorySize": fn.memory,
            "Timeout": fn.timeout,
            "Environment": {"Variables": dict(sorted(fn.environment.items()))},
            "Layers": [layer] if layer else [],
        }
        try:
            current = lam.get_function(FunctionName=fn.name)
        except lam.exceptions.ResourceNotFoundException:
            current = None
        if current is None:
            lam.create_function(
                FunctionName=fn.name,
                Code={"ZipFile": self.function_zip},
                Architectures=[self.stack.architecture],
                Tags=dict(self.stack.tags),
                **config,
            )
            self.changed(f"function {fn.name} created")
            dirty = True
        else:
            dirty = False
            conf = current["Configuration"]
            if conf.get("CodeSha256") != code_sha or conf.get("Architectures", ["x86_64"]) != [
                self.stack.architecture
            ]:
                lam.update_function_code(
                    FunctionName=fn.name,
                    ZipFile=self.function_zip,
                    Architectures=[self.stack.architecture],
                )
                self.changed(f"function {fn.name} code updated")
                dirty = True
            existing = {
                "Role": conf.get("Role"),
                "Handler": conf.get("Handler"),
                "Runtime": conf.get("Runtime"),
                "MemorySize": conf.get("MemorySize"),
                "Timeout": conf.get("Timeout"),
                "Environment": {
                    "Variables": dict(
                        sorted((conf.get("Environment") or {}).get("Variables", {}).items())
                    )
                },
                "Layers": [entry["Arn"] for entry in conf.get("Layers", [])],
            }
            if existing != config:
                lam.update_function_configuration(FunctionName=fn.name, **config)
                self.changed(f"function {fn.name} configuration updated")
                dirty = True
        self._concurrency(fn)
        self._invoke_config(fn)
        self._release(fn, dirty)

    def _concurrency(self, fn: Function) -> None:
        lam = self.client("lambda")
        current = lam.get_function_concurrency(FunctionName=fn.name).get(
            "ReservedConcurrentExecutions"
        )
        if current == fn.reserved_concurrency:
            return
        if fn.reserved_concurrency is None:
            lam.delete_function_concurrency(FunctionName=fn.name)
        else:
            lam.put_function_concurrency(
                FunctionName=fn.name, ReservedConcurrentExecutions=fn.reserved_concurrency
            )
        self.changed(f"function {fn.name} reserved concurrency set")

    def _invoke_config(self, fn: Function) -> None:
        lam = self.client("lambda")
        wanted = {
            "MaximumRetryAttempts": fn.maximum_retry_attempts,
            "DestinationConfig": {
                "OnFailure": {"Destination": self.queue_arns[fn.on_failure.name]}
            },
        }
        try:
            current = lam.get_function_event_invoke_config(FunctionName=fn.name)
            same = current.get("MaximumRetryAttempts") == fn.maximum_retry_attempts and (
                current.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                == self.queue_arns[fn.on_failure.name]
            )
        except lam.exceptions.ResourceNotFoundException:
            same = False
        if not same:
            lam.put_function_event_invoke_config(FunctionName=fn.name, **wanted)
            self.changed(f"function {fn.name} retries and on-failure destination set")

    def _release(self, fn: Function, dirty: bool) -> None:
        lam = self.client("lambda")
        versions = [
            v["Version"]
            for v in lam.list_versions_by_function(FunctionName=fn.name)["Versions"]
            if v["Version"] != "$LATEST"
        ]
        try:
            alias = lam.get_alias(FunctionName=fn.name, Name=ALIAS)
        except lam.exceptions.ResourceNotFoundException:
            alias = None
        if not dirty and versions and alias is not None:
            self.result.versions[fn.name] = alias["FunctionVersion"]
            return
        new = str(lam.publish_version(FunctionName=fn.name)["Version"])
        self.changed(f"function {fn.name} version {new} published")
        if alias is None:
            lam.create_alias(FunctionName=fn.name, Name=ALIAS, FunctionVersion=new)
            self.changed(f"alias {fn.name}:{ALIAS} -> {new}")
            self.result.versions[fn.name] = new
            return
        old = str(alias["FunctionVersion"])
        if old == new:
            self.result.versions[fn.name] = new
            return
        for weight in STEPS.get(fn.deployment, []):
            lam.update_alias(
                FunctionName=fn.name,
                Name=ALIAS,
                FunctionVersion=old,
                RoutingConfig={"AdditionalVersionWeights": {new: round(weight, 2)}},
            )
            self.sleep(self.step_seconds)
            if self._errors(fn, new) > 0:
                lam.update_alias(
                    FunctionName=fn.name,
                    Name=ALIAS,
                    FunctionVersion=old,
                    RoutingConfig={"AdditionalVersionWeights": {}},
                )
                self.changed(f"alias {fn.name}:{ALIAS} rolled back to {old} (errors on {new})")
                self.result.rolled_back.append(fn.name)
                self.result.versions[fn.name] = old
                return
        lam.update_alias(
            FunctionName=fn.name,
            Name=ALIAS,
            FunctionVersion=new,
            RoutingConfig={"AdditionalVersionWeights": {}},
        )
        self.changed(f"alias {fn.name}:{ALIAS} -> {new}")
        self.result.versions[fn.name] = new

    def _errors(self, fn: Function, version: str) -> float:
        """The new version's Errors metric over the last step: the health check."""
        now = time.time()
        stats = self.client("cloudwatch").get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Dimensions=[
                {"Name": "FunctionName", "Value": fn.name},
                {"Name": "ExecutedVersion", "Value": version},
            ],
            StartTime=now - max(self.step_seconds, 60) - 60,
            EndTime=now + 60,
            Period=60,
            Statistics=["Sum"],
        )
        return float(sum(point.get("Sum", 0) for point in stats.get("Datapoints", [])))

    # -- event sources ------------------------------------------------------------------------

    def events(self, fn: Function) -> None:
        lam = self.client("lambda")
        alias_arn = self._alias_arn(fn)
        mappings = lam.list_event_source_mappings(FunctionName=alias_arn).get(
            "EventSourceMappings", []
        )
        for event in fn.events:
            if event.type == "sqs":
                arn = self.queue_arns[fn.queues[event.queue].name]
                existing = [m for m in mappings if m["EventSourceArn"] == arn]
                if not existing:
                    lam.create_event_source_mapping(
                        FunctionName=alias_arn,
                        EventSourceArn=arn,
                        BatchSize=event.batch_size,
                        FunctionResponseTypes=["ReportBatchItemFailures"],
                    )
                    self.changed(f"{fn.name}: SQS {event.queue} mapped")
                elif existing[0].get("BatchSize") != event.batch_size:
                    lam.update_event_source_mapping(
                        UUID=existing[0]["UUID"], BatchSize=event.batch_size
                    )
                    self.changed(f"{fn.name}: SQS {event.queue} batch size set")
            elif event.type == "function_url":
                self._url(fn)
            elif event.type == "http_api":
                self._http_api(fn, alias_arn)
            elif event.type == "schedule":
                self._schedule(fn, event.expression, alias_arn)

    def _alias_arn(self, fn: Function) -> str:
        return str(self.client("lambda").get_alias(FunctionName=fn.name, Name=ALIAS)["AliasArn"])

    def _url(self, fn: Function) -> None:
        lam = self.client("lambda")
        try:
            url = lam.get_function_url_config(FunctionName=fn.name, Qualifier=ALIAS)["FunctionUrl"]
        except lam.exceptions.ResourceNotFoundException:
            url = lam.create_function_url_config(
                FunctionName=fn.name, Qualifier=ALIAS, AuthType="NONE"
            )["FunctionUrl"]
            lam.add_permission(
                FunctionName=fn.name,
                Qualifier=ALIAS,
                StatementId="aloft-function-url",
                Action="lambda:InvokeFunctionUrl",
                Principal="*",
                FunctionUrlAuthType="NONE",
            )
            self.changed(f"{fn.name}: function URL created")
        self.result.urls[fn.name] = str(url)

    def _http_api(self, fn: Function, alias_arn: str) -> None:
        api = self.client("apigatewayv2")
        name = fn.name
        found = [a for a in api.get_apis().get("Items", []) if a["Name"] == name]
        if found:
            self.result.urls[fn.name] = str(found[0]["ApiEndpoint"])
            return
        created = api.create_api(Name=name, ProtocolType="HTTP", Tags=dict(self.stack.tags))
        integration = api.create_integration(
            ApiId=created["ApiId"],
            IntegrationType="AWS_PROXY",
            IntegrationUri=alias_arn,
            PayloadFormatVersion="2.0",
        )
        api.create_route(
            ApiId=created["ApiId"],
            RouteKey="$default",
            Target=f"integrations/{integration['IntegrationId']}",
        )
        api.create_stage(ApiId=created["ApiId"], StageName="$default", AutoDeploy=True)
        self.client("lambda").add_permission(
            FunctionName=fn.name,
            Qualifier=ALIAS,
            StatementId="aloft-http-api",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
        )
        self.changed(f"{fn.name}: HTTP API created")
        self.result.urls[fn.name] = str(created["ApiEndpoint"])

    def _schedule(self, fn: Function, expression: str, alias_arn: str) -> None:
        events = self.client("events")
        rule = f"{fn.name}-schedule"[:64]
        try:
            current = events.describe_rule(Name=rule).get("ScheduleExpression")
        except events.exceptions.ResourceNotFoundException:
            current = None
        if current != expression:
            events.put_rule(
                Name=rule,
                ScheduleExpression=expression,
                Tags=[{"Key": k, "Value": v} for k, v in sorted(self.stack.tags.items())],
            )
            events.put_targets(Rule=rule, Targets=[{"Id": "function", "Arn": alias_arn}])
            self.changed(f"{fn.name}: schedule {expression}")

    # -- all of it ----------------------------------------------------------------------------

    def run(self) -> DeployResult:
        self.queue_arns: dict[str, str] = {}
        self.table_arn = ""
        for fn in self.stack.functions:
            self.queue(fn.on_failure)
            for queue in fn.queues.values():
                if queue.dead_letter is not None:
                    self.queue(queue.dead_letter)
                self.queue(queue)
        if self.stack.idempotency_table:
            self.table()
        layer = self.layer()
        for fn in self.stack.functions:
            role = self.role(fn)
            self.function(fn, role, layer)
            self.events(fn)
        return self.result


def _same_attr(current: str | None, wanted: str) -> bool:
    if current is None:
        return False
    if wanted.startswith("{"):
        try:
            a, b = json.loads(current), json.loads(wanted)
            return {k: str(v) for k, v in a.items()} == {k: str(v) for k, v in b.items()}
        except ValueError:
            return False
    return current == wanted


def deploy(
    stack: Stack, function_zip: Path, layer_zip: Path | None = None, **kwargs: Any
) -> DeployResult:
    try:
        return Deployer(stack, function_zip, layer_zip, **kwargs).run()
    except OperationFailed:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "boto3")):
            raise OperationFailed(f"deploy failed: {exc}") from None
        raise
