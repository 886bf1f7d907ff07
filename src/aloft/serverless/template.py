"""The resource model as a SAM template (and, in serverless_yml.py, a serverless.yml).

Rendered as plain data (dicts), then YAML; every resource that takes tags gets the project's
cost-allocation tags.
"""

from __future__ import annotations

from typing import Any

import yaml

from aloft.serverless.model import ALIAS, Function, Queue, Stack, logical
from aloft.serverless.permissions import cloudformation, role_resource


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def queue_resource(queue: Queue, tags: dict[str, str]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "QueueName": queue.name,
        "VisibilityTimeout": queue.visibility_timeout,
        # Queues hold whole events (headers included): encrypted at rest with SQS-managed keys,
        # stated rather than left to the account's default.
        "SqsManagedSseEnabled": True,
        "Tags": _tag_list(tags),
    }
    if queue.fifo:
        properties["FifoQueue"] = True
    if queue.dead_letter is not None:
        properties["RedrivePolicy"] = {
            "deadLetterTargetArn": {"Fn::GetAtt": [queue.dead_letter.logical_id, "Arn"]},
            "maxReceiveCount": queue.max_receive_count,
        }
    return {"Type": "AWS::SQS::Queue", "Properties": properties}


def _events(fn: Function) -> dict[str, Any]:
    events: dict[str, Any] = {}
    rules = iter(fn.rules)
    for index, event in enumerate(fn.events):
        suffix = str(index) if index else ""
        if event.type == "http_api":
            events[f"HttpApi{suffix}"] = {"Type": "HttpApi"}
        elif event.type == "sqs":
            queue = fn.queues[event.queue]
            events[f"Queue{suffix}"] = {
                "Type": "SQS",
                "Properties": {
                    "Queue": {"Fn::GetAtt": [queue.logical_id, "Arn"]},
                    "BatchSize": event.batch_size,
                    # Failed records only are retried (aloft's handlers answer batchItemFailures).
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                },
            }
        elif event.type == "schedule":
            rule, expression = next(rules)
            events[f"Schedule{suffix}"] = {
                "Type": "Schedule",
                # Named as deploy names it: the off-hours schedules switch it by that name.
                "Properties": {"Schedule": expression, "Name": rule},
            }
    return events


def idempotency_table(name: str, tags: dict[str, str]) -> dict[str, Any]:
    """The DynamoDB table aloft's idempotency store expects: `id` key, `expiration` TTL."""
    return {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
            "Tags": _tag_list(tags),
        },
    }


OFF_HOURS_GROUP = "OffHoursScheduleGroup"
OFF_HOURS_ROLE = "OffHoursRole"


def off_hours_resources(stack: Stack, alias: str) -> dict[str, Any]:
    """The off-hours schedules (offhours.py), their group and role, as CloudFormation resources;
    `alias` is the one the target's functions serve from (SAM: live)."""
    off = stack.off_hours
    if off is None:
        return {}
    resources: dict[str, Any] = {
        OFF_HOURS_GROUP: {
            "Type": "AWS::Scheduler::ScheduleGroup",
            "Properties": {"Name": off.group, "Tags": _tag_list(stack.tags)},
        },
        OFF_HOURS_ROLE: role_resource(off.permissions(alias), stack.tags),
    }
    for switch in off.switches(alias):
        resources[logical("off-hours", switch.name)] = {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "Name": switch.name,
                "GroupName": {"Ref": OFF_HOURS_GROUP},
                "ScheduleExpression": switch.expression,
                "ScheduleExpressionTimezone": switch.time_zone,
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "State": "ENABLED",
                "Target": {
                    "Arn": cloudformation(switch.target),
                    "RoleArn": {"Fn::GetAtt": [OFF_HOURS_ROLE, "Arn"]},
                    "Input": switch.input_json(),
                },
            },
        }
    return resources


