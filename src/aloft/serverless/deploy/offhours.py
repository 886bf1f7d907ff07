"""The off-hours schedules (serverless/offhours.py) as deploy makes them: the scheduler's role, the
stack's schedule group (tagged: schedules take no tags) and each schedule, exactly as the
templates declare them. What deploy switches for the moment it runs is done by the steps that own
it (functions.provisioned, triggers' rules), from `run.active`; schedules the config no longer
declares, and the group and role when active_hours goes, are pruned (prune.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aloft.serverless.deploy.iam import named_role
from aloft.serverless.deploy.run import DeployRun
from aloft.serverless.model import ALIAS
from aloft.serverless.offhours import OffHours, Switch
from aloft.serverless.permissions import fill
from aloft.serverless.tagging import TAGGING, pairs

# IAM takes seconds to make a new role assumable everywhere, and Scheduler refuses a schedule whose
# role it cannot assume yet (a ValidationException naming the role): retried, within a minute.
ROLE_TRIES = 12
ROLE_WAIT = 5.0


def off_hours(run: DeployRun) -> None:
    off = run.stack.off_hours
    if off is None:
        return
    role_arn = named_role(run, off.role, off.permissions(ALIAS))
    group(run, off)
    partition, region, account = run.pseudo()
    for switch in off.switches(ALIAS):
        schedule(run, off, switch, fill(switch.target, partition, region, account), role_arn)


def group(run: DeployRun, off: OffHours) -> None:
    scheduler = run.client("scheduler")
    try:
        found = scheduler.get_schedule_group(Name=off.group)
    except scheduler.exceptions.ResourceNotFoundException:
        run.apply(
            "create",
            f"schedule-group {off.group}",
            f"schedule group {off.group} created ({off.hours.text})",
            lambda: scheduler.create_schedule_group(Name=off.group, Tags=pairs(run.tags)),
        )
        return
    arn = str(found["Arn"])
    run.sync_tags("schedule-group", off.group, arn, TAGGING["schedule-group"].read(scheduler, arn))


def _wanted(off: OffHours, switch: Switch, target: str, role_arn: str) -> dict[str, Any]:
    return {
        "Name": switch.name,
        "GroupName": off.group,
        "ScheduleExpression": switch.expression,
        "ScheduleExpressionTimezone": switch.time_zone,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Target": {"Arn": target, "RoleArn": role_arn, "Input": switch.input_json()},
    }


def _same(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether the schedule is as wanted; Input compared as JSON, not as text."""
    target = current.get("Target") or {}
    try:
        same_input = json.loads(target.get("Input") or "null") == json.loads(
            wanted["Target"]["Input"]
        )
    except ValueError:
        same_input = False
    return (
        same_input
        and target.get("Arn") == wanted["Target"]["Arn"]
        and target.get("RoleArn") == wanted["Target"]["RoleArn"]
        and all(
            current.get(key) == wanted[key]
            for key in ("ScheduleExpression", "ScheduleExpressionTimezone", "State")
        )
        and (current.get("FlexibleTimeWindow") or {}).get("Mode") == "OFF"
    )


def schedule(run: DeployRun, off: OffHours, switch: Switch, target: str, role_arn: str) -> None:
    scheduler = run.client("scheduler")
    wanted = _wanted(off, switch, target, role_arn)
    resource = f"schedule {off.group}/{switch.name}"
    line = f"{resource}: {switch.expression} {switch.time_zone} -> {target.rsplit(':', 1)[-1]}"
    try:
        current = scheduler.get_schedule(Name=switch.name, GroupName=off.group)
    except scheduler.exceptions.ResourceNotFoundException:
        run.apply(
            "create",
            resource,
            line,
            lambda: _once_assumable(run, scheduler.create_schedule, wanted),
        )
        return
    if not _same(current, wanted):
        run.apply(
            "update",
            resource,
            line,
            lambda: _once_assumable(run, scheduler.update_schedule, wanted),
        )


def _once_assumable(run: DeployRun, call: Callable[..., Any], wanted: dict[str, Any]) -> Any:
    scheduler = run.client("scheduler")
    for attempt in range(ROLE_TRIES):
        try:
            return call(**wanted)
        except scheduler.exceptions.ValidationException as exc:
            if "role" not in str(exc).lower() or attempt == ROLE_TRIES - 1:
                raise
            run.sleep(ROLE_WAIT)
    return None  # unreachable: the last try returns or raises
