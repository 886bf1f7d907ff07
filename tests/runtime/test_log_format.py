"""ALOFT_LOG_FORMAT: console lines on a terminal (coloured unless NO_COLOR), JSON everywhere else.

The server tests run the real server with its stdout on a real pseudo-terminal, or on a pipe.
"""

from __future__ import annotations

import json
import logging
import os
import pty
import re
import select
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aloft.runtime import logs, redact
from aloft.runtime.console import render_console, use_color, use_console
from testkit import ALOFT, EXAMPLES, REPO, free_port, http

ANSI = re.compile(r"\x1b\[[0-9;]*m")

APP = """
def app(environ, start_response):
    import logging
    logging.getLogger("shop").info("order placed", extra={"order_id": 7, "note": "two words"})
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


# -- the renderer ------------------------------------------------------------------------------

FIELDS = {
    "time": "2026-12-05T16:50:31.123Z",
    "level": "info",
    "logger": "aloft.access",
    "message": "request",
    "service": "shop",
    "request_id": "rid-1",
    "trace_id": "t" * 32,
    "method": "GET",
    "path": "/items/42",
    "route": "/items/{item_id}",
    "status": 200,
    "duration_ms": 1.234,
}


def test_a_console_line_has_time_level_logger_message_then_the_important_fields() -> None:
    line = render_console(FIELDS, color=False)
    assert line.startswith("16:50:31.123 INFO  aloft.access request GET /items/42 200 1.234ms")
    assert "request_id=rid-1" in line
    rest = line.split("request_id=rid-1", 1)[1]
    assert "service=shop" in rest and "route=/items/{item_id}" in rest  # the rest, after
    assert not ANSI.search(line) and "\n" not in line


def test_colour_marks_the_level_and_dims_the_rest_only_when_asked() -> None:
    plain = render_console({**FIELDS, "level": "error", "status": 503}, color=False)
    coloured = render_console({**FIELDS, "level": "error", "status": 503}, color=True)
    assert "\x1b[31mERROR" in coloured and "\x1b[2m" in coloured
    assert ANSI.sub("", coloured) == plain


def test_values_with_spaces_are_quoted_and_a_traceback_follows_on_its_own_lines() -> None:
    line = render_console(
        {"level": "error", "message": "boom", "note": "two words", "exception": "Traceback\n  x"},
        color=False,
    )
    assert 'note="two words"' in line
    assert line.endswith('boom note="two words"\nTraceback\n  x')


def test_no_color_wins_and_force_color_colours_off_a_terminal() -> None:
    read_fd, write_fd = os.pipe()
    try:
        assert use_color(write_fd, {}) is False  # a pipe
        assert use_color(write_fd, {"FORCE_COLOR": "1"}) is True
        assert use_color(write_fd, {"FORCE_COLOR": "1", "NO_COLOR": "1"}) is False
        assert use_console("auto", write_fd) is False
        assert use_console("console", write_fd) is True
    finally:
        os.close(read_fd)
        os.close(write_fd)
    main, child = pty.openpty()
    try:
        assert use_console("auto", child, {}) is True
        assert use_console("auto", child, {"CI": "true"}) is False  # CI runners fake terminals
        assert use_console("console", child, {"CI": "true"}) is True
        assert use_console("json", child) is False
        assert use_color(child, {}) is True
        assert use_color(child, {"NO_COLOR": "1"}) is False
        assert use_color(child, {"NO_COLOR": ""}) is True  # set but empty: not set
    finally:
        os.close(main)
        os.close(child)


@pytest.fixture
def console_logs() -> Iterator[Callable[[], str]]:
    """The root logger through aloft's handler in console format, into a real pipe."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    saved_module = (logs._handler, logs._service, logs._service_field)
    logs.configure("svc", "debug", "console")
    root.handlers[0].fd = write_fd  # type: ignore[attr-defined]

    def read() -> str:
        try:
            return os.read(read_fd, 1 << 20).decode()
        except BlockingIOError:
            return ""

    yield read
    root.handlers[:], root.level = saved
    logs._handler, logs._service, logs._service_field = saved_module
    logs.configure("svc", "info", "json")
    root.handlers[:], root.level = saved
    os.close(read_fd)
    os.close(write_fd)


def test_console_lines_are_redacted_exactly_as_json_lines(
    console_logs: Callable[[], str],
) -> None:
    secret = "hunter2-console-secret"
    redact.register_secret(secret)
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    logging.getLogger("shop").info("using %s", secret, extra={"password_copy": secret})
    logging.getLogger("shop").error("connecting with %s", token)
    written = console_logs()
    assert secret not in written and token not in written
    assert written.count(redact.MASK) >= 3
    assert not written.lstrip().startswith("{")


# -- the real server ---------------------------------------------------------------------------


def _serve(tmp_path: Path, env: dict[str, str], stdout: int | None) -> subprocess.Popen[bytes]:
    (tmp_path / "tty_app.py").write_text(textwrap.dedent(APP))
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALOFT_") and "COLOR" not in k and k != "CI"
    }
    environ.update(
        {
            "ALOFT_APP": "tty_app:app",
            "ALOFT_HOST": "127.0.0.1",
            "ALOFT_PORT": str(env.pop("PORT")),
            "ALOFT_WORKERS": "1",
            "ALOFT_DRAIN_DELAY": "0",
            "PYTHONPATH": str(tmp_path),
            **env,
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "aloft.runtime", "serve"],
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=environ,
        start_new_session=True,
    )


