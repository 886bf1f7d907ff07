"""The one log stream every target feeds: --since, --level and --request-id, and the two ways a
line is shown (readable, or JSON passed through with where it came from)."""

from __future__ import annotations

import json

import pytest

from aloft.exceptions import ConfigError
from aloft.kube.logs import parse_stamp
from aloft.observe.logs import (
    LogFilter,
    LogLine,
    as_json,
    fields_of,
    parse_level,
    parse_since,
    pretty,
)

NOW = 1_780_000_000.0


def _line(text: str, t: float = NOW) -> LogLine:
    return LogLine(t, "shop-7d9c-x2x", text, {"pod": "shop-7d9c-x2x"})


def _keeps(keep: LogFilter, text: str, t: float = NOW) -> bool:
    return keep.keeps(_line(text, t), fields_of(text))


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("10m", 600), ("1h", 3600), ("2d", 172800), ("1.5h", 5400)]
)
def test_since_takes_a_duration_back_from_now(text: str, seconds: int) -> None:
    assert parse_since(text, now=NOW) == NOW - seconds


def test_since_takes_an_rfc3339_time_with_its_offset() -> None:
    assert parse_since("2026-05-28T20:26:40Z") == 1_780_000_000.0
    assert parse_since("2026-05-28T22:26:40+02:00") == 1_780_000_000.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "--since yesterday: not a duration or a time; use e.g. 10m"),
        ("2026-05-28T20:26:40", "a time needs its offset; add Z for UTC"),
    ],
)
def test_a_bad_since_is_one_line_naming_the_fix(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_since(text)


def test_level_keeps_that_level_and_above_whatever_the_spelling() -> None:
    keep = LogFilter(level=parse_level("WARN"))
    assert keep.level == "warning"
    assert not _keeps(keep, '{"level":"info","message":"m"}')
    assert _keeps(keep, '{"level":"warning","message":"m"}')
    assert _keeps(keep, '{"level":"ERROR","message":"m"}')  # Lambda's JSON spelling
    assert _keeps(keep, "Traceback (most recent call last):")  # text passes through
    assert not _keeps(keep, "REPORT RequestId: r-1\tDuration: 2.1 ms")  # Lambda's, info
    assert _keeps(LogFilter(level="info"), "START RequestId: r-1 Version: 3")
    assert not _keeps(keep, '{"type":"platform.report","record":{}}')  # not a log record
    with pytest.raises(ConfigError, match="--level loud: not a level; use one of debug"):
        parse_level("loud")


def test_request_id_finds_the_app_lines_and_lambdas_own_lines_of_that_request() -> None:
    keep = LogFilter(request_id="r-1")
    assert _keeps(keep, '{"message":"m","request_id":"r-1"}')
    assert _keeps(keep, '{"message":"m","requestId":"r-1"}')
    assert _keeps(keep, '{"type":"platform.start","record":{"requestId":"r-1"}}')
    assert _keeps(keep, "REPORT RequestId: r-1\tDuration: 2.1 ms")
    assert not _keeps(keep, '{"message":"m","request_id":"r-10"}')
    assert not _keeps(keep, "REPORT RequestId: r-10\tDuration: 2.1 ms")
    assert not _keeps(keep, "a line with no request")


def test_since_cuts_at_the_platforms_time() -> None:
    keep = LogFilter(since=NOW)
    assert _keeps(keep, "now", NOW) and not _keeps(keep, "before", NOW - 0.001)


def test_json_output_passes_the_apps_fields_through_with_the_pod() -> None:
    text = '{"time":"2026-05-28T20:26:40.000Z","level":"info","message":"m","status":200}'
    record = json.loads(as_json(_line(text), fields_of(text)))
    assert record == {
        "time": "2026-05-28T20:26:40.000Z",
        "level": "info",
        "message": "m",
        "status": 200,
        "pod": "shop-7d9c-x2x",
    }
    plain = json.loads(as_json(_line("plain text"), None))
    assert plain == {
        "time": "2026-05-28T20:26:40.000Z",
        "message": "plain text",
        "pod": "shop-7d9c-x2x",
    }


def test_pretty_output_is_one_readable_line_and_colour_only_when_asked() -> None:
    text = json.dumps(
        {
            "time": "2026-05-28T20:26:40.123Z",
            "level": "error",
            "logger": "shop",
            "message": "payment failed",
            "service": "shop",
            "request_id": "r-1",
            "trace_id": "t",
            "order": 7,
            "exception": "Traceback ...\nValueError: no",
        }
    )
    plain = pretty(_line(text), fields_of(text), color=False)
    head, _, trace = plain.partition("\n")
    assert head.startswith("shop-7d9c-x2x | 20:26:40.123 ERROR")
    for part in (" shop ", "payment failed", "request_id=r-1", "order=7"):
        assert part in head
    assert trace == "Traceback ...\nValueError: no"
    assert "\x1b[" not in plain
    coloured = pretty(_line(text), fields_of(text), color=True)
    assert "\x1b[31mERROR" in coloured and "payment failed" in coloured
    assert pretty(_line("not json"), None, color=False) == "shop-7d9c-x2x | not json"


def test_the_kubelets_nanosecond_timestamps_order_lines() -> None:
    assert parse_stamp("2026-05-28T20:26:40.123456789Z") == pytest.approx(NOW + 0.123456789)
    assert parse_stamp("2026-05-28T20:26:40Z") == NOW