def budget_resources(stack: Stack) -> dict[str, Any]:
    """An AWS Budget for the service's monthly cost (by its aloft:service tag), with alerts.

    The amount is `[tool.aloft.cost] budget_usd`, the number `aloft cost` checks in CI, so the
    forecast and the bill are held to one budget.
    """
    resources: dict[str, Any] = {}
    subscribers: list[dict[str, Any]]
    if stack.budget_emails:
        subscribers = [{"SubscriptionType": "EMAIL", "Address": a} for a in stack.budget_emails]
    else:
        resources["BudgetAlertsTopic"] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": f"{stack.name}-budget-alerts",
                "Tags": _tag_list(stack.tags),
            },
        }
        resources["BudgetAlertsTopicPolicy"] = {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "BudgetAlertsTopic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "budgets.amazonaws.com"},
                            "Action": "SNS:Publish",
                            "Resource": {"Ref": "BudgetAlertsTopic"},
                        }
                    ],
                },
            },
        }
        subscribers = [{"SubscriptionType": "SNS", "Address": {"Ref": "BudgetAlertsTopic"}}]
    service = stack.tags.get("aloft:service", stack.name)
    resources["MonthlyBudget"] = {
        "Type": "AWS::Budgets::Budget",
        "Properties": {
            "Budget": {
                "BudgetName": f"{stack.name}-monthly",
                "BudgetType": "COST",
                "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": stack.budget_usd, "Unit": "USD"},
                # Cost-allocation tags are filtered as user:<key>$<value>.
                "CostFilters": {"TagKeyValue": [f"user:aloft:service${service}"]},
            },
            "NotificationsWithSubscribers": [
                {
                    "Notification": {
                        "NotificationType": "ACTUAL",
                        "ComparisonOperator": "GREATER_THAN",
                        "Threshold": threshold,
                        "ThresholdType": "PERCENTAGE",
                    },
                    "Subscribers": subscribers,
                }
                for threshold in stack.budget_alerts
            ],
            "ResourceTags": _tag_list(stack.tags),
        },
    }
    return resources


def _code(fn: Function, stack: Stack, code_uri: str) -> dict[str, Any]:
    """What the function runs: the zip on a managed runtime, or the image with its handler as CMD.

    The image's ENTRYPOINT is aloft's Runtime API client; each function passes its handler as
    the command, so one image serves them all. SAM's build Metadata is left out: the image is
    already built and pushed (`aloft build --target lambda`), SAM only points at it.
    """
    if stack.image:
        return {
            "PackageType": "Image",
            "ImageUri": stack.image_reference(),
            "ImageConfig": {"Command": [fn.handler]},
        }
    code: dict[str, Any] = {"Handler": fn.handler, "Runtime": stack.runtime, "CodeUri": code_uri}
    if stack.uses_layer:
        code["Layers"] = [{"Ref": "DependenciesLayer"}]
    return code


