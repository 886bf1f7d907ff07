"""`aloft logs --target lambda`: the functions' CloudWatch Logs, read and followed with boto3.

Each function writes to the group `/aws/lambda/<function name>`, one stream per execution
environment. `FilterLogEvents` reads a group across its streams from a start time; following
polls it again from the newest time seen, skipping events already shown (several events share a
millisecond, and one that arrives late carries an older time), as `aws logs tail --follow` does.
"""

from __future__ import annotations

import contextlib
import heapq
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from aloft.exceptions import ConfigError, OperationFailed
from aloft.observe.logs import LogLine
from aloft.serverless.model import Function, Stack

# Polling bounds for --follow: quick while lines arrive, slower while idle, never beyond MAX.
POLL_MIN = 1.0
POLL_MAX = 5.0
_PLAIN = re.compile(r"^[A-Za-z0-9_.:/@=+-]+$")


def select(stack: Stack, keys: tuple[str, ...], option: str = "--service") -> list[Function]:
    """The functions named by `option` (keys of [tool.aloft.lambda.functions]), or all."""
    by_key = {fn.key: fn for fn in stack.functions}
    for key in keys:
        if key not in by_key:
            raise ConfigError(
                f"{option} {key}: not in [tool.aloft.lambda.functions]; known: "
                + ", ".join(sorted(by_key))
            )
    return [by_key[k] for k in keys] if keys else list(stack.functions)


@contextlib.contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """An AWS API error or an unreachable endpoint is one line, not a traceback."""
    try:
        yield
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "boto3")):
            raise OperationFailed(f"{what}: {exc}") from None
        raise


def group_name(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def client(service: str, region: str) -> Any:
    """A boto3 client for `region`; AWS_ENDPOINT_URL (e.g. a moto server) is honoured by boto3."""
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError:
        raise OperationFailed(
            "this command needs boto3: install the tool with the aws extra "
            "(uv tool install 'aloft-cli[aws]', or pipx install 'aloft-cli[aws]')"
        ) from None
    return boto3.session.Session(region_name=region).client(service)


def _events(logs: Any, group: str, start_ms: int, pattern: str | None) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    if pattern:
        kwargs["filterPattern"] = pattern
    for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
        yield from page.get("events", [])


def _line(fn: Function, event: dict[str, Any]) -> LogLine:
    stream = str(event.get("logStreamName", ""))
    # A stream is one execution environment; its last characters tell environments apart.
    short = stream.rsplit("]", 1)[-1][:8] if "]" in stream else stream[-8:]
    return LogLine(
        event["timestamp"] / 1000,
        f"{fn.key}/{short}" if short else fn.key,
        str(event.get("message", "")).rstrip("\n"),
        {"function": fn.name, "stream": stream},
    )


def _pattern(request_id: str | None) -> str | None:
    """Let CloudWatch do the coarse cut for --request-id (a quoted term matches any event
    containing it); the exact match on fields is still made on each line."""
    if request_id and _PLAIN.match(request_id):
        return f'"{request_id}"'
    return None  # a quote or backslash would change the pattern: filter here only


def read(
    stack: Stack,
    functions: list[Function],
    since: float,
    *,
    request_id: str | None = None,
) -> list[LogLine]:
    """Every event of the functions' groups from `since`, interleaved by time."""
    with aws_errors("reading CloudWatch Logs"):
        return _read(client("logs", stack.region), stack, functions, since, request_id)


def _read(
    logs: Any, stack: Stack, functions: list[Function], since: float, request_id: str | None
) -> list[LogLine]:
    found: list[list[LogLine]] = []
    missing: list[str] = []
    for fn in functions:
        group = group_name(fn.name)
        try:
            events = list(_events(logs, group, int(since * 1000), _pattern(request_id)))
        except logs.exceptions.ResourceNotFoundException:
            missing.append(group)
            continue
        found.append(sorted((_line(fn, e) for e in events), key=lambda line: line.time))
    if missing and len(missing) == len(functions):
        raise OperationFailed(
            f"no log group {', '.join(missing)} in {stack.region}: the function has not run yet,"
            " or was deployed to another region ([tool.aloft.lambda] region)"
        )
    return list(heapq.merge(*found, key=lambda line: line.time))


def follow(
    stack: Stack,
    functions: list[Function],
    since: float,
    *,
    request_id: str | None = None,
    stop: threading.Event | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LogLine]:
    """Events as they arrive, until `stop` is set (or the caller stops iterating)."""
    with aws_errors("following CloudWatch Logs"):
        yield from _follow(client("logs", stack.region), functions, since, request_id, stop, sleep)


def _follow(
    logs: Any,
    functions: list[Function],
    since: float,
    request_id: str | None,
    stop: threading.Event | None,
    sleep: Callable[[float], None],
) -> Iterator[LogLine]:
    cursor = {fn.name: int(since * 1000) for fn in functions}
    seen: dict[str, set[str]] = {fn.name: set() for fn in functions}
    pause = POLL_MIN
    while stop is None or not stop.is_set():
        batch: list[LogLine] = []
        for fn in functions:
            try:
                events = list(
                    _events(logs, group_name(fn.name), cursor[fn.name], _pattern(request_id))
                )
            except logs.exceptions.ResourceNotFoundException:
                continue  # not invoked yet: its group appears with the first line
            fresh = [e for e in events if e["eventId"] not in seen[fn.name]]
            if not fresh:
                continue
            newest = max(e["timestamp"] for e in fresh)
            # Keep ids from the newest millisecond only: the next poll starts there.
            if newest > cursor[fn.name]:
                cursor[fn.name] = newest
                seen[fn.name] = set()
            seen[fn.name].update(e["eventId"] for e in events if e["timestamp"] == newest)
            batch.extend(_line(fn, e) for e in fresh)
        batch.sort(key=lambda line: line.time)
        yield from batch
        pause = POLL_MIN if batch else min(pause * 1.5, POLL_MAX)
        if stop is not None:
            if stop.wait(pause):
                return
        else:
            sleep(pause)
