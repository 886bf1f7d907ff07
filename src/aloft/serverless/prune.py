"""Ownership and pruning: remove what an earlier deploy of this stack made and the config dropped.

Ownership is a tag. Every resource `aloft lambda deploy` creates or manages carries
`aloft:stack=<stack>`, and pruning deletes only resources that carry it with this stack's name: a
hand-made queue or function named like ours has no such tag and is never touched. Names narrow
the search (everything deploy names starts with the stack's name); the tag decides.

Deletion goes from the edges inwards, so nothing is left pointing at what is gone: event sources
(SQS mappings, Function URLs, HTTP APIs, off-hours schedules, rules) first, then functions, their
roles, the queues they read or sent failures to (a queue before its dead-letter queue), and the
idempotency table. A queue that still holds messages is kept (deleting it would lose them), and
so is its dead-letter queue.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from aloft.config.functions import idempotency_table
from aloft.serverless.model import (
    ALIAS,
    HTTP_API_STATEMENT,
    OWNER,
    URL_STATEMENT,
    Stack,
    role_name,
    schedule_statement,
)
from aloft.serverless.offhours import group_name
from aloft.serverless.tagging import TAGGING


class Operations(Protocol):
    """What pruning needs from the deploy run: its clients and its one way to delete."""

    stack: Stack

    def client(self, name: str) -> Any: ...

    def remove(self, resource: str, delete: Callable[[], object]) -> bool: ...

    def keep(self, resource: str, reason: str) -> None: ...


@dataclass(frozen=True)
class Desired:
    """The names of everything the config declares now; an owned resource outside it goes."""

    functions: frozenset[str]
    roles: frozenset[str]
    queues: frozenset[str]
    rules: frozenset[str]
    apis: frozenset[str]
    urls: frozenset[str]  # functions with a Function URL
    mappings: dict[str, frozenset[str]]  # function -> the queues it reads
    table: str
    schedules: frozenset[str] = frozenset()  # in the off-hours schedule group, when it is wanted
    off_hours: bool = False

    @classmethod
    def of(cls, stack: Stack) -> Desired:
        queues: set[str] = set()
        for fn in stack.functions:
            queues.add(fn.on_failure.name)
            for queue in fn.queues.values():
                queues.add(queue.name)
                if queue.dead_letter is not None:
                    queues.add(queue.dead_letter.name)
        roles = {role_name(fn.name) for fn in stack.functions}
        off = stack.off_hours
        if off is not None:
            roles.add(off.role)
        return cls(
            functions=frozenset(fn.name for fn in stack.functions),
            roles=frozenset(roles),
            queues=frozenset(queues),
            rules=frozenset(rule for fn in stack.functions for rule, _ in fn.rules),
            apis=frozenset(fn.name for fn in stack.functions if fn.has("http_api")),
            urls=frozenset(fn.name for fn in stack.functions if fn.has("function_url")),
            mappings={
                fn.name: frozenset(q.name for q in fn.queues.values()) for fn in stack.functions
            },
            table=stack.idempotency_table,
            # The alias does not matter to the names: deploy's is as good as any.
            schedules=frozenset(s.name for s in off.switches(ALIAS)) if off else frozenset(),
            off_hours=off is not None,
        )


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _name_of(arn: str) -> str:
    """The last part of an ARN: a queue's name, or a function's name before any qualifier."""
    parts = arn.split(":")
    return parts[6] if len(parts) > 6 and parts[5] == "function" else parts[-1]


class Pruner:
    def __init__(self, ops: Operations) -> None:
        self.ops = ops
        self.stack = ops.stack
        self.desired = Desired.of(ops.stack)
        self.gone_mappings: set[str] = set()

    def ours(self, name: str) -> bool:
        """Could deploy have named it? Only a cheap filter before the tag is read."""
        return name == self.stack.name or name.startswith(self.stack.name + "-")

    def owned(self, tags: dict[str, str]) -> bool:
        return tags.get(OWNER) == self.stack.name

    def run(self) -> None:
        existing, owned = self._functions()
        # A function the config declares is managed, tagged yet or not (a plan tags nothing).
        for name in sorted(existing & self.desired.functions):
            self._event_sources(name)
        self._apis()
        self._off_hours()
        self._rules()
        for name in sorted(owned - self.desired.functions):
            self._function(name)
        self._roles()
        self._queues()
        self._table()

    # -- event sources --------------------------------------------------------------------

    def _functions(self) -> tuple[set[str], set[str]]:
        """The functions deploy could have named, and those of them that carry our tag."""
        lam = self.ops.client("lambda")
        existing, owned = set(), set()
        for fn in _pages(lam, "list_functions", "Functions"):
            name = fn["FunctionName"]
            if not self.ours(name):
                continue
            existing.add(name)
            if name not in self.desired.functions and self.owned(
                TAGGING["function"].read(lam, fn["FunctionArn"])
            ):
                owned.add(name)
        return existing, owned

    def _mappings(self, function: str) -> list[dict[str, Any]]:
        """This function's SQS mappings that carry the stack's tag (a hand-made one has none)."""
        lam = self.ops.client("lambda")
        try:
            alias = lam.get_alias(FunctionName=function, Name=ALIAS)["AliasArn"]
        except lam.exceptions.ResourceNotFoundException:
            alias = None
        seen: dict[str, dict[str, Any]] = {}
        for target in filter(None, (alias, function)):
            for m in _pages(
                lam, "list_event_source_mappings", "EventSourceMappings", FunctionName=target
            ):
                seen[m["UUID"]] = m
        return [
            m
            for m in seen.values()
            if m.get("EventSourceArn", "").split(":")[2:3] == ["sqs"]
            and m.get("EventSourceMappingArn")
            and self.owned(TAGGING["sqs-mapping"].read(lam, m["EventSourceMappingArn"]))
        ]

    def _drop_mapping(self, function: str, mapping: dict[str, Any]) -> None:
        lam = self.ops.client("lambda")
        queue = _name_of(mapping["EventSourceArn"])
        if self.ops.remove(
            f"sqs-mapping {function}:{queue}",
            lambda: lam.delete_event_source_mapping(UUID=mapping["UUID"]),
        ):
            self.gone_mappings.add(mapping["UUID"])

    def _forget_permission(self, function: str, statement: str) -> None:
        lam = self.ops.client("lambda")
        # The function, or the statement, may be gone already.
        with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
            lam.remove_permission(FunctionName=function, Qualifier=ALIAS, StatementId=statement)

    def _event_sources(self, function: str) -> None:
        """A kept function's Function URL and SQS mappings the config no longer declares."""
        lam = self.ops.client("lambda")
        if function not in self.desired.urls:
            try:
                lam.get_function_url_config(FunctionName=function, Qualifier=ALIAS)
            except lam.exceptions.ResourceNotFoundException:
                pass
            else:

                def delete_url() -> None:
                    lam.delete_function_url_config(FunctionName=function, Qualifier=ALIAS)
                    self._forget_permission(function, URL_STATEMENT)

                self.ops.remove(f"function-url {function}", delete_url)
        wanted = self.desired.mappings.get(function, frozenset())
        for mapping in self._mappings(function):
            if _name_of(mapping["EventSourceArn"]) not in wanted:
                self._drop_mapping(function, mapping)

    def _apis(self) -> None:
        api = self.ops.client("apigatewayv2")
        for item in _pages(api, "get_apis", "Items"):
            name = item["Name"]
            if (
                name in self.desired.apis
                or not self.ours(name)
                or not self.owned(item.get("Tags") or {})
            ):
                continue

            def delete(api_id: str = item["ApiId"], function: str = name) -> None:
                api.delete_api(ApiId=api_id)
                self._forget_permission(function, HTTP_API_STATEMENT)

            self.ops.remove(f"http-api {name}", delete)

    def _rules(self) -> None:
        events = self.ops.client("events")
        for rule in _pages(events, "list_rules", "Rules", NamePrefix=self.stack.name):
            name = rule["Name"]
            if name in self.desired.rules or not self.ours(name):
                continue
            if not self.owned(TAGGING["schedule"].read(events, rule["Arn"])):
                continue

            def delete(name: str = name) -> None:
                targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
                if targets:
                    events.remove_targets(Rule=name, Ids=[t["Id"] for t in targets])
                events.delete_rule(Name=name)
                for target in targets:
                    if ":function:" in target["Arn"]:
                        self._forget_permission(_name_of(target["Arn"]), schedule_statement(name))

            self.ops.remove(f"schedule {name}", delete)

    def _off_hours(self) -> None:
        """The off-hours schedule group when active_hours went (deleting a group deletes its
        schedules), else its schedules the config no longer declares. The group carries the
        tag; its role goes with the other roles."""
        scheduler = self.ops.client("scheduler")
        name = group_name(self.stack.name)
        try:
            arn = scheduler.get_schedule_group(Name=name)["Arn"]
        except scheduler.exceptions.ResourceNotFoundException:
            return
        if not self.owned(TAGGING["schedule-group"].read(scheduler, arn)):
            return
        if not self.desired.off_hours:
            self.ops.remove(
                f"schedule-group {name}", lambda: scheduler.delete_schedule_group(Name=name)
            )
            return
        for item in _pages(scheduler, "list_schedules", "Schedules", GroupName=name):
            if item["Name"] in self.desired.schedules:
                continue

            def delete(schedule: str = item["Name"]) -> None:
                scheduler.delete_schedule(Name=schedule, GroupName=name)

            self.ops.remove(f"schedule {name}/{item['Name']}", delete)

    # -- functions and roles --------------------------------------------------------------

    def _function(self, function: str) -> None:
        """A dropped function: its mappings first (Lambda keeps them otherwise), then itself."""
        lam = self.ops.client("lambda")
        for mapping in self._mappings(function):
            self._drop_mapping(function, mapping)
        self.ops.remove(f"function {function}", lambda: lam.delete_function(FunctionName=function))

    def _roles(self) -> None:
        iam = self.ops.client("iam")
        for role in _pages(iam, "list_roles", "Roles"):
            name = role["RoleName"]
            if name in self.desired.roles or not self.ours(name) or not name.endswith("-role"):
                continue
            if not self.owned(TAGGING["role"].read(iam, name)):
                continue

            def delete(name: str = name) -> None:
                for policy in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
                    iam.delete_role_policy(RoleName=name, PolicyName=policy)
                for attached in iam.list_attached_role_policies(RoleName=name).get(
                    "AttachedPolicies", []
                ):
                    iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
                iam.delete_role(RoleName=name)

            self.ops.remove(f"role {name}", delete)

    # -- queues and the table -------------------------------------------------------------

    def _queues(self) -> None:
        sqs = self.ops.client("sqs")
        lam = self.ops.client("lambda")
        candidates: dict[str, tuple[str, dict[str, str]]] = {}  # arn -> (url, attributes)
        for url in _pages(sqs, "list_queues", "QueueUrls", QueueNamePrefix=self.stack.name):
            name = url.rstrip("/").rsplit("/", 1)[-1]
            if name in self.desired.queues or not self.ours(name):
                continue
            if not self.owned(TAGGING["queue"].read(sqs, url)):
                continue
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
                "Attributes"
            ]
            candidates[attributes["QueueArn"]] = (url, attributes)
        dead_letter_of: dict[str, str] = {}  # dead-letter queue arn -> a source queue arn
        for arn, (_, attributes) in candidates.items():
            redrive = attributes.get("RedrivePolicy")
            if redrive:
                dead_letter_of[str(json.loads(redrive).get("deadLetterTargetArn"))] = arn
        kept: set[str] = set()
        # Sources before their dead-letter queues: a kept source keeps its DLQ too.
        for arn in sorted(candidates, key=lambda a: (a in dead_letter_of, a)):
            url, attributes = candidates[arn]
            name = _name_of(arn)
            messages = sum(
                int(attributes.get(k, "0"))
                for k in (
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                )
            )
            readers = [
                _name_of(m["FunctionArn"])
                for m in _pages(
                    lam, "list_event_source_mappings", "EventSourceMappings", EventSourceArn=arn
                )
                if m["UUID"] not in self.gone_mappings and m.get("State") != "Deleting"
            ]
            source = dead_letter_of.get(arn)
            if messages:
                reason = f"{messages} messages in it; move or purge them, then deploy again"
            elif readers:
                reason = f"still read by {', '.join(sorted(set(readers)))}"
            elif source in kept:
                reason = f"dead-letter queue of {_name_of(source or '')}, which is kept"
            else:
                reason = ""
            if reason:
                kept.add(arn)
                self.ops.keep(f"queue {name}", reason)
                continue

            def delete(url: str = url) -> None:
                sqs.delete_queue(QueueUrl=url)

            if not self.ops.remove(f"queue {name}", delete):
                kept.add(arn)

    def _table(self) -> None:
        if self.desired.table:
            return
        dynamodb = self.ops.client("dynamodb")
        # The table the stack used to have: today's config may no longer name one.
        name = idempotency_table(self.stack.name)
        try:
            arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        except dynamodb.exceptions.ResourceNotFoundException:
            return
        if self.owned(TAGGING["table"].read(dynamodb, arn)):
            self.ops.remove(f"table {name}", lambda: dynamodb.delete_table(TableName=name))
