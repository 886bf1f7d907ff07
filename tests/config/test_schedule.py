"""EventBridge schedules -> Kubernetes cron lines, and active hours: exact, or one-line errors."""

from __future__ import annotations

import pytest

from aloft.config.schedule import (
    CronSchedule,
    ScheduleError,
    active_hours,
    fires_inside,
    to_cron,
)


@pytest.mark.parametrize(
    ("expression", "cron"),
    [
        # rate(): the period, on the clock's phase
        ("rate(1 minute)", "* * * * *"),
        ("rate(5 minutes)", "*/5 * * * *"),
        ("rate(30 minutes)", "*/30 * * * *"),
        ("rate(60 minutes)", "0 * * * *"),
        ("rate(1 hour)", "0 * * * *"),
        ("rate(120 minutes)", "0 */2 * * *"),
        ("rate(6 hours)", "0 */6 * * *"),
        ("rate(24 hours)", "0 0 * * *"),
        ("rate(1 day)", "0 0 * * *"),
        # cron(): the examples of the EventBridge user guide
        ("cron(0 10 * * ? *)", "0 10 * * *"),
        ("cron(15 12 * * ? *)", "15 12 * * *"),
        ("cron(0 18 ? * MON-FRI *)", "0 18 * * 1-5"),
        ("cron(0 8 1 * ? *)", "0 8 1 * *"),
        ("cron(0/15 * * * ? *)", "0-59/15 * * * *"),
        ("cron(0/10 * ? * MON-FRI *)", "0-59/10 * * * 1-5"),
        ("cron(0/5 8-17 ? * MON-FRI *)", "0-59/5 8-17 * * 1-5"),
        # day-of-week counts 1 (SUN) .. 7 (SAT) on EventBridge, 0 .. 6 in cron
        ("cron(0 12 ? * 1 *)", "0 12 * * 0"),
        ("cron(0 12 ? * 7 *)", "0 12 * * 6"),
        ("cron(0 12 ? * 2-6 *)", "0 12 * * 1-5"),
        ("cron(0 12 ? * SUN,SAT *)", "0 12 * * 0,6"),
        ("cron(0 12 ? * 2/2 *)", "0 12 * * 1-6/2"),
        ("cron(0 12 ? * */2 *)", "0 12 * * */2"),
        # months by name and number, lists and steps
        ("cron(30 6 1,15 JAN,jul ? *)", "30 6 1,15 1,7 *"),
        ("cron(0 0 1 */3 ? *)", "0 0 1 */3 *"),
        ("cron(5/20 1-3,22 ? * * *)", "5-59/20 1-3,22 * * *"),
    ],
)
def test_translates_exactly(expression: str, cron: str) -> None:
    assert to_cron(expression) == CronSchedule(cron, "Etc/UTC")


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("rate(90 minutes)", "90 minutes divides neither"),
        ("rate(7 minutes)", "7 minutes divides neither"),
        ("rate(5 hours)", "300 minutes divides neither"),
        ("rate(2 days)", "2880 minutes divides neither"),
        ("rate(1 minutes)", "use rate(1 minute)"),
        ("rate(5 minute)", "use rate(5 minutes)"),
        ("rate(0 minutes)", "at least 1"),
        ("cron(0 12 L * ? *)", "uses 'L'"),
        ("cron(0 12 15W * ? *)", "uses 'W'"),
        ("cron(0 12 ? * 6L *)", "uses 'L'"),
        ("cron(0 9 ? * 2#1 *)", "uses '#'"),
        ("cron(0 12 * * ? 2027)", "year '2027'"),
        ("cron(0 12 * * ? 2027-2029)", "year '2027-2029'"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 12 * * ?)", "6 fields"),
        ("cron(60 12 * * ? *)", "minutes 60 is outside 0-59"),
        ("cron(0 24 * * ? *)", "hours 24 is outside 0-23"),
        ("cron(0 12 ? * 0 *)", "day-of-week 0 is outside 1-7"),
        ("cron(0 12 ? * FRI-MON *)", "wraps around"),
        ("cron(0 12 ? * FUN *)", "'FUN' is not a number or one of SUN-SAT"),
        ("every 5 minutes", "not an EventBridge schedule"),
    ],
)
def test_refuses_what_cron_cannot_say_in_one_line(expression: str, says: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        to_cron(expression)
    message = str(caught.value)
    assert says in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("cron", "free"),
    [
        ("* * * * *", True),
        ("*/5 * * * *", True),
        ("*/15 * * * *", True),
        ("*/30 * * * *", False),  # :00/:30 local is :15/:45 UTC in a :45 zone
        ("0 * * * *", False),
        ("0 10 * * *", False),
        ("*/5 * * * 1-5", False),
    ],
)
def test_zone_free_only_where_every_offset_fires_the_same(cron: str, free: bool) -> None:
    assert CronSchedule(cron).zone_free is free


