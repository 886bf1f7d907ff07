"""`aloft lambda deploy`: create or update exactly what the template declares, with boto3.

Every step first reads what exists and changes only what differs, so re-running with no change
changes nothing. A new version is published only when code or configuration changed; the `live`
alias then moves to it at once, or in steps guarded by the function's error metric, rolling
back to the previous version when errors appear. Tags follow [tool.aloft.tags] on every resource
that takes them, and what the config no longer declares is pruned (see prune.py).

Every change goes through `Deployer.apply`, so a plan (`--plan`) walks the same code and records
what it would do instead of doing it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from aloft.exceptions import ConfigError, OperationFailed
from aloft.serverless.model import ALIAS, OWNER, Function, Queue, Stack
from aloft.serverless.permissions import POLICY_NAME, TRUST
from aloft.serverless.prune import (
    MANAGED,
    MAX_TAG_VALUE,
    TAGGING,
    Pruner,
    role_name,
    rule_name,
    tag_changes,
)

T = TypeVar("T")
Action = Literal["create", "update", "delete", "orphan"]

# Gradual traffic shifting: share of traffic on the new version at each step.
STEPS = {
    "Canary10Percent5Minutes": [0.1],
    "Canary10Percent10Minutes": [0.1],
    "Linear10PercentEvery1Minute": [0.1 * i for i in range(1, 10)],
    "Linear10PercentEvery2Minutes": [0.1 * i for i in range(1, 10)],
}


@dataclass
class DeployResult:
    changes: list[str] = field(default_factory=list)  # one line per change, in order
    versions: dict[str, str] = field(default_factory=dict)  # function -> version the alias serves
    urls: dict[str, str] = field(default_factory=dict)
    rolled_back: list[str] = field(default_factory=list)
    # Resources as "<kind> <name>" (e.g. "queue shop-orders"), each listed once.
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)  # no longer declared, but left in place
    plan: bool = False  # nothing was changed: the lists say what a deploy would do

    def record(self, action: Action, resource: str, line: str) -> None:
        self.changes.append(line)
        listed = {
            "create": self.created,
            "update": self.updated,
            "delete": self.deleted,
            "orphan": self.orphaned,
        }[action]
        if resource not in listed and not (action == "update" and resource in self.created):
            listed.append(resource)

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "changes": self.changes,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "orphaned": self.orphaned,
            "versions": self.versions,
            "urls": self.urls,
            "rolled_back": self.rolled_back,
        }


def _boto3() -> Any:
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError:
        raise OperationFailed(
            "aloft lambda deploy needs boto3: install aloft with the aws extra "
            "(pip install 'aloft[aws]')"
        ) from None
    return boto3


def deploy_tags(stack: Stack) -> dict[str, str]:
    """The template's tags (the owner among them) plus the record of the managed keys."""
    tags = {**stack.tags, OWNER: stack.name}
    managed = " ".join(sorted(k for k in stack.tags if not k.startswith("aloft:")))
    if len(managed) > MAX_TAG_VALUE:
        raise ConfigError(
            f"[tool.aloft.tags]: the keys take {len(managed)} characters together, over the"
            f" {MAX_TAG_VALUE} AWS allows in the tag deploy records them in;"
            " use fewer or shorter keys"
        )
    if managed:
        tags[MANAGED] = managed
    return tags


