"""Scheduled functions as the cluster runs them: which functions, their cron lines and zones.

The functions are the Lambda ones (`[tool.aloft.lambda.functions]`) with a `schedule` event, so
one table says what runs on a schedule on both targets. Their EventBridge expressions are
translated here, once, and every reason one cannot run on the target cluster is a ConfigError.
"""

from __future__ import annotations

import dataclasses
import re

from aloft.config import ResolvedConfig
from aloft.config.functions import function_environment
from aloft.config.kubernetes import KubernetesSettings
from aloft.config.lambda_ import stack_name
from aloft.config.schedule import ActiveHours, CronSchedule, ScheduleError, active_hours, to_cron
from aloft.exceptions import ConfigError
from aloft.kube.versions import KubeVersion

# What Lambda runs for a function with no handler: aloft's handler for the app (ALOFT_APP).
APP_HANDLER = "aloft.runtime.aws_lambda.entry.handler"
# CronJob names are at most 52 characters: the controller appends an 11-character suffix.
CRONJOB_NAME_MAX = 52
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu"})


@dataclasses.dataclass(frozen=True)
class Scheduled:
    """One function that runs on a schedule: a CronJob on the cluster."""

    function: str  # its key in [tool.aloft.lambda.functions]
    handler: str
    expression: str  # as written, EventBridge syntax
    schedule: CronSchedule
    time_zone: str | None  # spec.timeZone, or None where the cluster cannot take one
    timeout: int  # seconds, the function's Lambda timeout
    retries: int  # the function's maximum_retry_attempts
    # What the handler sees beyond the service's settings, as on Lambda (config/functions.py).
    environment: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def rule(self) -> str:
        """The name the event's rule ARN carries (the Lambda rule is named the same way)."""
        return f"{self.function}-schedule"[:64]


def same_zone(a: str, b: str) -> bool:
    return a == b or (a in _UTC_NAMES and b in _UTC_NAMES)


def zone_field(
    schedule: CronSchedule, version: KubeVersion, settings: KubernetesSettings, where: str
) -> str | None:
    """spec.timeZone for `schedule` on `version`: the zone from 1.25 (beta, on by default);
    before, None when the line fires the same in any zone or the controller's zone is the
    schedule's; else a ConfigError, as a CronJob there would fire at the controller's times."""
    if version.at_least(25):
        return schedule.time_zone
    if schedule.zone_free:
        return None
    zone = settings.controller_time_zone
    if zone and same_zone(zone, schedule.time_zone):
        return None
    raise ConfigError(
        f"{where}: runs at {schedule.cron} in {schedule.time_zone}, and a CronJob on Kubernetes"
        f" {version} fires in kube-controller-manager's zone (spec.timeZone needs 1.25+); set"
        f' [tool.aloft.kubernetes] controller_time_zone = "{schedule.time_zone}" if it runs in'
        " that zone, or target 1.25+ (kube_version)"
    )


def scheduled_functions(
    resolved: ResolvedConfig, version: KubeVersion, label: str
) -> tuple[Scheduled, ...]:
    """Every function with a schedule event, by name; one CronJob each."""
    config = resolved.config
    functions = config.lambda_.functions_of(resolved.project_name)
    found = []
    for name, fn in sorted(functions.items()):
        for event in fn.events:
            if event.type != "schedule":
                continue
            where = f"{label} [tool.aloft.lambda.functions.{name}] schedule {event.expression!r}"
            try:
                schedule = to_cron(event.expression)
            except ScheduleError as exc:
                raise ConfigError(f"{label} [tool.aloft.lambda.functions.{name}]: {exc}") from None
            found.append(
                Scheduled(
                    function=name,
                    handler=fn.handler or APP_HANDLER,
                    expression=event.expression,
                    schedule=schedule,
                    time_zone=zone_field(schedule, version, config.kubernetes, where),
                    timeout=fn.timeout,
                    retries=fn.maximum_retry_attempts,
                    environment={
                        "AWS_REGION": config.lambda_.region,
                        "AWS_DEFAULT_REGION": config.lambda_.region,
                        **function_environment(stack_name(resolved.project_name), fn),
                    },
                )
            )
    keys = [item.function for item in found]
    for key in keys:
        if keys.count(key) > 1:
            raise ConfigError(
                f"{label} [tool.aloft.lambda.functions.{key}]: two schedule events; a CronJob"
                " has one schedule, so give each its own function"
            )
    return tuple(found)


def cronjob_name(service: str, function: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", f"{service}-{function}".lower())
    return name[:CRONJOB_NAME_MAX].strip("-")


@dataclasses.dataclass(frozen=True)
class OffHours:
    """The project's active hours: scaled up at `opens`, to zero at `closes` (kube.kinds.scaler)."""

    hours: ActiveHours
    opens_zone: str | None  # spec.timeZone of each edge's CronJob, None where not carried
    closes_zone: str | None


def off_hours(settings: KubernetesSettings, version: KubeVersion, label: str) -> OffHours | None:
    if not settings.active_hours:
        return None
    hours = active_hours(settings.active_hours)  # validated by the config model already
    where = f"{label} [tool.aloft.kubernetes] active_hours = {settings.active_hours!r}"
    return OffHours(
        hours,
        zone_field(hours.opens, version, settings, where),
        zone_field(hours.closes, version, settings, where),
    )
