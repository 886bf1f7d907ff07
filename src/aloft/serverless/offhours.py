"""Off-hours on Lambda: outside `[tool.aloft.lambda] active_hours`, no provisioned concurrency
and the schedule rules disabled; inside, both back on.

The design: EventBridge Scheduler schedules with universal targets, which call one AWS API
action each with a fixed JSON input, so nothing of ours runs to do the switching (no function
to package, bill or keep patched). At the window's opening, one schedule per function puts its
provisioned concurrency on the alias (`lambda:putProvisionedConcurrencyConfig`) and one per
rule enables it (`eventbridge:enableRule`); at the close, their twins delete the config and
disable the rule. A schedule is a cron at the opening (or closing) minute on the window's days,
with `ScheduleExpressionTimezone` the window's zone, so Scheduler follows daylight saving time.
They live in one schedule group per stack (the group carries the tags: schedules take none, and
deleting the group deletes them), run under one role trusted by scheduler.amazonaws.com that may
call only those four actions on exactly those alias and rule ARNs (permissions.py).

The model is built once (build) and every target renders it: the SAM template and serverless.yml
as AWS::Scheduler::ScheduleGroup, AWS::Scheduler::Schedule and AWS::IAM::Role resources,
`aloft lambda deploy` with the Scheduler API. Deploy also applies the state for the moment it
runs (`is_open`): a deploy at night leaves no provisioned concurrency and the rules disabled.
A template deploy cannot know the time: CloudFormation creates the opened state, and the next
closing schedule corrects it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from aloft.config.schedule import DAYS, ActiveHours, active_hours
from aloft.serverless import permissions
from aloft.serverless.permissions import PARTITION, Permissions

# Universal targets: arn:aws:scheduler:::aws-sdk:<SDK service id>:<apiAction>.
PUT_PROVISIONED = f"arn:{PARTITION}:scheduler:::aws-sdk:lambda:putProvisionedConcurrencyConfig"
DELETE_PROVISIONED = (
    f"arn:{PARTITION}:scheduler:::aws-sdk:lambda:deleteProvisionedConcurrencyConfig"
)
ENABLE_RULE = f"arn:{PARTITION}:scheduler:::aws-sdk:eventbridge:enableRule"
DISABLE_RULE = f"arn:{PARTITION}:scheduler:::aws-sdk:eventbridge:disableRule"


def group_name(stack: str) -> str:
    """The stack's schedule group (whether or not it has one now: prune looks for it)."""
    return f"{stack}-off-hours"


def role_name(stack: str) -> str:
    """The scheduler's role; it ends with -role, as prune expects of the roles deploy makes, and
    its `_` keeps it apart from any function's (function keys cannot have one)."""
    return f"{stack}-off_hours-role"[:64]


def _named(base: str, suffix: str) -> str:
    """A schedule's name: at most 64 characters, the suffix kept whole so on and off differ; a
    base too long to fit is cut and marked with its hash, so two long bases stay apart."""
    if len(base) + len(suffix) <= 64:
        return base + suffix
    digest = hashlib.sha256(base.encode()).hexdigest()[:8]
    return f"{base[: 64 - len(suffix) - 9]}-{digest}{suffix}"


@dataclass(frozen=True)
class Switch:
    """One schedule: at `expression` in `time_zone`, call `target` (a universal target ARN, with
    pseudo parameters) with `input`."""

    name: str
    expression: str
    time_zone: str
    target: str
    input: dict[str, Any]

    def input_json(self) -> str:
        return json.dumps(self.input, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class OffHours:
    hours: ActiveHours
    stack: str
    provisioned: tuple[tuple[str, int], ...]  # (function name, concurrency inside the hours)
    rules: tuple[str, ...]  # the stack's schedule rules

    @property
    def group(self) -> str:
        return group_name(self.stack)

    @property
    def role(self) -> str:
        return role_name(self.stack)

    def is_open(self, now: datetime.datetime) -> bool:
        """Whether `now` (timezone-aware) is inside the window, read in the window's zone."""
        return self.hours.contains(now)

    def _cron(self, minutes: int) -> str:
        days = ",".join(DAYS[day] for day in self.hours.days)
        return f"cron({minutes % 60} {minutes // 60} ? * {days} *)"

    def switches(self, alias: str) -> tuple[Switch, ...]:
        """Every schedule, openings and closings, for functions whose alias is `alias`."""
        opens, closes = self._cron(self.hours.start), self._cron(self.hours.end)
        zone = self.hours.time_zone
        found: list[Switch] = []
        for function, concurrency in self.provisioned:
            qualified = {"FunctionName": function, "Qualifier": alias}
            found.append(
                Switch(
                    _named(function, "-concurrency-on"),
                    opens,
                    zone,
                    PUT_PROVISIONED,
                    {**qualified, "ProvisionedConcurrentExecutions": concurrency},
                )
            )
            found.append(
                Switch(
                    _named(function, "-concurrency-off"),
                    closes,
                    zone,
                    DELETE_PROVISIONED,
                    qualified,
                )
            )
        for rule in self.rules:
            found.append(Switch(_named(rule, "-on"), opens, zone, ENABLE_RULE, {"Name": rule}))
            found.append(Switch(_named(rule, "-off"), closes, zone, DISABLE_RULE, {"Name": rule}))
        return tuple(found)

    def permissions(self, alias: str) -> Permissions:
        """The scheduler role's permissions: those actions on exactly these ARNs."""
        return permissions.off_hours(
            aliases=[permissions.alias_arn(f, alias) for f, _ in self.provisioned],
            rules=list(self.rules),
        )


def build(
    stack: str, text: str, *, provisioned: dict[str, int], rules: list[str]
) -> OffHours | None:
    """The stack's off-hours, or None without active_hours or with nothing to switch."""
    if not text:
        return None
    chosen = tuple((name, n) for name, n in provisioned.items() if n > 0)
    if not chosen and not rules:
        return None
    return OffHours(active_hours(text), stack, chosen, tuple(rules))
