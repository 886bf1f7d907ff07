"""Application metrics under the real pre-fork server: every worker counts, /metrics adds up.

`python -m aloft.runtime serve` runs gunicorn with three workers on 127.0.0.1 and a free port;
the app increments its own metrics on each request, and a worker killed with SIGKILL keeps
its counts (the master folds them into the archive).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from aloft.runtime.metrics import read_file, worker_file
from testkit import Server

APP = """
import os

from aloft.runtime import metrics

orders = metrics.counter("shop_orders_total", "Orders placed", labels=("kind",))
basket = metrics.histogram("shop_basket_items", "Items per basket", buckets=(1, 5))
biggest = metrics.gauge("shop_worker_pid_max", "Largest worker pid", mode="max")
imports = metrics.counter("shop_imports_total", "Times this module ran")
imports.inc()  # in the master, which imports the app once before it forks the workers


def app(environ, start_response):
    kind = environ["PATH_INFO"].strip("/") or "plain"
    orders.labels(kind=kind).inc()
    basket.observe(3)
    biggest.set(os.getpid())
    start_response("200 OK", [("content-type", "text/plain")])
    return [b"ok"]
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    (tmp_path / "shop_app.py").write_text(textwrap.dedent(APP))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    environ.update(
        {
            "ALOFT_APP": "shop_app:app",
            "ALOFT_HOST": "127.0.0.1",
            "ALOFT_PORT": "0",
            "ALOFT_WORKERS": "3",
            "ALOFT_THREADS": "2",
            "ALOFT_DRAIN_DELAY": "0.2",
            "PYTHONPATH": str(tmp_path),
            "PYTHONUNBUFFERED": "1",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "aloft.runtime", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
        cwd=str(tmp_path),
        start_new_session=True,
    )
    server = Server(process)
    server.start_readers()
    try:
        server.wait_listening(3)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


def workers(server: Server) -> set[int]:
    master = server.process.pid
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == master:
                        found.add(int(entry))
            except OSError:
                continue
    return found


def scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = server.get("/metrics")
    assert reply.status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.body.decode())
        for s in family.samples
    }


def orders(found: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    return found.get(("shop_orders_total", (("kind", "gift"),)), 0.0)


def settle(server: Server, total: int) -> None:
    """A WSGI request is recorded as its response closes, just after the client has it."""
    deadline = time.monotonic() + 3
    while orders(scrape(server)) < total and time.monotonic() < deadline:
        time.sleep(0.05)


def test_app_metrics_sum_over_workers_and_survive_a_killed_worker(served: Server) -> None:
    first = workers(served)
    assert len(first) == 3
    for _ in range(60):
        assert served.get("/gift").status == 200
    settle(served, 60)
    served_by = served_pids(served, first)
    # Requests really were spread over more than one worker (otherwise this proves nothing).
    assert sum(served_by.values()) == 60 and len([n for n in served_by.values() if n]) >= 2
    for _ in range(6):  # whichever worker answers /metrics
        found = scrape(served)
        assert orders(found) == 60
        assert found[("shop_basket_items_count", ())] == 60
        assert found[("shop_basket_items_bucket", (("le", "5"),))] == 60
        assert found[("shop_basket_items_sum", ())] == 180
        assert found[("shop_worker_pid_max", ())] == max(p for p, n in served_by.items() if n)
        assert found[("shop_imports_total", ())] == 1

    victim = max(served_by, key=lambda pid: served_by[pid])
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = workers(served)
        if victim not in now and len(now) == 3:
            break
        time.sleep(0.1)
    assert victim not in workers(served) and len(workers(served)) == 3

    for _ in range(15):
        assert served.get("/gift").status == 200
    settle(served, 75)
    for _ in range(6):
        found = scrape(served)
        assert orders(found) == 75  # the killed worker's 60-odd are still counted
        assert found[("shop_basket_items_count", ())] == 75
    assert served.terminate() == 0


def served_pids(server: Server, pids: set[int]) -> dict[int, float]:
    """How many orders each worker's own store file holds."""
    run_dir = next(r["run_dir"] for r in server.lines if r.get("message") == "starting")
    return {
        pid: sum(
            v
            for k, v in read_file(worker_file(run_dir, pid)).items()
            if k.startswith("#cshop_orders_total")
        )
        for pid in pids
    }


def test_the_workers_define_their_metrics_once_each(served: Server) -> None:
    served.get("/gift")
    text = served.get("/metrics").body.decode()
    assert text.count("# TYPE shop_orders_total counter") == 1
    assert text.count("# HELP shop_basket_items Items per basket") == 1
    assert "aloft_metrics_skipped_entries 0" in text
