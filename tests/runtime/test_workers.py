"""Several pre-forked workers: /metrics adds them up, also across worker restarts."""

from __future__ import annotations

import os
import signal
import time

from aloft.runtime.metrics import read_file, worker_file
from testkit import Server, metric


def worker_pids(server: Server) -> set[int]:
    master = server.process.pid
    children = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == master:
                        children.add(int(entry))
            except OSError:
                continue
    return children


def _settle(server: Server, total: int) -> None:
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        text = server.get("/metrics").body.decode()
        if metric(text, "http_requests_total", method="GET", route="/", status="200") >= total:
            return
        time.sleep(0.05)


def test_metrics_sum_over_workers_and_survive_a_worker_restart(run_server, redis_server) -> None:
    server: Server = run_server("flask", workers=3, redis_db=6, env={"ALOFT_THREADS": "2"})
    first = worker_pids(server)
    assert len(first) == 3

    for _ in range(60):
        assert server.get("/").status == 200
    # A WSGI request is recorded when the server closes its response, just after the client
    # has the last byte: give the last one that moment before reading exact totals.
    _settle(server, 60)
    # Whichever worker answers /metrics, the total is every worker's requests.
    for _ in range(6):
        text = server.get("/metrics").body.decode()
        assert metric(text, "http_requests_total", method="GET", route="/", status="200") == 60
    # Requests really were spread over more than one worker (otherwise this proves nothing).
    run_dir = next(r["run_dir"] for r in server.lines if r.get("message") == "starting")
    served = {
        pid: sum(
            v
            for k, v in read_file(worker_file(run_dir, pid)).items()
            if k.startswith("http_requests_total")
        )
        for pid in first
    }
    assert sum(served.values()) == 60 and sum(1 for n in served.values() if n) >= 2, served

    # Kill the busiest worker: its counts must survive in the total.
    victim = max(served, key=lambda pid: served[pid])
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = worker_pids(server)
        if victim not in now and len(now) == 3:
            break
        time.sleep(0.1)
    assert victim not in worker_pids(server) and len(worker_pids(server)) == 3

    for _ in range(15):
        assert server.get("/").status == 200
    _settle(server, 75)
    for _ in range(6):
        text = server.get("/metrics").body.decode()
        assert metric(text, "http_requests_total", method="GET", route="/", status="200") == 75
        assert metric(text, "http_requests_in_flight") == 0
    assert server.terminate() == 0
