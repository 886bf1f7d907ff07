"""`aloft logs --target lambda` reads the functions' CloudWatch Logs (moto server) through boto3:
interleaved by time, filtered by level and request id, followed as lines arrive."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from testkit import ctrl_c_reaches

PROJECT = """
[project]
name = "{name}"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.lambda.functions.api]
events = [{{ type = "http_api" }}]

[tool.aloft.lambda.functions.worker]
handler = "orders.jobs.handler"
"""

ALOFT = str(Path(sys.executable).with_name("aloft"))


def _project(tmp_path: Path, name: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(PROJECT.format(name=name))
    return tmp_path


def _put(group: str, stream: str, lines: list[tuple[float, str]]) -> None:
    logs = boto3.client("logs")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": int(t * 1000), "message": m} for t, m in lines],
    )


def _record(t: float, level: str, message: str, request_id: str, **extra: Any) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"
    return json.dumps(
        {"time": stamp, "level": level, "logger": "app", "message": message}
        | {"request_id": request_id, **extra}
    )


def _aloft(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ALOFT, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=60,
        check=False,
    )


def _story(now: float, prefix: str) -> None:
    """Two functions, two environments of one of them, two requests interleaved in time."""
    stream_a = "2026/12/05/[$LATEST]aaaaaaaa11111111"
    stream_b = "2026/12/05/[$LATEST]bbbbbbbb22222222"
    _put(
        f"/aws/lambda/{prefix}-api",
        stream_a,
        [
            (now - 50, "START RequestId: req-1 Version: 3"),
            (now - 49, _record(now - 49, "info", "order received", "req-1", status=200)),
            (now - 46, _record(now - 46, "error", "payment failed", "req-1")),
            (now - 45, "END RequestId: req-1"),
            (now - 45, "REPORT RequestId: req-1\tDuration: 12.0 ms"),
        ],
    )
    _put(
        f"/aws/lambda/{prefix}-api",
        stream_b,
        [(now - 48, _record(now - 48, "info", "order received", "req-2"))],
    )
    _put(
        f"/aws/lambda/{prefix}-worker",
        stream_a,
        [(now - 47, _record(now - 47, "warning", "slow queue", "req-3"))],
    )


def test_logs_interleave_every_function_by_time_with_where_each_line_came_from(
    aws_env: str, tmp_path: Path
) -> None:
    project = _project(tmp_path, "logs-a")
    _story(time.time(), "logs-a")
    result = _aloft("logs", "--project", str(project), "--since", "5m", "--output", "json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["message"] for r in records] == [
        "START RequestId: req-1 Version: 3",
        "order received",
        "order received",
        "slow queue",
        "payment failed",
        "END RequestId: req-1",
        "REPORT RequestId: req-1\tDuration: 12.0 ms",
    ]
    assert [r["function"] for r in records[1:4]] == ["logs-a-api", "logs-a-api", "logs-a-worker"]
    assert records[2]["stream"] == "2026/12/05/[$LATEST]bbbbbbbb22222222"
    assert records[1]["status"] == 200  # the app's own fields pass through


def test_one_request_id_finds_that_requests_whole_story(aws_env: str, tmp_path: Path) -> None:
    project = _project(tmp_path, "logs-b")
    _story(time.time(), "logs-b")
    result = _aloft(
        "logs", "--project", str(project), "--since", "5m", "--request-id", "req-1", "-o", "json"
    )
    assert result.returncode == 0, result.stderr
    messages = [json.loads(line)["message"] for line in result.stdout.splitlines()]
    assert messages == [
        "START RequestId: req-1 Version: 3",
        "order received",
        "payment failed",
        "END RequestId: req-1",
        "REPORT RequestId: req-1\tDuration: 12.0 ms",
    ]


def test_level_keeps_that_level_and_above_and_pretty_output_names_the_source(
    aws_env: str, tmp_path: Path
) -> None:
    project = _project(tmp_path, "logs-c")
    _story(time.time(), "logs-c")
    result = _aloft("logs", "--project", str(project), "--since", "5m", "--level", "warning")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # Info lines, the app's and Lambda's own (START, END, REPORT), stay out.
    assert "order received" not in result.stdout and "RequestId" not in result.stdout
    warning = next(line for line in lines if "slow queue" in line)
    assert warning.startswith("worker/aaaaaaaa | ")
    assert "WARNING" in warning and "request_id=req-3" in warning
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    assert any("payment failed" in line and "ERROR" in line for line in lines)


def test_since_leaves_out_older_lines(aws_env: str, tmp_path: Path) -> None:
    project = _project(tmp_path, "logs-d")
    now = time.time()
    _put("/aws/lambda/logs-d-api", "s", [(now - 7200, "old line"), (now - 60, "new line")])
    result = _aloft("logs", "--project", str(project), "--since", "1h", "--service", "api")
    assert result.returncode == 0, result.stderr
    assert "new line" in result.stdout and "old line" not in result.stdout
    older = _aloft("logs", "--project", str(project), "--since", "3h", "--service", "api")
    assert "old line" in older.stdout


def test_follow_prints_lines_as_they_arrive_and_stops_on_ctrl_c(
    aws_env: str, tmp_path: Path
) -> None:
    project = _project(tmp_path, "logs-e")
    now = time.time()
    _put("/aws/lambda/logs-e-api", "s", [(now - 5, "before")])
    process = subprocess.Popen(
        ctrl_c_reaches(
            [ALOFT, "logs", "--project", str(project), "--follow", "--since", "1m", "-o", "json"]
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["message"] == "before"
        _put("/aws/lambda/logs-e-api", "s", [(time.time(), "after")])
        _put("/aws/lambda/logs-e-worker", "w", [(time.time(), "worker woke")])
        got = [json.loads(process.stdout.readline()) for _ in range(2)]
        assert sorted(r["message"] for r in got) == ["after", "worker woke"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    assert process.returncode == 130


def test_no_log_group_yet_is_one_line_and_exit_1(aws_env: str, tmp_path: Path) -> None:
    project = _project(tmp_path, "logs-f")
    result = _aloft("logs", "--project", str(project))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "no log group /aws/lambda/logs-f-api, /aws/lambda/logs-f-worker" in result.stderr


def test_bad_input_is_one_line_and_exit_2(aws_env: str, tmp_path: Path) -> None:
    project = _project(tmp_path, "logs-g")
    for args, message in [
        (["--since", "yesterday"], "--since yesterday: not a duration or a time"),
        (["--level", "loud"], "--level loud: not a level"),
        (["--service", "nope"], "--service nope: not in [tool.aloft.lambda.functions]"),
        (["--target", "k8s", "--service", "nope"], "--service nope: not a service of"),
    ]:
        result = _aloft("logs", "--project", str(project), *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and result.stderr.count("\n") == 1


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """What the command prints with a pseudo-terminal as its stdout."""
    import pty

    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [ALOFT, *args],
            stdout=follower,
            stderr=subprocess.PIPE,
            env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, **env},
            timeout=60,
            check=False,
        )
        assert process.returncode == 0, process.stderr
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(leader)


def test_pretty_output_is_coloured_on_a_terminal_unless_no_color(
    aws_env: str, tmp_path: Path
) -> None:
    project = _project(tmp_path, "logs-h")
    _story(time.time(), "logs-h")
    args = ["logs", "--project", str(project), "--since", "5m", "--request-id", "req-1"]
    coloured = _on_a_terminal(args, {})
    assert "\x1b[31mERROR" in coloured and "payment failed" in coloured
    plain = _on_a_terminal(args, {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "payment failed" in plain
