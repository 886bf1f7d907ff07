"""The progress sinks: plain lines off a terminal, rich's live display on one, nothing for JSON.

The library reports steps and bytes to whichever sink the CLI picked; these tests drive the sinks
the way `aloft.image.publish` does (a transfer, then the step that names how it ended).
"""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest

from aloft.progress import (
    SILENT,
    LineProgress,
    LiveProgress,
    Progress,
    as_progress,
    for_output,
    human_size,
)


def test_off_a_terminal_steps_are_plain_lines_and_a_transfer_adds_bytes_and_rate() -> None:
    out = io.StringIO()
    with LineProgress(out) as progress:
        progress("linux/amd64: base")
        with progress.transfer("blob 0123456789ab", 3_000_000) as moved:
            moved.advance(2_000_000)
            moved.advance(1_000_000)
        progress("blob 0123456789ab 3.0 MB uploaded")
        with progress.transfer("blob ffffffffffff", 10):
            pass  # already in the registry: nothing moved
        progress("blob ffffffffffff 0.0 MB exists")
    lines = out.getvalue().splitlines()
    assert lines[0] == "  linux/amd64: base"
    assert re.fullmatch(
        r"  blob 0123456789ab 3\.0 MB uploaded \(3\.0 MB in [\d.]+ s, [\d.]+ [kMG]?B/s\)", lines[1]
    )
    assert lines[2] == "  blob ffffffffffff 0.0 MB exists"
    assert "\x1b[" not in out.getvalue()


def test_sizes_read_in_decimal_units() -> None:
    assert [human_size(n) for n in (780, 4_700, 15_700_000, 2_500_000_000)] == [
        "780 B",
        "4.7 kB",
        "15.7 MB",
        "2.5 GB",
    ]


def test_json_output_and_no_progress_get_the_silent_sink(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALOFT_NO_PROGRESS", raising=False)
    assert for_output("json", io.StringIO()) is SILENT
    assert isinstance(for_output("text", io.StringIO()), LineProgress)
    monkeypatch.setenv("ALOFT_NO_PROGRESS", "1")
    assert for_output("text", io.StringIO()) is SILENT


def test_a_plain_callable_is_a_progress_of_steps() -> None:
    seen: list[str] = []
    progress = as_progress(seen.append)
    with progress.transfer("blob x", 5) as moved:
        moved.advance(5)
    progress("blob x uploaded")
    assert seen == ["blob x uploaded"]
    assert as_progress(None) is SILENT
    line = LineProgress(io.StringIO())
    assert as_progress(line) is line and isinstance(line, Progress)


# A child whose stderr is a terminal (a pty) and whose stdout is a pipe, as in `aloft build | jq`.
CHILD = """
import sys
import time
from aloft.progress import for_output
with for_output("text") as progress:
    print(type(progress).__name__, flush=True)
    progress("linux/amd64: base")
    with progress.transfer("blob 0123456789ab", 4_000_000) as moved:
        for _ in range(4):
            time.sleep(0.25)  # rich redraws ten times a second: let it draw the bar
            moved.advance(1_000_000)
    progress("blob 0123456789ab 4.0 MB uploaded")
print("RESULT", flush=True)
"""


def read_all(fd: int, deadline: float) -> bytes:
    data = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        data += chunk
    return data


def test_on_a_terminal_rich_draws_bars_on_stderr_and_stdout_keeps_only_the_result() -> None:
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("ALOFT_NO_PROGRESS", "NO_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="120")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    try:
        drawn = read_all(leader, time.monotonic() + 30).decode("utf-8", "replace")
        stdout, _ = child.communicate(timeout=30)
    finally:
        os.close(leader)
        if child.poll() is None:
            child.kill()
    assert stdout.decode().splitlines() == ["LiveProgress", "RESULT"]
    assert "\x1b[" in drawn  # escape sequences: a live display, not plain lines
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)
    assert "✓ linux/amd64: base" in plain
    assert re.search(r"/4\.0 MB", plain)  # the live bar's bytes, while they moved
    assert re.search(
        r"✓ blob 0123456789ab 4\.0 MB uploaded .*4\.0 MB in [\d.]+ s, [\d.]+ MB/s", plain
    )
    assert "\x1b[?25h" in drawn  # the cursor is shown again when the display settles


def test_live_progress_stops_cleanly_when_the_work_fails() -> None:
    out = io.StringIO()
    progress = LiveProgress(out)
    with pytest.raises(RuntimeError), progress:
        progress("step")
        raise RuntimeError("boom")
    assert not progress.bars.live.is_started