def test_active_hours_parse_into_the_two_edges() -> None:
    hours = active_hours("Mon-Fri 08:00-20:00 Europe/Berlin")
    assert hours.days == (1, 2, 3, 4, 5)
    assert hours.opens == CronSchedule("0 8 * * 1,2,3,4,5", "Europe/Berlin")
    assert hours.closes == CronSchedule("0 20 * * 1,2,3,4,5", "Europe/Berlin")
    assert hours.hours_per_week == 60
    weekend = active_hours("Sat-Sun 09:30-17:45 UTC")
    assert weekend.days == (0, 6)
    assert weekend.opens.cron == "30 9 * * 0,6"
    assert active_hours("Mon,Wed-Thu 00:00-23:59 Etc/UTC").days == (1, 3, 4)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Mon-Fri 8:00-20:00 Europe/Berlin", "not DAYS HH:MM-HH:MM ZONE"),
        ("Mon-Fri 08:00-20:00", "not DAYS HH:MM-HH:MM ZONE"),
        ("Mo-Fr 08:00-20:00 Europe/Berlin", "'Mo-Fr' is not a day"),
        ("Fri-Tue 08:00-20:00 Europe/Berlin", "runs backwards"),
        ("Mon-Fri 20:00-08:00 Europe/Berlin", "across midnight"),
        ("Mon-Fri 08:00-08:00 Europe/Berlin", "open before it closes"),
        ("Mon-Fri 08:00-24:00 Europe/Berlin", "ending at 24:00"),
        ("Mon-Fri 08:00-25:00 Europe/Berlin", "not a time of day"),
        ("Mon-Fri 08:61-20:00 Europe/Berlin", "not a time of day"),
        ("Mon-Fri 08:00-20:00 Europe/Berlinn", "'Europe/Berlinn' is not a time zone"),
    ],
)
def test_active_hours_are_parsed_strictly(text: str, says: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        active_hours(text)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("expression", "inside"),
    [
        ("rate(5 minutes)", True),
        ("cron(0 3 * * ? *)", False),  # 04:00 or 05:00 in Berlin: always outside
        ("cron(0 12 ? * SAT *)", False),  # a weekend day
        ("cron(* 0-5 * * ? *)", False),  # every minute, all night long
        ("cron(0 12 1 * ? *)", True),  # the 1st is a weekday in some months
        ("cron(0 7 ? * MON *)", True),  # 08:00 CET, 09:00 CEST: the window opens at 08:00
        ("cron(30 6 ? * MON *)", True),  # 08:30 CEST in summer only (07:30 CET in winter)
        ("cron(0 19 ? * FRI *)", False),  # 20:00 CET / 21:00 CEST: the window has closed
    ],
)
def test_fires_inside_reads_utc_schedules_in_the_windows_zone_over_a_year(
    expression: str, inside: bool
) -> None:
    hours = active_hours("Mon-Fri 08:00-20:00 Europe/Berlin")
    assert fires_inside(to_cron(expression), hours) is inside
