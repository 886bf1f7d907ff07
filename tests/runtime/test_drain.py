"""Graceful drain under load: the behaviour Kubernetes relies on when it replaces a pod."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from testkit import Response, Server

LOADGEN = Path(__file__).with_name("loadgen.py")
DELAY = 2.0


@pytest.mark.parametrize("to_group", [False, True], ids=["master", "process-group"])
@pytest.mark.parametrize(
    "example,slow_path", [("fastapi", "/report?seconds=2.5"), ("flask", "/report?seconds=2.5")]
)
def test_sigterm_drains_without_failing_requests(
    example: str, slow_path: str, to_group: bool, run_server
) -> None:
    """SIGTERM to the master (as Kubernetes sends it) or to the whole group (as `timeout` does)."""
    server: Server = run_server(
        example, workers=2, redis_db=5, env={"ALOFT_DRAIN_DELAY": str(DELAY)}
    )
    load = subprocess.Popen(
        [sys.executable, str(LOADGEN), server.base + "/", str(DELAY + 5), "3000", "4"],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)  # load is flowing before the signal

    sigterm_at = time.time()
    if to_group:
        os.killpg(os.getpgid(server.process.pid), signal.SIGTERM)
    else:
        server.process.send_signal(signal.SIGTERM)
    readiness: list[tuple[float, int]] = []
    served_during_delay: list[int] = []
    slow: list[Response] = []
    slow_thread = None
    while time.time() < sigterm_at + DELAY - 0.3:
        readiness.append((time.time() - sigterm_at, server.get("/readyz").status))
        served_during_delay.append(server.get("/").status)
        if slow_thread is None and time.time() > sigterm_at + DELAY - 1.0:
            # An in-flight request that is still running when the listener closes.
            slow_thread = threading.Thread(
                target=lambda: slow.append(server.get(slow_path, timeout=15))
            )
            slow_thread.start()
        time.sleep(0.05)
    assert slow_thread is not None
    exit_code = server.process.wait(30)
    slow_thread.join(15)
    results = json.loads(load.communicate(timeout=30)[0])

    assert exit_code == 0
    # Readiness turns within the time the master takes to handle the signal, then stays 503.
    turned = next(at for at, status in readiness if status == 503)
    assert turned < 0.3, readiness[:8]
    assert all(status == 503 for at, status in readiness if at >= turned), readiness
    assert served_during_delay and set(served_during_delay) == {200}
    assert slow and slow[0].status == 200, "the in-flight request was cut off"

    listener_closed = sigterm_at + DELAY
    before = [r for r in results if r[0] < listener_closed - 0.1]
    failed = [r for r in before if r[2] != 200]
    assert len(before) > 50, f"too little load to prove anything: {len(before)} requests"
    assert failed == [], (
        f"{len(failed)} of {len(before)} requests failed before the listener closed: {failed[:5]}"
    )
    during = [r for r in before if r[0] >= sigterm_at]
    assert len(during) > 20  # load really ran through the drain delay

    messages = [str(r.get("message", "")) for r in server.lines]
    assert any(m.startswith("draining: readiness reports 503") for m in messages)
    if example == "fastapi":
        assert messages.count("shutdown complete") == 2  # the app's lifespan shutdown, per worker