def _read_until(fd: int, seen: bytearray, needle: bytes, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {needle!r} within {timeout}s: {bytes(seen)[-2000:]!r}"
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                chunk = b""
            assert chunk, f"output ended before {needle!r}: {bytes(seen)[-2000:]!r}"
            seen += chunk


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _console_output_on_a_terminal(
    command_env: dict[str, str], start: Callable[[dict[str, str], int], subprocess.Popen[bytes]]
) -> tuple[str, str]:
    """(what the server wrote to its terminal, the request id of the request made)."""
    main, child = pty.openpty()
    port = free_port()
    process = start({"PORT": str(port), **command_env}, child)
    os.close(child)
    seen = bytearray()
    try:
        _read_until(main, seen, b"listening on")
        rid = "rid-on-a-tty"
        deadline = time.monotonic() + 20
        while True:
            try:
                assert http("GET", f"http://127.0.0.1:{port}/hello", headers={"X-Request-ID": rid})
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        _read_until(main, seen, b"aloft.access")
        time.sleep(0.2)  # the access line follows the app's own line
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            seen += os.read(main, 65536)
    finally:
        _stop(process)
        os.close(main)
    return seen.decode("utf-8", "replace").replace("\r\n", "\n"), rid


def test_the_server_on_a_terminal_writes_coloured_console_lines(tmp_path: Path) -> None:
    output, rid = _console_output_on_a_terminal({}, lambda env, fd: _serve(tmp_path, env, fd))
    lines = [ln for ln in output.splitlines() if rid in ln]
    assert lines, output
    assert all(ANSI.search(ln) for ln in lines)
    access = next(ANSI.sub("", ln) for ln in lines if "aloft.access" in ln)
    assert re.search(r"^\d\d:\d\d:\d\d\.\d{3} INFO  aloft\.access request GET /hello 200 ", access)
    assert f"request_id={rid}" in access
    app_line = next(ANSI.sub("", ln) for ln in lines if "order placed" in ln)
    assert "order_id=7" in app_line and 'note="two words"' in app_line
    assert not any(ln.lstrip().startswith("{") for ln in output.splitlines())


def test_no_color_gives_console_lines_without_colour(tmp_path: Path) -> None:
    output, rid = _console_output_on_a_terminal(
        {"NO_COLOR": "1"}, lambda env, fd: _serve(tmp_path, env, fd)
    )
    assert rid in output and "aloft.access request GET /hello 200" in output
    assert not ANSI.search(output)


def test_a_pipe_gets_one_json_object_per_line(tmp_path: Path) -> None:
    port = free_port()
    process = _serve(tmp_path, {"PORT": str(port)}, None)
    assert process.stdout is not None
    seen = bytearray()
    try:
        fd = process.stdout.fileno()
        _read_until(fd, seen, b"listening on")
        deadline = time.monotonic() + 20
        while True:
            try:
                http("GET", f"http://127.0.0.1:{port}/hello", headers={"X-Request-ID": "rid-pipe"})
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        _read_until(fd, seen, b'"path":"/hello"')
    finally:
        _stop(process)
    lines = [ln for ln in bytes(seen).decode().splitlines() if ln.strip()]
    records = [json.loads(ln) for ln in lines if ln.startswith("{")]
    assert any(r.get("request_id") == "rid-pipe" and r.get("status") == 200 for r in records)
    assert all(ln.startswith("{") for ln in lines if "rid-pipe" in ln)
    assert not ANSI.search(bytes(seen).decode())


def test_aloft_run_hands_its_terminal_to_the_server(tmp_path: Path) -> None:
    """`aloft run` passes ALOFT_LOG_FORMAT=auto down and execs the server on the same terminal."""

    def start(env: dict[str, str], fd: int) -> subprocess.Popen[bytes]:
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("ALOFT_") and "COLOR" not in k and k != "CI"
        }
        environ.update(
            {
                "ALOFT_PORT": env["PORT"],
                "ALOFT_WORKERS": "1",
                "REDIS_URL": "redis://127.0.0.1:1/0",
            }
        )
        return subprocess.Popen(
            [*ALOFT, "run", "--project", str(EXAMPLES / "flask"), "--host", "127.0.0.1"],
            stdout=fd,
            stderr=fd,
            stdin=subprocess.DEVNULL,
            env=environ,
            cwd=str(REPO),
            start_new_session=True,
        )

    output, rid = _console_output_on_a_terminal({}, start)
    access = [ANSI.sub("", ln) for ln in output.splitlines() if rid in ln and "aloft.access" in ln]
    assert access and " GET /hello " in access[0], output
    assert ANSI.search(output)


def test_a_json_access_line_read_back_renders_as_its_console_line() -> None:
    """What `aloft logs` does with a pod's lines: JSON in, the same console line out."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook)
    logs.configure("shop", "info", "json")
    try:
        line = logs.access_line(
            "POST", "/orders", "/orders", 201, 0.0042, "", None, None, time.time()
        )
    finally:
        logs.configure("", "info", "json")
        root.handlers[:], root.level, sys.excepthook = saved
    assert line is not None
    shown = render_console(json.loads(line), color=False)
    assert " INFO  aloft.access request POST /orders 201 4.2ms" in shown
    assert "service=shop route=/orders" in shown
