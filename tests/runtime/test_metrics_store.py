"""The per-worker metric files: visible to other processes, folded when a worker dies."""

from __future__ import annotations

import os
from pathlib import Path

from aloft.runtime import metrics


def test_values_written_in_one_process_are_read_by_another(tmp_path: Path) -> None:
    pid = os.fork()
    if pid == 0:  # the "worker"
        store = metrics.Store(metrics.worker_file(str(tmp_path), os.getpid()))
        for i in range(5000):  # enough keys to force the file to grow
            store.add(f"k{i % 2500}", 1.5)
        os._exit(0)
    os.waitpid(pid, 0)
    values = metrics.read_file(metrics.worker_file(str(tmp_path), pid))
    assert len(values) == 2500 and set(values.values()) == {3.0}


def test_dead_worker_counters_are_folded_and_gauges_dropped(tmp_path: Path) -> None:
    run_dir = str(tmp_path)
    dead = metrics.Store(metrics.worker_file(run_dir, 111))
    dead.add(metrics.REQUESTS + metrics.SEP + "GET" + metrics.SEP + "/" + metrics.SEP + "200", 7)
    dead.add(metrics.IN_FLIGHT, 1)  # it died mid-request
    metrics.fold_dead_worker(run_dir, 111)
    assert not os.path.exists(metrics.worker_file(run_dir, 111))
    alive = metrics.Metrics(run_dir)
    alive.request_started()
    alive.request_finished("GET", "/", 200, 0.02)
    text = metrics.scrape(alive)
    assert 'http_requests_total{method="GET",route="/",status="200"} 8' in text
    assert "http_requests_in_flight 0" in text
    assert 'http_request_duration_seconds_bucket{method="GET",route="/",le="0.01"} 0' in text
    assert 'http_request_duration_seconds_bucket{method="GET",route="/",le="0.025"} 1' in text


def test_label_values_are_escaped() -> None:
    m = metrics.Metrics(None)
    m.request_finished("GET", 'we"ird\\route', 200, 0.001)
    assert 'route="we\\"ird\\\\route"' in metrics.scrape(m)


def test_methods_clients_make_up_share_one_label() -> None:
    m = metrics.Metrics(None)
    for i in range(50):
        m.request_finished(f"X-{i}", "/", 405, 0.001)
    m.request_finished("PATCH", "/", 200, 0.001)
    text = metrics.scrape(m)
    assert 'http_requests_total{method="_OTHER",route="/",status="405"} 50' in text
    assert 'http_requests_total{method="PATCH",route="/",status="200"} 1' in text
    assert text.count("http_requests_total{") == 2


def test_no_label_value_can_break_a_key(tmp_path: Path) -> None:
    import random

    rng = random.Random(13)
    alphabet = ["%", "\x1f", "1F", "25", "%1F", "%25", "a", "/", '"', "\\", "\n", "é", "\udcff"]
    routes = {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(300)}
    m = metrics.Metrics(str(tmp_path))
    for route in routes:
        m.request_finished("GET", route, 200, 0.001)
    text = metrics.scrape(m)
    assert "aloft_metrics_skipped_entries 0" in text
    assert text.count("http_requests_total{") == len(routes)
    keys = [k for k in m.totals() if k.startswith(metrics.REQUESTS + metrics.SEP)]
    decoded = {metrics.labels_of(k, metrics.REQUESTS + metrics.SEP, 3)[1] for k in keys}
    # What went in comes back out (a lone surrogate as its escaped spelling in the file).
    assert {r.encode("utf-8", "backslashreplace").decode() for r in routes} == decoded
