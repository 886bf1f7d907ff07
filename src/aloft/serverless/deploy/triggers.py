"""What invokes a function's `live` alias: SQS mappings, its URL, its HTTP API and its schedule.

Each trigger also gets the permission that lets its service invoke the alias (one statement per
kind, named in the model so prune can take it away again).
"""

from __future__ import annotations

import json
from typing import Any

from aloft.serverless.deploy.run import DeployRun
from aloft.serverless.model import (
    ALIAS,
    HTTP_API_STATEMENT,
    URL_STATEMENT,
    Function,
    alias_label,
    schedule_statement,
)
from aloft.serverless.tagging import TAGGING, pairs


def events(run: DeployRun, fn: Function) -> None:
    """Every event the function declares, in the config's order."""
    lam = run.client("lambda")
    if fn.name in run.absent:
        alias_arn = run.arn("lambda", f"function:{fn.name}:{ALIAS}")
        mappings: list[dict[str, Any]] = []
    else:
        alias_arn = str(lam.get_alias(FunctionName=fn.name, Name=ALIAS)["AliasArn"])
        mappings = lam.list_event_source_mappings(FunctionName=alias_arn).get(
            "EventSourceMappings", []
        )
    rules = iter(fn.rules)
    for event in fn.events:
        if event.type == "sqs":
            _mapping(run, fn, event.queue, event.batch_size, alias_arn, mappings)
        elif event.type == "function_url":
            _url(run, fn)
        elif event.type == "http_api":
            _http_api(run, fn, alias_arn)
        elif event.type == "schedule":
            rule, expression = next(rules)
            _schedule(run, fn, rule, expression, alias_arn)


def _mapping(
    run: DeployRun,
    fn: Function,
    queue: str,
    batch_size: int,
    alias_arn: str,
    mappings: list[dict[str, Any]],
) -> None:
    lam = run.client("lambda")
    arn = run.queue_arns[fn.queues[queue].name]
    resource = f"sqs-mapping {fn.name}:{fn.queues[queue].name}"
    existing = [m for m in mappings if m["EventSourceArn"] == arn]
    if not existing:
        run.apply(
            "create",
            resource,
            f"{fn.name}: SQS {queue} mapped",
            lambda: lam.create_event_source_mapping(
                FunctionName=alias_arn,
                EventSourceArn=arn,
                BatchSize=batch_size,
                FunctionResponseTypes=["ReportBatchItemFailures"],
                Tags=dict(run.tags),
            ),
        )
        return
    mapping = existing[0]
    if mapping.get("EventSourceMappingArn"):
        ident = mapping["EventSourceMappingArn"]
        run.sync_tags(
            "sqs-mapping",
            f"{fn.name}:{fn.queues[queue].name}",
            ident,
            TAGGING["sqs-mapping"].read(lam, ident),
        )
    if mapping.get("BatchSize") != batch_size:
        run.apply(
            "update",
            resource,
            f"{fn.name}: SQS {queue} batch size set",
            lambda: lam.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=batch_size),
        )


def _permission(run: DeployRun, fn: Function, statement: str, **grant: str) -> None:
    """Let a service invoke the alias, unless a statement of that name already does."""
    lam = run.client("lambda")
    if fn.name not in run.absent:
        try:
            policy = json.loads(lam.get_policy(FunctionName=fn.name, Qualifier=ALIAS)["Policy"])
            if any(s.get("Sid") == statement for s in policy.get("Statement", [])):
                return
        except lam.exceptions.ResourceNotFoundException:
            pass
    run.apply(
        "update",
        alias_label(fn.name),
        f"{fn.name}: {grant['Principal']} may invoke {ALIAS}",
        lambda: lam.add_permission(
            FunctionName=fn.name, Qualifier=ALIAS, StatementId=statement, **grant
        ),
    )


def _url(run: DeployRun, fn: Function) -> None:
    lam = run.client("lambda")
    resource = f"function-url {fn.name}"
    try:
        current = lam.get_function_url_config(FunctionName=fn.name, Qualifier=ALIAS)
    except lam.exceptions.ResourceNotFoundException:
        url = run.apply(
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
            run.apply(
                "update",
                resource,
                f"{fn.name}: function URL invoke mode {fn.invoke_mode}",
                lambda: lam.update_function_url_config(
                    FunctionName=fn.name, Qualifier=ALIAS, InvokeMode=fn.invoke_mode
                ),
            )
    _permission(
        run,
        fn,
        URL_STATEMENT,
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    if url is not None:
        run.result.urls[fn.name] = str(url)


def _api_arn(run: DeployRun, api_id: str) -> str:
    region = run.client("apigatewayv2").meta.region_name
    partition, _, _ = run.pseudo()
    return f"arn:{partition}:apigateway:{region}::/apis/{api_id}"


def _all_apis(api: Any) -> list[dict[str, Any]]:
    return [item for page in api.get_paginator("get_apis").paginate() for item in page["Items"]]


def _http_api(run: DeployRun, fn: Function, alias_arn: str) -> None:
    api = run.client("apigatewayv2")
    name = fn.name
    found = [a for a in _all_apis(api) if a["Name"] == name]
    throttle = run.stack.throttling()
    if found:
        api_id = found[0]["ApiId"]
        run.sync_tags("http-api", name, _api_arn(run, api_id), found[0].get("Tags") or {})
        run.result.urls[fn.name] = str(found[0]["ApiEndpoint"])
        stage = api.get_stage(ApiId=api_id, StageName="$default")
        settings = stage.get("DefaultRouteSettings") or {}
        if {k: settings.get(k) for k in throttle} != throttle:
            run.apply(
                "update",
                f"http-api {name}",
                f"{fn.name}: HTTP API throttling set",
                lambda: api.update_stage(
                    ApiId=api_id, StageName="$default", DefaultRouteSettings=throttle
                ),
            )
    else:

        def create() -> str:
            created = api.create_api(Name=name, ProtocolType="HTTP", Tags=dict(run.tags))
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

        endpoint = run.apply("create", f"http-api {name}", f"{fn.name}: HTTP API created", create)
        if endpoint is not None:
            run.result.urls[fn.name] = endpoint
    _permission(
        run,
        fn,
        HTTP_API_STATEMENT,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )


def _schedule(run: DeployRun, fn: Function, rule: str, expression: str, alias_arn: str) -> None:
    """The rule, enabled, or disabled outside [tool.aloft.lambda] active_hours (offhours.py)."""
    events = run.client("events")
    state = "ENABLED" if run.active else "DISABLED"
    try:
        described = events.describe_rule(Name=rule)
    except events.exceptions.ResourceNotFoundException:
        described = None
    if described is not None:
        arn = str(described["Arn"])
        run.sync_tags("schedule", rule, arn, TAGGING["schedule"].read(events, arn))
    if (
        described is None
        or described.get("ScheduleExpression") != expression
        or described.get("State") != state
    ):

        def put() -> str:
            # Tags apply when the rule is created; an existing rule's are synced above.
            made = str(
                events.put_rule(
                    Name=rule, ScheduleExpression=expression, State=state, Tags=pairs(run.tags)
                )["RuleArn"]
            )
            events.put_targets(Rule=rule, Targets=[{"Id": "function", "Arn": alias_arn}])
            return made

        closed = "" if run.active else ", disabled until active hours"
        arn = run.apply(
            "create" if described is None else "update",
            f"schedule {rule}",
            f"{fn.name}: schedule {expression}{closed}",
            put,
        ) or run.arn("events", f"rule/{rule}")
    _permission(
        run,
        fn,
        schedule_statement(rule),
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=arn,
    )
