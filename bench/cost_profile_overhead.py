"""What `aloft profile`'s measuring costs the app it measures.

The same bounded load runs against the same server with and without the profiler's /proc
sampling, alternating rounds so drift on a shared machine hits both alike. Reported: the ratio of
throughputs, and the CPU the sampling itself burned as a share of the server's CPU in the same
rounds (the steadier figure on a busy 2-core machine). The issue asks for a few percent at most.

    uv run python bench/cost_profile_overhead.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from aloft.cost.profiler import (
    LoadPlan,
    Request,
    Sampler,
    cpu_seconds,
    drive,
    free_port,
    process_tree,
    start_server,
    stop_server,
)

APP = """
import hashlib
def app(environ, start_response):
    data = b"x"
    for _ in range(300):
        data = hashlib.sha256(data).digest()
    start_response("200 OK", [("content-type", "text/plain")])
    return [data.hex().encode()]
"""
ROUNDS = 6
SECONDS = 1.0
CONCURRENCY = 2


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="aloft-overhead-") as tmp:
        run_in(Path(tmp))


def run_in(folder: Path) -> None:
    (folder / "benchapp.py").write_text(APP)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    env.update(
        {
            "ALOFT_APP": "benchapp:app",
            "ALOFT_HOST": "127.0.0.1",
            "ALOFT_PORT": str(port),
            "ALOFT_WORKERS": "1",
            "ALOFT_ACCESS_LOG": "false",
            "ALOFT_DRAIN_DELAY": "0",
        }
    )
    command = [sys.executable, "-m", "aloft.runtime", "serve"]
    server = start_server(command, env, folder, port, "/healthz")
    plan = LoadPlan(
        requests=(Request(),),
        seconds=SECONDS,
        max_requests=100_000,
        concurrency=(CONCURRENCY,),
        target_p99_ms=1000,
    )
    plain: list[float] = []
    profiled: list[float] = []
    sampler_cpu = 0.0
    server_cpu = 0.0
    try:
        drive(port, plan, CONCURRENCY, 0.5, 100_000)  # warm up
        for round_ in range(ROUNDS):
            for sampled in (False, True) if round_ % 2 == 0 else (True, False):
                tree = process_tree(server.pid)
                before = cpu_seconds(tree)
                sampler = Sampler(server.pid)
                if sampled:
                    sampler.start()
                result = drive(port, plan, CONCURRENCY, SECONDS, 100_000)
                sampler.stop()
                rps = len(result.latencies) / result.seconds
                if sampled:
                    profiled.append(rps)
                    sampler_cpu += sampler.spent
                    server_cpu += cpu_seconds(tree) - before
                else:
                    plain.append(rps)
    finally:
        stop_server(server)
    base, measured = statistics.median(plain), statistics.median(profiled)
    print(
        f"plain load:     {base:8.1f} req/s"
        f" (median of {ROUNDS} x {SECONDS:g} s, concurrency {CONCURRENCY})"
    )
    print(f"under profiler: {measured:8.1f} req/s (RSS sampled every 0.1 s)")
    print(f"profiled / plain throughput: {measured / base:.3f}x")
    print(f"sampler CPU / server CPU in the same rounds: {sampler_cpu / server_cpu * 100:.2f}%")


if __name__ == "__main__":
    main()
