"""Schedules in EventBridge syntax, translated exactly to Kubernetes cron, and active hours.

EventBridge rule schedules (what a Lambda function's `schedule` event makes) run in UTC:
`rate(N minute|minutes|hour|hours|day|days)` or `cron(Minutes Hours Day-of-month Month
Day-of-week Year)`, six fields where one of the two day fields is `?`, day-of-week counts 1 (SUN)
to 7 (SAT), and `L`, `W` and `#` pick the last day, the nearest weekday, the nth weekday.

A Kubernetes CronJob takes five fields (minute hour day-of-month month day-of-week, 0 = SUN) and
no `L`, `W`, `#` or year. What translates is translated to the same instants; what does not is a
ScheduleError, one line naming the fix. Never an approximation.

A `rate()` keeps its period but not its phase: EventBridge counts from when the rule was created,
a CronJob from the clock (`rate(5 minutes)` fires at :00, :05, ...). Periods that do not divide
the clock's hour or day cannot be written as cron at all and are refused.

`active_hours = "Mon-Fri 08:00-20:00 Europe/Berlin"`: the days, the window and the zone in which
a service runs; outside it scales to zero.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import zoneinfo

UTC = "Etc/UTC"

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# Day names as cron spells them, in cron order (0 = SUN): EventBridge, Scheduler and active_hours.
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# EventBridge's field bounds (docs: "Cron expressions reference", EventBridge user guide).
_BOUNDS = {
    "minutes": (0, 59),
    "hours": (0, 23),
    "day-of-month": (1, 31),
    "month": (1, 12),
    "day-of-week": (1, 7),
    "year": (1970, 2199),
}
# Every UTC offset in use is a whole number of quarter hours, so a step that divides 15 minutes
# fires at the same instants in every zone.
_ZONE_FREE_STEPS = {1, 3, 5, 15}


class ScheduleError(ValueError):
    """A schedule that cannot be expressed; the message is one line ending with the fix."""


@dataclasses.dataclass(frozen=True)
class CronSchedule:
    """A five-field Kubernetes cron line and the zone it is meant in."""

    cron: str
    time_zone: str = UTC

    @property
    def zone_free(self) -> bool:
        """True when the line fires at the same instants whatever the controller's zone."""
        minute, *rest = self.cron.split()
        if any(field != "*" for field in rest):
            return False
        if minute == "*":
            return True
        step = minute.removeprefix("*/")
        return step != minute and step.isdigit() and int(step) in _ZONE_FREE_STEPS


