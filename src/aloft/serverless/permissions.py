"""A function's permissions, built once: its execution role, what it may do and on what.

The SAM template and serverless.yml render it as an `AWS::IAM::Role` resource, and deploy creates
that very role, so no target can grant more (or less) than another. ARNs are written once, with
CloudFormation's pseudo parameters (`${AWS::Partition}`, `${AWS::Region}`, `${AWS::AccountId}`):
the templates keep them in `Fn::Sub`, deploy fills them in from the account it deploys to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PARTITION, REGION, ACCOUNT = "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"
POLICY_NAME = "aloft"  # the role's one inline policy, in every target
LAMBDA = "lambda.amazonaws.com"
SCHEDULER = "scheduler.amazonaws.com"


def trust(service: str) -> dict[str, Any]:
    """The trust policy of a role that `service` (one AWS service principal) assumes."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


# Logs to CloudWatch (logs:CreateLogGroup, CreateLogStream, PutLogEvents): AWS's own policy.
BASIC_EXECUTION = f"arn:{PARTITION}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
QUEUE_CONSUMER = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# What aloft's DynamoDB idempotency store calls (runtime/aws_lambda/idempotency.py).
IDEMPOTENCY_TABLE = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)


@dataclass(frozen=True)
class Grant:
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # ARNs, with pseudo parameters

    def statement(self) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": list(self.actions), "Resource": list(self.resources)}


@dataclass(frozen=True)
class Permissions:
    """A role: AWS managed policies plus one inline policy of grants, assumed by `principal`
    (a function's execution role; the off-hours scheduler's role, offhours.py)."""

    managed: tuple[str, ...]
    grants: tuple[Grant, ...]
    principal: str = LAMBDA

    def trust(self) -> dict[str, Any]:
        return trust(self.principal)

    def document(self) -> dict[str, Any]:
        """The inline policy, ARNs still with their pseudo parameters."""
        return {"Version": "2012-10-17", "Statement": [g.statement() for g in self.grants]}

    def resolved(self, partition: str, region: str, account: str) -> dict[str, Any]:
        """The inline policy as deploy puts it: every ARN filled in for one account."""
        return json.loads(fill(json.dumps(self.document()), partition, region, account))  # type: ignore[no-any-return]

    def managed_arns(self, partition: str) -> list[str]:
        return [fill(arn, partition, "", "") for arn in self.managed]


def fill(text: str, partition: str, region: str, account: str) -> str:
    return text.replace(PARTITION, partition).replace(REGION, region).replace(ACCOUNT, account)


def queue_arn(name: str) -> str:
    return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}"


def table_arn(name: str) -> str:
    return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def secret_arn(ref: str) -> str:
    """The ARN a secret reference (`ssm:/path` or `secretsmanager:name-or-arn`) is read from."""
    kind, _, target = ref.partition(":")
    if kind == "ssm":
        return f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter/{target.lstrip('/')}"
    if target.startswith("arn:"):
        return target
    # Secrets Manager appends a dash and six random characters to a secret's name: match exactly
    # those, so a grant for "api-key" does not also cover "api-key-admin-AbCdEf".
    return f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{target}-??????"


def build(
    *,
    on_failure_queue: str,
    event_queues: list[str],
    idempotency_table: str,
    secrets: list[str],
) -> Permissions:
    """The permissions of a function: every resource named, nothing on "*"."""
    grants = [Grant(("sqs:SendMessage",), (queue_arn(on_failure_queue),))]
    if event_queues:
        grants.append(Grant(QUEUE_CONSUMER, tuple(queue_arn(q) for q in sorted(event_queues))))
    if idempotency_table:
        grants.append(Grant(IDEMPOTENCY_TABLE, (table_arn(idempotency_table),)))
    parameters = sorted(secret_arn(r) for r in secrets if r.startswith("ssm:"))
    if parameters:
        # get_parameter(WithDecryption=True); SecureStrings under the default aws/ssm key need
        # no KMS grant of their own.
        grants.append(Grant(("ssm:GetParameter",), tuple(parameters)))
    stored = sorted(secret_arn(r) for r in secrets if not r.startswith("ssm:"))
    if stored:
        grants.append(Grant(("secretsmanager:GetSecretValue",), tuple(stored)))
    return Permissions((BASIC_EXECUTION,), tuple(grants))


def alias_arn(function: str, alias: str) -> str:
    return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{function}:{alias}"


def rule_arn(name: str) -> str:
    """An EventBridge rule on the default event bus."""
    return f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/{name}"


# What the off-hours schedules call (offhours.py), and nothing else.
PROVISIONED_SWITCH = (
    "lambda:PutProvisionedConcurrencyConfig",
    "lambda:DeleteProvisionedConcurrencyConfig",
)
RULE_SWITCH = ("events:EnableRule", "events:DisableRule")


def off_hours(*, aliases: list[str], rules: list[str]) -> Permissions:
    """The off-hours scheduler's role: switch provisioned concurrency on exactly these alias ARNs
    and enable or disable exactly these rules; trusted by EventBridge Scheduler only."""
    grants = []
    if aliases:
        grants.append(Grant(PROVISIONED_SWITCH, tuple(sorted(aliases))))
    if rules:
        grants.append(Grant(RULE_SWITCH, tuple(sorted(rule_arn(r) for r in rules))))
    return Permissions((), tuple(grants), SCHEDULER)


def cloudformation(arn: str) -> Any:
    """An ARN as a CloudFormation value: Fn::Sub when it names a pseudo parameter."""
    return {"Fn::Sub": arn} if "${" in arn else arn


def role_resource(permissions: Permissions, tags: dict[str, str]) -> dict[str, Any]:
    """The execution role as a CloudFormation resource (SAM and serverless.yml alike)."""
    document = permissions.document()
    for statement in document["Statement"]:
        statement["Resource"] = [cloudformation(arn) for arn in statement["Resource"]]
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": permissions.trust(),
            "ManagedPolicyArns": [cloudformation(arn) for arn in permissions.managed],
            "Policies": [{"PolicyName": POLICY_NAME, "PolicyDocument": document}],
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        },
    }