def sam_template(stack: Stack, code_uri: str = "", layer_uri: str = "") -> dict[str, Any]:
    """The SAM template; `code_uri`/`layer_uri` are the zips (local paths or s3:// URIs), unused
    when the functions run an image."""
    resources: dict[str, Any] = {}
    tags = stack.tags
    if stack.uses_layer:
        resources["DependenciesLayer"] = {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {
                "LayerName": stack.layer_name,
                "ContentUri": layer_uri or code_uri,
                "CompatibleRuntimes": [stack.runtime],
                "CompatibleArchitectures": [stack.architecture],
                "RetentionPolicy": "Retain",
            },
        }
    outputs: dict[str, Any] = {}
    for fn in stack.functions:
        properties: dict[str, Any] = {
            "FunctionName": fn.name,
            **_code(fn, stack, code_uri),
            "Architectures": [stack.architecture],
            "MemorySize": fn.memory,
            "Timeout": fn.timeout,
            "Environment": {"Variables": dict(sorted(fn.environment.items()))},
            # The role is declared below (permissions.py), as deploy creates it: SAM adds no
            # policies of its own to a function that names its role.
            "Role": {"Fn::GetAtt": [fn.role_logical_id, "Arn"]},
            "AutoPublishAlias": ALIAS,
            "EventInvokeConfig": {
                "MaximumRetryAttempts": fn.maximum_retry_attempts,
                "DestinationConfig": {
                    "OnFailure": {
                        "Type": "SQS",
                        "Destination": {"Fn::GetAtt": [fn.on_failure.logical_id, "Arn"]},
                    }
                },
            },
            "Tags": dict(sorted(tags.items())),
            "PropagateTags": True,
        }
        if fn.reserved_concurrency is not None:
            properties["ReservedConcurrentExecutions"] = fn.reserved_concurrency
        if fn.snap_start:  # snapshots of the versions AutoPublishAlias publishes
            properties["SnapStart"] = {"ApplyOn": "PublishedVersions"}
        if fn.provisioned_concurrency:  # on the AutoPublishAlias, as deploy puts it on live
            properties["ProvisionedConcurrencyConfig"] = {
                "ProvisionedConcurrentExecutions": fn.provisioned_concurrency
            }
        events = _events(fn)
        if events:
            properties["Events"] = events
        if fn.has("function_url"):
            properties["FunctionUrlConfig"] = {"AuthType": "NONE", "InvokeMode": fn.invoke_mode}
            outputs[f"{fn.logical_id}Url"] = {
                "Value": {"Fn::GetAtt": [f"{fn.logical_id}Url", "FunctionUrl"]}
            }
        if fn.deployment != "AllAtOnce":
            alarm = f"{fn.logical_id}ErrorsAlarm"
            properties["DeploymentPreference"] = {"Type": fn.deployment, "Alarms": [{"Ref": alarm}]}
            resources[alarm] = {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmDescription": f"errors of the new version of {fn.name}: roll back",
                    "Namespace": "AWS/Lambda",
                    "MetricName": "Errors",
                    "Dimensions": [
                        {"Name": "FunctionName", "Value": {"Ref": fn.logical_id}},
                        {"Name": "Resource", "Value": {"Fn::Sub": f"${{{fn.logical_id}}}:{ALIAS}"}},
                    ],
                    "Statistic": "Sum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 0,
                    "ComparisonOperator": "GreaterThanThreshold",
                    "TreatMissingData": "notBreaching",
                    "Tags": _tag_list(tags),
                },
            }
        resources[fn.logical_id] = {"Type": "AWS::Serverless::Function", "Properties": properties}
        resources[fn.role_logical_id] = role_resource(fn.permissions, tags)
        resources[fn.on_failure.logical_id] = queue_resource(fn.on_failure, tags)
        for queue in fn.queues.values():
            resources[queue.logical_id] = queue_resource(queue, tags)
            if queue.dead_letter is not None:
                resources[queue.dead_letter.logical_id] = queue_resource(queue.dead_letter, tags)
    if stack.idempotency_table:
        resources["IdempotencyTable"] = idempotency_table(stack.idempotency_table, tags)
    resources.update(off_hours_resources(stack, ALIAS))
    if stack.budget_usd is not None:
        resources.update(budget_resources(stack))
    if any(fn.has("http_api") for fn in stack.functions):
        outputs["HttpApiUrl"] = {
            "Value": {
                "Fn::Sub": "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
            }
        }
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"{stack.name}: rendered by aloft from [tool.aloft]",
    }
    if any(fn.has("http_api") for fn in stack.functions):
        # Stage throttling on the (implicit) HTTP API: a flood gets 429s, not a bill.
        template["Globals"] = {"HttpApi": {"DefaultRouteSettings": stack.throttling()}}
    template["Resources"] = resources
    if outputs:
        template["Outputs"] = outputs
    return template


def to_yaml(template: dict[str, Any]) -> str:
    return yaml.safe_dump(template, sort_keys=False, default_flow_style=False, width=100)