def to_cron(expression: str) -> CronSchedule:
    """The Kubernetes cron line that fires when the EventBridge `expression` does (in UTC)."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        return CronSchedule(_rate(int(rate.group(1)), rate.group(2), text))
    cron = _CRON.match(text)
    if cron:
        return CronSchedule(_cron(cron.group(1).split(), text))
    raise ScheduleError(
        f"{text!r} is not an EventBridge schedule; use rate(5 minutes) or cron(0 12 * * ? *)"
    )


def _rate(value: int, unit: str, text: str) -> str:
    if value < 1:
        raise ScheduleError(f"{text}: the rate must be at least 1; use rate(1 {unit.rstrip('s')})")
    singular = unit.rstrip("s")
    if (value == 1) != (unit == singular):
        right = f"rate(1 {singular})" if value == 1 else f"rate({value} {singular}s)"
        raise ScheduleError(f"{text}: EventBridge wants the unit's number to match; use {right}")
    minutes = value * {"minute": 1, "hour": 60, "day": 1440}[singular]
    if minutes < 60 and 60 % minutes == 0:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    if minutes % 60 == 0 and minutes <= 1440 and 1440 % minutes == 0:
        hours = minutes // 60
        return {1: "0 * * * *", 24: "0 0 * * *"}.get(hours, f"0 */{hours} * * *")
    raise ScheduleError(
        f"{text}: a CronJob repeats within the hour or the day, and {minutes} minutes divides"
        " neither; use a rate that divides 60 minutes or 24 hours, or a cron() listing the times"
    )


def _cron(fields: list[str], text: str) -> str:
    if len(fields) != 6:
        raise ScheduleError(
            f"{text}: EventBridge cron has 6 fields (minutes hours day-of-month month day-of-week"
            f" year), not {len(fields)}; e.g. cron(0 12 * * ? *)"
        )
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(
            f"{text}: exactly one of day-of-month and day-of-week must be '?'; e.g."
            " cron(0 12 ? * MON-FRI *) or cron(0 12 1 * ? *)"
        )
    for name, value in (("day-of-month", dom), ("day-of-week", dow)):
        for mark in ("L", "W", "#"):
            if mark in value.upper() and not (name == "day-of-week" and mark == "W"):
                raise ScheduleError(
                    f"{text}: {name} {value!r} uses {mark!r}, which Kubernetes cron cannot"
                    " express; list the days instead, or keep this schedule on Lambda"
                )
    if year != "*":
        raise ScheduleError(
            f"{text}: year {year!r}: a CronJob repeats every year; use * and remove the job"
            " when it is over"
        )
    return " ".join(
        (
            _field(minute, "minutes", text),
            _field(hour, "hours", text),
            "*" if dom == "?" else _field(dom, "day-of-month", text),
            _field(month, "month", text, names=_MONTHS, first=1),
            "*" if dow == "?" else _field(dow, "day-of-week", text, names=DAYS, first=1, shift=1),
        )
    )


def _field(
    value: str,
    name: str,
    text: str,
    *,
    names: tuple[str, ...] = (),
    first: int = 0,
    shift: int = 0,
) -> str:
    """One field: lists, ranges, steps and names, numbers checked against EventBridge's bounds and
    moved by `shift` (day-of-week 1..7 -> 0..6)."""
    low, high = _BOUNDS[name]
    if value == "?":
        raise ScheduleError(f"{text}: {name} cannot be '?'; only a day field can; use *")

    def number(token: str) -> int:
        upper = token.upper()
        if upper in names:
            return names.index(upper) + first
        if not token.isdigit():
            raise ScheduleError(
                f"{text}: {name} {value!r}: {token!r} is not a number"
                + (f" or one of {names[0]}-{names[-1]}" if names else "")
            )
        got = int(token)
        if not low <= got <= high:
            raise ScheduleError(f"{text}: {name} {got} is outside {low}-{high}; use {low}-{high}")
        return got

    parts = []
    for item in value.split(","):
        base, slash, step_text = item.partition("/")
        step = ""
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ScheduleError(f"{text}: {name} {item!r}: the step must be a positive number")
            step = f"/{int(step_text)}"
        if base == "*":
            parts.append("*" + step)
            continue
        start_text, dash, end_text = base.partition("-")
        start = number(start_text)
        if dash:
            end = number(end_text)
            if end < start:
                raise ScheduleError(
                    f"{text}: {name} {base!r} wraps around; write it as two ranges, e.g."
                    f" {start_text}-{names[-1] if names else high},"
                    f"{names[0] if names else low}-{end_text}"
                )
        elif step:
            # EventBridge reads `5/15` as from 5 on, every 15: spelled out, as cron reads it.
            end = high
        else:
            end = start
        if start == end and not step:
            parts.append(str(start - shift))
        else:
            parts.append(f"{start - shift}-{end - shift}{step}")
    return ",".join(parts)


@dataclasses.dataclass(frozen=True)
class ActiveHours:
    """When a service runs: `days` are cron day-of-week numbers (0 = SUN), times in minutes."""

    text: str
    days: tuple[int, ...]
    start: int
    end: int
    time_zone: str

    @property
    def days_field(self) -> str:
        return ",".join(str(day) for day in self.days)

    @property
    def opens(self) -> CronSchedule:
        line = f"{self.start % 60} {self.start // 60} * * {self.days_field}"
        return CronSchedule(line, self.time_zone)

    @property
    def closes(self) -> CronSchedule:
        line = f"{self.end % 60} {self.end // 60} * * {self.days_field}"
        return CronSchedule(line, self.time_zone)

    @property
    def hours_per_week(self) -> float:
        return len(self.days) * (self.end - self.start) / 60

    def contains(self, instant: datetime.datetime) -> bool:
        """Whether `instant` (timezone-aware) falls inside the window, read in the window's zone."""
        local = instant.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        minute = local.hour * 60 + local.minute
        return local.isoweekday() % 7 in self.days and self.start <= minute < self.end

    def week_mask(self) -> tuple[bool, ...]:
        """168 hours from Monday 00:00 in the window's zone: True where any minute of the hour is
        inside the window (a part hour counts as running, so a saving is never overstated)."""
        mask = []
        for hour in range(168):
            day = (hour // 24 + 1) % 7  # cron numbering, 0 = SUN
            start = hour % 24 * 60
            mask.append(day in self.days and start < self.end and start + 60 > self.start)
        return tuple(mask)


_ACTIVE = re.compile(r"^(\S+) (\d\d):(\d\d)-(\d\d):(\d\d) (\S+)$")
_ACTIVE_HINT = 'use e.g. "Mon-Fri 08:00-20:00 Europe/Berlin"'


def active_hours(text: str) -> ActiveHours:
    """Parse `DAYS HH:MM-HH:MM ZONE` strictly: days as Mon-Fri, Sat,Sun or Mon-Wed,Fri; the
    window within one day (start before end); an IANA zone name."""
    match = _ACTIVE.match(text.strip())
    if not match:
        raise ScheduleError(f"active_hours = {text!r}: not DAYS HH:MM-HH:MM ZONE; {_ACTIVE_HINT}")
    days_text, h1, m1, h2, m2, zone = match.groups()
    days: set[int] = set()
    for item in days_text.split(","):
        first, dash, last = item.partition("-")
        try:
            a = DAYS.index(first.upper())
            b = DAYS.index(last.upper()) if dash else a
        except ValueError:
            raise ScheduleError(
                f"active_hours = {text!r}: {item!r} is not a day or range of Mon Tue Wed Thu Fri"
                f" Sat Sun; {_ACTIVE_HINT}"
            ) from None
        if b < a and b != 0:
            raise ScheduleError(
                f"active_hours = {text!r}: {item!r} runs backwards; list it, e.g. Fri-Sat,Sun"
            )
        days.update(range(a, (b if b else 7) + 1) if dash else (a,))
    days = {day % 7 for day in days}
    start, end = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
    if int(h1) > 23 or int(h2) > 24 or int(m1) > 59 or int(m2) > 59 or end > 1440:
        raise ScheduleError(f"active_hours = {text!r}: not a time of day; {_ACTIVE_HINT}")
    if end == 1440:
        raise ScheduleError(
            f"active_hours = {text!r}: a window ending at 24:00 never closes that day; end at"
            " 23:59 or leave active_hours unset"
        )
    if start >= end:
        raise ScheduleError(
            f"active_hours = {text!r}: the window must open before it closes on the same day;"
            " a window across midnight is not supported, split the days instead"
        )
    _check_zone(zone, text)
    return ActiveHours(text.strip(), tuple(sorted(days)), start, end, zone)


def known_zone(zone: str) -> bool:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_zone(zone: str, text: str) -> None:
    if not known_zone(zone):
        raise ScheduleError(
            f"active_hours = {text!r}: {zone!r} is not a time zone name; use an IANA name such"
            " as Europe/Berlin or UTC"
        ) from None


# A whole year from a Monday: every weekday of every month, both daylight-saving changes.
_YEAR_FROM = datetime.date(2024, 12, 30)


def fires_inside(schedule: CronSchedule, hours: ActiveHours) -> bool:
    """Whether `schedule` fires at least once inside `hours` over a year: a schedule rule that
    off-hours disables outside the window, and that fires only outside it, would never run."""
    minute, hour, dom, month, dow = schedule.cron.split()
    minutes, hours_of_day = _expand(minute, 0, 59), _expand(hour, 0, 23)
    days_of_month, months, weekdays = _expand(dom, 1, 31), _expand(month, 1, 12), _expand(dow, 0, 6)
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    for offset in range(371):
        day = _YEAR_FROM + datetime.timedelta(days=offset)
        # Cron's rule: with both day fields restricted, either may match; else both must.
        by_month, by_week = day.day in days_of_month, day.isoweekday() % 7 in weekdays
        both = dom != "*" and dow != "*"
        if day.month not in months or not ((by_month or by_week) if both else by_month and by_week):
            continue
        for h in hours_of_day:
            for m in minutes:
                instant = datetime.datetime(day.year, day.month, day.day, h, m, tzinfo=zone)
                if hours.contains(instant):
                    return True
    return False


def _expand(field: str, low: int, high: int) -> list[int]:
    """The values a field of a cron line this module wrote takes (lists, ranges, steps)."""
    found: set[int] = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        start, _, end = (f"{low}-{high}" if base == "*" else base).partition("-")
        found.update(range(int(start), int(end or start) + 1, int(step or 1)))
    return sorted(found)
