"""`aloft profile`: run the app as `aloft run` does and measure what one request costs it.

The server is the real one (`python -m aloft.runtime serve`), bound to 127.0.0.1 on a free port.
A bounded load (seconds and request count both capped) runs in steps of rising concurrency; CPU
time and RSS come from /proc for the server's whole process tree (gunicorn's master and its
workers), so what is measured is what a container would be billed for. The load generator runs in
this process, not the server's, and reads /proc only between steps and every SAMPLE_SECONDS,
so the profiler adds little to what it measures (bench/cost_profile_overhead.py reports how much).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import http.client
import itertools
import math
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from aloft.cost.app_profile import AppProfile, Step
from aloft.exceptions import OperationFailed

SAMPLE_SECONDS = 0.1
TREE_EVERY = 10  # samples between walks of /proc for new or restarted workers
START_TIMEOUT = 60.0
WARMUP_REQUESTS = 20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclasses.dataclass(frozen=True)
class Request:
    method: str = "GET"
    path: str = "/"
    weight: float = 1.0
    body: str = ""


@dataclasses.dataclass(frozen=True)
class LoadPlan:
    requests: tuple[Request, ...] = (Request(),)
    seconds: float = 3.0  # the whole load, all steps
    max_requests: int = 5000  # the whole load, all steps
    concurrency: tuple[int, ...] = (1, 2, 4)
    target_p99_ms: float = 500.0
    health_path: str = "/healthz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- /proc ----------------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """`root` and all its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    tree, queue = [], [root]
    while queue:
        pid = queue.pop()
        tree.append(pid)
        queue.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU of the live processes (and of children they have already reaped)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            # utime, stime, cutime, cstime are fields 14-17 of stat, 12-15 after the name.
            total += sum(int(v) for v in fields[11:15])
    return total / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * PAGE_KB / 1024.0
    except OSError:
        return 0.0


# --- load ---------------------------------------------------------------------------------------


def _sequence(requests: Sequence[Request]) -> list[Request]:
    """A deterministic interleaving in proportion to the weights (at most 100 slots)."""
    low = min(r.weight for r in requests)
    counts = [max(1, round(r.weight / low)) for r in requests]
    scale = max(1.0, sum(counts) / 100)
    counts = [max(1, round(c / scale)) for c in counts]
    order: list[Request] = []
    for i in range(max(counts)):
        order += [r for r, n in zip(requests, counts, strict=True) if i < n]
    return order


@dataclasses.dataclass
class _StepResult:
    latencies: list[float]
    errors: int
    seconds: float


