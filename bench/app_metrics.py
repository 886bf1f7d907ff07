"""Cost per increment of an application metric: aloft's versus prometheus_client's multiprocess
mode, the peer that also sums pre-forked workers through per-process memory-mapped files.

Both in this one process, in interleaved rounds, each with its files in a fresh folder (aloft's
run dir as `aloft run` gives a worker, PROMETHEUS_MULTIPROC_DIR for the peer). Figures are the
best round's nanoseconds per call.

Run: uv run --all-groups python bench/app_metrics.py [--calls 200000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import tempfile
import timeit
from collections.abc import Callable

ALOFT_DIR = tempfile.mkdtemp(prefix="aloft-bench-")
PEER_DIR = tempfile.mkdtemp(prefix="prom-bench-")
# Both read their folder at first use (prometheus_client: at import).
os.environ["_ALOFT_RUN_DIR"] = ALOFT_DIR
os.environ["PROMETHEUS_MULTIPROC_DIR"] = PEER_DIR

import prometheus_client  # noqa: E402  (after its environment variable)

from aloft.runtime import metrics  # noqa: E402


def cases() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """(aloft, prometheus_client) callables per operation, with metrics defined alike."""
    registry = prometheus_client.CollectorRegistry()
    p_plain = prometheus_client.Counter("plain_total", "Plain", registry=registry)
    p_kind = prometheus_client.Counter("kind_total", "By kind", ["kind"], registry=registry)
    p_hist = prometheus_client.Histogram(
        "wait_seconds", "Waits", registry=registry, buckets=metrics.BUCKETS
    )
    p_gauge = prometheus_client.Gauge(
        "depth", "Depth", registry=registry, multiprocess_mode="livesum"
    )
    a_plain = metrics.counter("plain_total", "Plain")
    a_kind = metrics.counter("kind_total", "By kind", labels=("kind",))
    a_hist = metrics.histogram("wait_seconds", "Waits", buckets=metrics.BUCKETS)
    a_gauge = metrics.gauge("depth", "Depth")
    a_child, p_child = a_kind.labels(kind="gift"), p_kind.labels(kind="gift")
    return {
        "counter.inc() (no labels)": (a_plain.inc, p_plain.inc),
        "child.inc() (labels resolved once)": (a_child.inc, p_child.inc),
        'counter.labels(kind="gift").inc()': (
            lambda: a_kind.labels(kind="gift").inc(),
            lambda: p_kind.labels(kind="gift").inc(),
        ),
        "histogram.observe(0.3)": (lambda: a_hist.observe(0.3), lambda: p_hist.observe(0.3)),
        "gauge.set(7)": (lambda: a_gauge.set(7), lambda: p_gauge.set(7)),
    }


def per_call_ns(func: Callable[[], object], calls: int) -> float:
    return timeit.timeit(func, number=calls) / calls * 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    table = cases()
    best: dict[str, list[float]] = {name: [float("inf"), float("inf")] for name in table}
    for _ in range(args.rounds):
        for name, pair in table.items():
            for side, func in enumerate(pair):
                best[name][side] = min(best[name][side], per_call_ns(func, args.calls))
    # Both really wrote their files (a benchmark of a no-op would prove nothing).
    assert any(n.startswith("worker-") for n in os.listdir(ALOFT_DIR)), "aloft wrote no file"
    assert os.listdir(PEER_DIR), "prometheus_client wrote no file"
    print(
        f"python {platform.python_version()}, prometheus_client"
        f" {importlib.metadata.version('prometheus-client')}, {os.cpu_count()} CPUs,"
        f" {args.calls} calls x {args.rounds} rounds, best round\n"
    )
    print(f"{'operation':38} {'aloft ns':>9} {'prometheus_client ns':>21} {'ratio':>7}")
    for name, (ours, peer) in best.items():
        print(f"{name:38} {ours:>9.0f} {peer:>21.0f} {ours / peer:>7.2f}")
    print("\nratio < 1: aloft is cheaper per call")


if __name__ == "__main__":
    main()
