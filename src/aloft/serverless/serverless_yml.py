"""The resource model as a serverless.yml (Serverless Framework v3), for teams already on it.

Rendered from the same model as the SAM template (template.py), with the same resources, grants
and tags; tests/serverless/test_lambda_serverless_yml.py has the framework itself read both back.
Traffic shifting (`deployment = "Canary..."`) has no v3 built-in and is left to the SAM form.

Aliases: for provisioned concurrency (and SnapStart) the framework publishes a version behind an
alias it names `provisioned` (`snapstart`) and points the function's events at that name when it
compiles them, so the alias keeps the framework's name here: renamed to `live`, the events would
invoke an alias that does not exist. The off-hours schedules and their role address that alias.
"""

from __future__ import annotations

from typing import Any

import yaml

from aloft.serverless.model import Stack
from aloft.serverless.permissions import role_resource
from aloft.serverless.template import (
    budget_resources,
    idempotency_table,
    off_hours_resources,
    queue_resource,
)

# The alias the framework creates for provisioned concurrency (lib/plugins/aws/lib/naming.js).
PROVISIONED_ALIAS = "provisioned"


def normalized(key: str) -> str:
    """The framework's own spelling of a function key in the logical ids it generates."""
    name = key.replace("-", "Dash").replace("_", "Underscore")
    return name[:1].upper() + name[1:]


def serverless_config(
    stack: Stack,
    artifact: str = "dist/lambda/function.zip",
    layer_artifact: str = "dist/lambda/layer.zip",
) -> dict[str, Any]:
    functions: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    # Generated resources the framework has no setting for, given their properties.
    extensions: dict[str, Any] = {}
    for fn in stack.functions:
        events: list[dict[str, Any]] = []
        rules = iter(fn.rules)
        for event in fn.events:
            if event.type == "http_api":
                events.append({"httpApi": "*"})
            elif event.type == "sqs":
                queue = fn.queues[event.queue]
                events.append(
                    {
                        "sqs": {
                            "arn": {"Fn::GetAtt": [queue.logical_id, "Arn"]},
                            "batchSize": event.batch_size,
                            "functionResponseType": "ReportBatchItemFailures",
                        }
                    }
                )
            elif event.type == "schedule":
                # Named as deploy names the rule: off-hours switches it by that name.
                rule, expression = next(rules)
                events.append({"schedule": {"rate": [expression], "name": rule}})
        spec: dict[str, Any] = {"name": fn.name}
        if stack.image:
            # One image for every function, each with its handler as the command (CMD).
            spec["image"] = {"uri": stack.image_reference(), "command": [fn.handler]}
        else:
            spec["handler"] = fn.handler
        spec |= {
            # Each function's own role, declared below exactly as SAM and deploy have it; with a
            # role on every function the framework makes no shared role of its own.
            "role": fn.role_logical_id,
            "memorySize": fn.memory,
            "timeout": fn.timeout,
            "environment": dict(sorted(fn.environment.items())),
            "maximumRetryAttempts": fn.maximum_retry_attempts,
            "destinations": {
                "onFailure": {
                    "type": "sqs",
                    "arn": {"Fn::GetAtt": [fn.on_failure.logical_id, "Arn"]},
                }
            },
            "events": events,
        }
        if stack.uses_layer:
            spec["layers"] = [{"Ref": "DependenciesLambdaLayer"}]
        if fn.reserved_concurrency is not None:
            spec["reservedConcurrency"] = fn.reserved_concurrency
        if fn.has("function_url"):
            spec["url"] = {"invokeMode": fn.invoke_mode} if fn.stream else True
        if fn.provisioned_concurrency:
            spec["provisionedConcurrency"] = fn.provisioned_concurrency
        if fn.snap_start:
            spec["snapStart"] = True  # behind the framework's alias, `snapstart` (see above)
        functions[fn.key] = spec
        resources[fn.role_logical_id] = role_resource(fn.permissions, stack.tags)
        resources[fn.on_failure.logical_id] = queue_resource(fn.on_failure, stack.tags)
        for queue in fn.queues.values():
            resources[queue.logical_id] = queue_resource(queue, stack.tags)
            if queue.dead_letter is not None:
                resources[queue.dead_letter.logical_id] = queue_resource(
                    queue.dead_letter, stack.tags
                )
    if stack.idempotency_table:
        resources["IdempotencyTable"] = idempotency_table(stack.idempotency_table, stack.tags)
    resources.update(off_hours_resources(stack, PROVISIONED_ALIAS))
    if any(fn.has("http_api") for fn in stack.functions):
        extensions["HttpApiStage"] = {"Properties": {"DefaultRouteSettings": stack.throttling()}}
    if stack.budget_usd is not None:
        resources.update(budget_resources(stack))
    provider: dict[str, Any] = {"name": "aws"}
    if not stack.image:  # an image brings its own Python
        provider["runtime"] = stack.runtime
    provider |= {
        "architecture": stack.architecture,
        "region": stack.region,
        "stackTags": dict(sorted(stack.tags.items())),
        "tags": dict(sorted(stack.tags.items())),
    }
    config: dict[str, Any] = {
        "service": stack.name,
        "frameworkVersion": "3",
        # v3's schema predates the python3.12+ runtimes: it must warn about them, not refuse.
        "configValidationMode": "warn",
        "provider": provider,
    }
    if not stack.image:
        config["package"] = {"individually": False, "artifact": artifact}
    config["functions"] = functions
    if stack.uses_layer:
        config["layers"] = {
            "dependencies": {
                "name": stack.layer_name,
                "package": {"artifact": layer_artifact},
                "compatibleRuntimes": [stack.runtime],
                "compatibleArchitectures": [stack.architecture],
            }
        }
    if resources or extensions:
        config["resources"] = {"Resources": resources}
        if extensions:
            config["resources"]["extensions"] = extensions
    return config


def to_yaml(config: dict[str, Any]) -> str:
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False, width=100)