def drive(port: int, plan: LoadPlan, concurrency: int, seconds: float, budget: int) -> _StepResult:
    order = _sequence(plan.requests)
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        try:
            while time.monotonic() < deadline:
                n = next(counter)
                if n >= budget:
                    break
                req = order[n % len(order)]
                body = req.body.encode() if req.body else None
                headers = {"content-type": "application/json"} if body else {}
                started = time.perf_counter()
                try:
                    conn.request(req.method, req.path, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    if response.status >= 500:
                        bad += 1
                    if response.getheader("connection", "").lower() == "close":
                        conn.close()
                except (OSError, http.client.HTTPException):
                    bad += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    continue
                mine.append((time.perf_counter() - started) * 1000.0)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                errors += bad

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return _StepResult(latencies, errors, time.monotonic() - started)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


# --- the run ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Sampler:
    """Peak RSS per worker, sampled every SAMPLE_SECONDS on a thread of its own."""

    root: int
    peak: float = 0.0
    samples: int = 0
    spent: float = 0.0  # CPU seconds the sampling itself took, for the overhead report
    _stop: threading.Event = dataclasses.field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    _known: list[int] = dataclasses.field(default_factory=list)

    def workers(self) -> list[int]:
        tree = process_tree(self.root)
        self._known = tree[1:] or tree
        return self._known

    def sample(self) -> None:
        # Walking all of /proc is the profiler's main cost: do it once a second, not per sample.
        pids = self.workers() if not self._known or self.samples % TREE_EVERY == 0 else self._known
        for pid in pids:
            self.peak = max(self.peak, rss_mb(pid))
        self.samples += 1

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(SAMPLE_SECONDS):
                started = time.thread_time()
                self.sample()
                self.spent += time.thread_time() - started

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


def start_server(
    command: Sequence[str], env: Mapping[str, str], cwd: Path, port: int, health_path: str
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        list(command),
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = (
                process.stderr.read().decode(errors="replace") if process.stderr else ""
            ).strip()
            last = detail.splitlines()[-1] if detail else f"exit code {process.returncode}"
            raise OperationFailed(f"the app's server exited before it was ready: {last}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", health_path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return process
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.05)
    stop_server(process)
    raise OperationFailed(
        f"the app's server did not answer {health_path} within {START_TIMEOUT:g}s"
    )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    if process.stderr is not None:
        process.stderr.close()


def measure(
    port: int, root_pid: int, plan: LoadPlan, workers: int, app: str, *, sample: bool = True
) -> AppProfile:
    """Drive the load against a running server and build the profile."""
    for path in {r.path for r in plan.requests}:
        drive(
            port, dataclasses.replace(plan, requests=(Request(path=path),)), 1, 5.0, WARMUP_REQUESTS
        )
    sampler = Sampler(root_pid)
    sampler.sample()
    if sample:
        sampler.start()
    steps: list[Step] = []
    first: list[float] = []
    total_requests = 0
    cpu_total = 0.0
    per_step_seconds = plan.seconds / len(plan.concurrency)
    per_step_budget = max(1, plan.max_requests // len(plan.concurrency))
    try:
        for concurrency in plan.concurrency:
            tree = process_tree(root_pid)
            before = cpu_seconds(tree)
            result = drive(port, plan, concurrency, per_step_seconds, per_step_budget)
            cpu_total += cpu_seconds(tree) - before
            done = len(result.latencies)
            total_requests += done
            if not first:
                first = result.latencies
            steps.append(
                Step(
                    concurrency=concurrency,
                    requests=done,
                    seconds=round(result.seconds, 4),
                    rps=round(done / result.seconds, 3) if result.seconds > 0 else 0.0,
                    p50_ms=round(percentile(result.latencies, 50), 3),
                    p99_ms=round(percentile(result.latencies, 99), 3),
                    errors=result.errors,
                )
            )
    finally:
        sampler.stop()
    sampler.sample()
    if total_requests == 0:
        raise OperationFailed(
            "the app answered no request during the load; check the request mix paths"
        )
    failed = sum(s.errors for s in steps)
    if failed > total_requests // 10:
        raise OperationFailed(
            f"{failed} of {total_requests + failed} requests failed (5xx or connection errors);"
            " fix the app or the [tool.aloft.cost.run] request mix"
        )
    within = [s for s in steps if s.p99_ms <= plan.target_p99_ms and s.requests]
    best = max(within or steps[:1], key=lambda s: s.rps)
    steady = max((rss_mb(pid) for pid in sampler.workers()), default=0.0)
    return AppProfile(
        app=app,
        workers=workers,
        requests=total_requests,
        cpu_ms=round(cpu_total * 1000.0 / total_requests, 4),
        latency_ms={
            "mean": round(sum(first) / len(first), 3),
            "p50": round(percentile(first, 50), 3),
            "p90": round(percentile(first, 90), 3),
            "p99": round(percentile(first, 99), 3),
        },
        rss_steady_mb=round(steady, 2),
        rss_peak_mb=round(max(sampler.peak, steady), 2),
        rps_per_worker=round(best.rps / max(1, workers), 3),
        target_p99_ms=plan.target_p99_ms,
        steps=tuple(steps),
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )


def profile_app(
    command: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    plan: LoadPlan,
    *,
    port: int,
    workers: int,
    app: str,
) -> AppProfile:
    process = start_server(command, env, cwd, port, plan.health_path)
    try:
        return measure(port, process.pid, plan, workers, app)
    finally:
        stop_server(process)