class Deployer:
    def __init__(
        self,
        stack: Stack,
        function_zip: Path | None,
        layer_zip: Path | None = None,
        *,
        session: Any = None,
        step_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        prune: bool = True,
        plan: bool = False,
    ) -> None:
        self.stack = stack
        self.tags = deploy_tags(stack)
        if stack.image:  # the functions run the built image: no zips to upload
            stack.image_reference()
            self.function_zip, self.layer_zip = b"", None
        elif function_zip is None:
            raise ValueError("a zip-packaged stack needs its function zip")
        else:
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
        self.prune = prune
        self.plan = plan
        self.result = DeployResult(plan=plan)
        self.absent: set[str] = set()  # functions a plan would create: nothing to read yet
        self._identity: dict[str, str] = {}

    def client(self, name: str) -> Any:
        return self.clients[name]

    # -- the one way anything changes ---------------------------------------------------------

    def apply(self, action: Action, resource: str, line: str, call: Callable[[], T]) -> T | None:
        """Make one change and record it; in a plan, only record it."""
        if self.plan:
            self.result.record(action, resource, line)
            return None
        value = call()
        self.result.record(action, resource, line)
        return value

    def remove(self, resource: str, delete: Callable[[], object]) -> bool:
        """Delete what the config dropped, or with --no-prune report it as orphaned."""
        if not self.prune:
            self.result.record(
                "orphan", resource, f"{resource} orphaned: no longer in the config (--no-prune)"
            )
            return False
        self.apply("delete", resource, f"{resource} deleted", delete)
        return True

    def keep(self, resource: str, reason: str) -> None:
        self.result.record("orphan", resource, f"{resource} kept: {reason}")

    def sync_tags(self, kind: str, name: str, ident: str, current: dict[str, str]) -> None:
        tagging = TAGGING[kind]
        client = self.client(tagging.service)
        add, remove = tag_changes(current, self.tags)
        resource = f"{kind} {name}"
        if add:
            self.apply(
                "update",
                resource,
                f"{resource} tags set: {', '.join(sorted(add))}",
                lambda: tagging.tag(client, ident, add),
            )
        if remove:
            self.apply(
                "update",
                resource,
                f"{resource} tags removed: {', '.join(remove)}",
                lambda: tagging.untag(client, ident, remove),
            )

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """The ARN a resource a plan would create will have (nothing exists to ask)."""
        partition, region, account = self.pseudo()
        return f"arn:{partition}:{service}:{region if regional else ''}:{account}:{resource}"

    def pseudo(self) -> tuple[str, str, str]:
        """CloudFormation's ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId} here."""
        if not self._identity:
            self._identity = dict(self.client("sts").get_caller_identity())
        partition = self._identity["Arn"].split(":")[1]
        return partition, self.client("sqs").meta.region_name, self._identity["Account"]

    def _api_arn(self, api_id: str) -> str:
        region = self.client("apigatewayv2").meta.region_name
        partition = self.arn("sqs", "x").split(":")[1]
        return f"arn:{partition}:apigateway:{region}::/apis/{api_id}"

    # -- supporting resources -------------------------------------------------------------

    def role(self, fn: Function) -> str:
        """The function's role as the templates declare it (permissions.py): trust, AWS managed
        policies and the one inline policy, every ARN filled in for this account."""
        iam = self.client("iam")
        name = role_name(fn.name)
        resource = f"role {name}"
        partition, region, account = self.pseudo()
        managed = fn.permissions.managed_arns(partition)
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            role = None
        if role is None:

            def create() -> str:
                arn = str(
                    iam.create_role(
                        RoleName=name,
                        AssumeRolePolicyDocument=json.dumps(TRUST),
                        Tags=[{"Key": k, "Value": v} for k, v in sorted(self.tags.items())],
                    )["Role"]["Arn"]
                )
                for policy in managed:
                    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
                return arn

            arn = self.apply("create", resource, f"role {name} created", create)
            if arn is None:  # a plan: the role does not exist, so neither does its policy
                self.apply("create", resource, f"role {name} policy set", lambda: None)
                return self.arn("iam", f"role/{name}", regional=False)
        else:
            arn = str(role["Arn"])
            self.sync_tags("role", name, name, {t["Key"]: t["Value"] for t in role.get("Tags", [])})
            attached = {
                p["PolicyArn"]
                for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
                for p in page["AttachedPolicies"]
            }
            for policy_arn in managed:
                if policy_arn not in attached:
                    self.apply(
                        "update",
                        resource,
                        f"role {name} policy {policy_arn.rsplit('/', 1)[-1]} attached",
                        functools.partial(
                            iam.attach_role_policy, RoleName=name, PolicyArn=policy_arn
                        ),
                    )
        policy = json.dumps(fn.permissions.resolved(partition, region, account), sort_keys=True)
        try:
            current = iam.get_role_policy(RoleName=name, PolicyName=POLICY_NAME)["PolicyDocument"]
            if not isinstance(current, str):
                current = json.dumps(current, sort_keys=True)
            same = json.loads(current) == json.loads(policy)
        except iam.exceptions.NoSuchEntityException:
            same = False
        if not same:
            self.apply(
                "update",
                resource,
                f"role {name} policy set",
                lambda: iam.put_role_policy(
                    RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=policy
                ),
            )
        return arn

    def queue(self, queue: Queue) -> str:
        sqs = self.client("sqs")
        resource = f"queue {queue.name}"
        # As template.queue_resource declares it, encryption at rest included.
        attributes = {
            "VisibilityTimeout": str(queue.visibility_timeout),
            "SqsManagedSseEnabled": "true",
        }
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
            url = self.apply(
                "create",
                resource,
                f"queue {queue.name} created",
                lambda: sqs.create_queue(
                    QueueName=queue.name, Attributes=attributes, tags=self.tags
                )["QueueUrl"],
            )
            if url is None:  # a plan
                arn = self.arn("sqs", queue.name)
                self.queue_arns[queue.name] = arn
                return arn
        else:
            self.sync_tags("queue", queue.name, url, TAGGING["queue"].read(sqs, url))
        current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        differs = {
            k: v
            for k, v in attributes.items()
            if k != "FifoQueue" and not _same_attr(current.get(k), v)
        }
        if differs:
            self.apply(
                "update",
                resource,
                f"queue {queue.name} attributes set",
                lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes=differs),
            )
        arn = str(current["QueueArn"])
        self.queue_arns[queue.name] = arn
        return arn

    def table(self) -> None:
        dynamodb = self.client("dynamodb")
        name = self.stack.idempotency_table
        try:
            self.table_arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        except dynamodb.exceptions.ResourceNotFoundException:
            pass
        else:
            self.sync_tags(
                "table", name, self.table_arn, TAGGING["table"].read(dynamodb, self.table_arn)
            )
            return

        def create() -> str:
            arn = str(
                dynamodb.create_table(
                    TableName=name,
                    BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    Tags=[{"Key": k, "Value": v} for k, v in sorted(self.tags.items())],
                )["TableDescription"]["TableArn"]
            )
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": True},
            )
            return arn

        arn = self.apply("create", f"table {name}", f"table {name} created", create)
        self.table_arn = arn or self.arn("dynamodb", f"table/{name}")

    def layer(self) -> str | None:
        """Layer versions take no tags and are kept, like the template's RetentionPolicy: Retain."""
        if self.layer_zip is None:
            return None
        lam = self.client("lambda")
        digest = "sha256:" + hashlib.sha256(self.layer_zip).hexdigest()
        versions = lam.list_layer_versions(LayerName=self.stack.layer_name).get("LayerVersions", [])
        for version in versions:
            if version.get("Description") == digest:
                return str(version["LayerVersionArn"])
        name = self.stack.layer_name
        if self.plan:
            version = str(max((int(v["Version"]) for v in versions), default=0) + 1)
            arn = self.arn("lambda", f"layer:{name}:{version}")
        else:
            published = lam.publish_layer_version(
                LayerName=name,
                Description=digest,
                Content={"ZipFile": self.layer_zip},
                CompatibleRuntimes=[self.stack.runtime],
                CompatibleArchitectures=[self.stack.architecture],
            )
            version, arn = str(published["Version"]), str(published["LayerVersionArn"])
        self.result.record("create", f"layer {name}", f"layer {name} version {version} published")
        return arn

    # -- the function -----------------------------------------------------------------------

    def _code(self, fn: Function, layer: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """The function's code (as create_function takes it) and the settings that go with it.

        An image function runs the one image with its handler as the command; it has no
        handler, runtime or layers of its own (the image brings Python and the dependencies).
        """
        if self.stack.image:
            return {"ImageUri": self.stack.image_reference()}, {
                "ImageConfig": {"Command": [fn.handler]}
            }
        return {"ZipFile": self.function_zip}, {
            "Handler": fn.handler,
            "Runtime": self.stack.runtime,
            "Layers": [layer] if layer else [],
            # Snapshots of the versions _release publishes (the alias serves only those).
            "SnapStart": {"ApplyOn": "PublishedVersions" if fn.snap_start else "None"},
        }

    def function(self, fn: Function, role: str, layer: str | None) -> None:
        lam = self.client("lambda")
        resource = f"function {fn.name}"
        package_type = "Image" if self.stack.image else "Zip"
        code, settings = self._code(fn, layer)
        config: dict[str, Any] = {
            "Role": role,
            "MemorySize": fn.memory,
            "Timeout": fn.timeout,
            "Environment": {"Variables": dict(sorted(fn.environment.items()))},
            **settings,
        }
        try:
            current = lam.get_function(FunctionName=fn.name)
        except lam.exceptions.ResourceNotFoundException:
            current = None
        if current is None:
            self.apply(
                "create",
                resource,
                f"function {fn.name} created",
                lambda: lam.create_function(
                    FunctionName=fn.name,
                    PackageType=package_type,
                    Code=code,
                    Architectures=[self.stack.architecture],
                    Tags=dict(self.tags),
                    **config,
                ),
            )
            if self.plan:
                self.absent.add(fn.name)
            dirty = True
        else:
            dirty = False
            conf = current["Configuration"]
            if conf.get("PackageType", "Zip") != package_type:
                raise OperationFailed(
                    f"function {fn.name}: it is a {conf.get('PackageType', 'Zip')} function on"
                    f" AWS and [tool.aloft.lambda] package says {self.stack.package}; Lambda"
                    " cannot change a function's package type: delete the function (or rename"
                    " it) and deploy again"
                )
            self.sync_tags("function", fn.name, conf["FunctionArn"], current.get("Tags") or {})
            if not self._same_code(current, code) or conf.get("Architectures", ["x86_64"]) != [
                self.stack.architecture
            ]:
                self.apply(
                    "update",
                    resource,
                    f"function {fn.name} code updated",
                    lambda: lam.update_function_code(
                        FunctionName=fn.name,
                        Architectures=[self.stack.architecture],
                        **code,
                    ),
                )
                dirty = True
            existing = {
                "Role": conf.get("Role"),
                "MemorySize": conf.get("MemorySize"),
                "Timeout": conf.get("Timeout"),
                "Environment": {
                    "Variables": dict(
                        sorted((conf.get("Environment") or {}).get("Variables", {}).items())
                    )
                },
            }
            if self.stack.image:
                image_config = (conf.get("ImageConfigResponse") or {}).get("ImageConfig") or {}
                existing["ImageConfig"] = {"Command": image_config.get("Command") or []}
            else:
                existing |= {
                    "Handler": conf.get("Handler"),
                    "Runtime": conf.get("Runtime"),
                    "Layers": [entry["Arn"] for entry in conf.get("Layers", [])],
                    "SnapStart": {"ApplyOn": (conf.get("SnapStart") or {}).get("ApplyOn", "None")},
                }
            if existing != config:
                self.apply(
                    "update",
                    resource,
                    f"function {fn.name} configuration updated",
                    lambda: lam.update_function_configuration(FunctionName=fn.name, **config),
                )
                dirty = True
        self._concurrency(fn)
        self._invoke_config(fn)
        self._release(fn, dirty)

    def _same_code(self, current: dict[str, Any], code: dict[str, Any]) -> bool:
        """Whether the deployed code is what `code` would upload: the same zip or image."""
        if "ImageUri" in code:
            # The reference as given (by digest, it names exactly one image).
            return bool(current.get("Code", {}).get("ImageUri") == code["ImageUri"])
        sha = base64.b64encode(hashlib.sha256(self.function_zip).digest()).decode()
        return bool(current["Configuration"].get("CodeSha256") == sha)

    def _concurrency(self, fn: Function) -> None:
        lam = self.client("lambda")
        current = (
            None
            if fn.name in self.absent
            else lam.get_function_concurrency(FunctionName=fn.name).get(
                "ReservedConcurrentExecutions"
            )
        )
        if current == fn.reserved_concurrency:
            return
        reserved = fn.reserved_concurrency
        self.apply(
            "update",
            f"function {fn.name}",
            f"function {fn.name} reserved concurrency set",
            lambda: (
                lam.delete_function_concurrency(FunctionName=fn.name)
                if reserved is None
                else lam.put_function_concurrency(
                    FunctionName=fn.name, ReservedConcurrentExecutions=reserved
                )
            ),
        )

    def _invoke_config(self, fn: Function) -> None:
        lam = self.client("lambda")
        wanted = {
            "MaximumRetryAttempts": fn.maximum_retry_attempts,
            "DestinationConfig": {
                "OnFailure": {"Destination": self.queue_arns[fn.on_failure.name]}
            },
        }
        same = False
        if fn.name not in self.absent:
            try:
                current = lam.get_function_event_invoke_config(FunctionName=fn.name)
                same = current.get("MaximumRetryAttempts") == fn.maximum_retry_attempts and (
                    current.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                    == self.queue_arns[fn.on_failure.name]
                )
            except lam.exceptions.ResourceNotFoundException:
                pass
        if not same:
            self.apply(
                "update",
                f"function {fn.name}",
                f"function {fn.name} retries and on-failure destination set",
                lambda: lam.put_function_event_invoke_config(FunctionName=fn.name, **wanted),
            )

    def _release(self, fn: Function, dirty: bool) -> None:
        lam = self.client("lambda")
        versions: list[str] = []
        alias = None
        if fn.name not in self.absent:
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
        if self.plan:  # versions only grow: the next one is the highest plus one
            new = str(max((int(v) for v in versions), default=0) + 1)
        else:
            new = str(lam.publish_version(FunctionName=fn.name)["Version"])
        self.result.record(
            "update", f"function {fn.name}", f"function {fn.name} version {new} published"
        )
        aliased = f"alias {fn.name}:{ALIAS}"
        if alias is None:
            self.apply(
                "create",
                aliased,
                f"{aliased} -> {new}",
                lambda: lam.create_alias(FunctionName=fn.name, Name=ALIAS, FunctionVersion=new),
            )
            self.result.versions[fn.name] = new
            return
        old = str(alias["FunctionVersion"])
        if old == new:
            self.result.versions[fn.name] = new
            return
        if self.plan:
            steps = f" ({fn.deployment})" if fn.deployment in STEPS else ""
            self.apply("update", aliased, f"{aliased} -> {new}{steps}", lambda: None)
            self.result.versions[fn.name] = old
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
                self.result.record(
                    "update", aliased, f"{aliased} rolled back to {old} (errors on {new})"
                )
                self.result.rolled_back.append(fn.name)
                self.result.versions[fn.name] = old
                return
        self.apply(
            "update",
            aliased,
            f"{aliased} -> {new}",
            lambda: lam.update_alias(
                FunctionName=fn.name,
                Name=ALIAS,
                FunctionVersion=new,
                RoutingConfig={"AdditionalVersionWeights": {}},
            ),
        )
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
        if fn.name in self.absent:
            alias_arn = self.arn("lambda", f"function:{fn.name}:{ALIAS}")
            mappings: list[dict[str, Any]] = []
        else:
            alias_arn = self._alias_arn(fn)
            mappings = lam.list_event_source_mappings(FunctionName=alias_arn).get(
                "EventSourceMappings", []
            )
        for event in fn.events:
            if event.type == "sqs":
                self._mapping(fn, event.queue, event.batch_size, alias_arn, mappings)
            elif event.type == "function_url":
                self._url(fn)
            elif event.type == "http_api":
                self._http_api(fn, alias_arn)
            elif event.type == "schedule":
                self._schedule(fn, event.expression, alias_arn)

    def _alias_arn(self, fn: Function) -> str:
        return str(self.client("lambda").get_alias(FunctionName=fn.name, Name=ALIAS)["AliasArn"])

    def _mapping(
        self,
        fn: Function,
        queue: str,
        batch_size: int,
        alias_arn: str,
        mappings: list[dict[str, Any]],
    ) -> None:
        lam = self.client("lambda")
        arn = self.queue_arns[fn.queues[queue].name]
        resource = f"sqs-mapping {fn.name}:{fn.queues[queue].name}"
        existing = [m for m in mappings if m["EventSourceArn"] == arn]
        if not existing:
            self.apply(
                "create",
                resource,
                f"{fn.name}: SQS {queue} mapped",
                lambda: lam.create_event_source_mapping(
                    FunctionName=alias_arn,
                    EventSourceArn=arn,
                    BatchSize=batch_size,
                    FunctionResponseTypes=["ReportBatchItemFailures"],
                    Tags=dict(self.tags),
                ),
            )
            return
        mapping = existing[0]
        if mapping.get("EventSourceMappingArn"):
            ident = mapping["EventSourceMappingArn"]
            self.sync_tags(
                "sqs-mapping",
                f"{fn.name}:{fn.queues[queue].name}",
                ident,
                TAGGING["sqs-mapping"].read(lam, ident),
            )
        if mapping.get("BatchSize") != batch_size:
            self.apply(
                "update",
                resource,
                f"{fn.name}: SQS {queue} batch size set",
                lambda: lam.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=batch_size),
            )

    def _permission(self, fn: Function, statement: str, **grant: str) -> None:
        """Let a service invoke the alias, unless a statement of that name already does."""
        lam = self.client("lambda")
        if fn.name not in self.absent:
            try:
                policy = json.loads(lam.get_policy(FunctionName=fn.name, Qualifier=ALIAS)["Policy"])
                if any(s.get("Sid") == statement for s in policy.get("Statement", [])):
                    return
            except lam.exceptions.ResourceNotFoundException:
                pass
        self.apply(
            "update",
            f"alias {fn.name}:{ALIAS}",
            f"{fn.name}: {grant['Principal']} may invoke {ALIAS}",
            lambda: lam.add_permission(
                FunctionName=fn.name, Qualifier=ALIAS, StatementId=statement, **grant
            ),
        )

    def _url(self, fn: Function) -> None:
        lam = self.client("lambda")
        resource = f"function-url {fn.name}"
        try:
            current = lam.get_function_url_config(FunctionName=fn.name, Qualifier=ALIAS)
        except lam.exceptions.ResourceNotFoundException:
            url = self.apply(
                "create",
                resource,
                f"{fn.name}: function URL created ({fn.invoke_mode})",
                lambda: lam.create_function_url_config(
                    FunctionName=fn.name,
                    Qualifier=ALIAS,
                    AuthType="NONE",
                    InvokeMode=fn.invoke_mode,
                )["FunctionUrl"],
            )
        else:
            url = current["FunctionUrl"]
            if str(current.get("InvokeMode") or "BUFFERED").upper() != fn.invoke_mode:
                self.apply(
                    "update",
                    resource,
                    f"{fn.name}: function URL invoke mode {fn.invoke_mode}",
                    lambda: lam.update_function_url_config(
                        FunctionName=fn.name, Qualifier=ALIAS, InvokeMode=fn.invoke_mode
                    ),
                )
        self._permission(
            fn,
            "aloft-function-url",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
        if url is not None:
            self.result.urls[fn.name] = str(url)

    def _http_api(self, fn: Function, alias_arn: str) -> None:
        api = self.client("apigatewayv2")
        name = fn.name
        found = [a for a in _all_apis(api) if a["Name"] == name]
        throttle = self.stack.throttling()
        if found:
            api_id = found[0]["ApiId"]
            self.sync_tags("http-api", name, self._api_arn(api_id), found[0].get("Tags") or {})
            self.result.urls[fn.name] = str(found[0]["ApiEndpoint"])
            stage = api.get_stage(ApiId=api_id, StageName="$default")
            settings = stage.get("DefaultRouteSettings") or {}
            if {k: settings.get(k) for k in throttle} != throttle:
                self.apply(
                    "update",
                    f"http-api {name}",
                    f"{fn.name}: HTTP API throttling set",
                    lambda: api.update_stage(
                        ApiId=api_id, StageName="$default", DefaultRouteSettings=throttle
                    ),
                )
        else:

            def create() -> str:
                created = api.create_api(Name=name, ProtocolType="HTTP", Tags=dict(self.tags))
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
                api.create_stage(
                    ApiId=created["ApiId"],
                    StageName="$default",
                    AutoDeploy=True,
                    DefaultRouteSettings=throttle,
                )
                return str(created["ApiEndpoint"])

            endpoint = self.apply(
                "create", f"http-api {name}", f"{fn.name}: HTTP API created", create
            )
            if endpoint is not None:
                self.result.urls[fn.name] = endpoint
        self._permission(
            fn,
            "aloft-http-api",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
        )

    def _schedule(self, fn: Function, expression: str, alias_arn: str) -> None:
        events = self.client("events")
        rule = rule_name(fn.name)
        try:
            described = events.describe_rule(Name=rule)
        except events.exceptions.ResourceNotFoundException:
            described = None
        if described is not None:
            arn = str(described["Arn"])
            self.sync_tags("schedule", rule, arn, TAGGING["schedule"].read(events, arn))
        if described is None or described.get("ScheduleExpression") != expression:

            def put() -> str:
                # Tags apply when the rule is created; an existing rule's are synced above.
                made = str(
                    events.put_rule(
                        Name=rule,
                        ScheduleExpression=expression,
                        Tags=[{"Key": k, "Value": v} for k, v in sorted(self.tags.items())],
                    )["RuleArn"]
                )
                events.put_targets(Rule=rule, Targets=[{"Id": "function", "Arn": alias_arn}])
                return made

            arn = self.apply(
                "create" if described is None else "update",
                f"schedule {rule}",
                f"{fn.name}: schedule {expression}",
                put,
            ) or self.arn("events", f"rule/{rule}")
        self._permission(
            fn,
            "aloft-schedule",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=arn,
        )

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
        # After the new state is in place, so nothing still in use is deleted before its successor.
        Pruner(self).run()
        return self.result


def _all_apis(api: Any) -> list[dict[str, Any]]:
    return [item for page in api.get_paginator("get_apis").paginate() for item in page["Items"]]


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
    stack: Stack, function_zip: Path | None, layer_zip: Path | None = None, **kwargs: Any
) -> DeployResult:
    """Deploy `stack`; `prune=False` keeps what the config dropped, `plan=True` changes nothing.

    An image-packaged stack takes no zips (`function_zip=None`): its functions run
    `stack.image_uri`."""
    try:
        return Deployer(stack, function_zip, layer_zip, **kwargs).run()
    except OperationFailed:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "boto3")):
            raise OperationFailed(f"deploy failed: {exc}") from None
        raise
