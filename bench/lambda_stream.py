"""Response streaming on Lambda, streamed against buffered, in one run.

An ASGI app (Starlette StreamingResponse, tests/serverless/functions/lambda_stream.py) yields 10
chunks 100 ms apart. It is served by `aloft lambda serve`'s emulator as a Function URL, once with
streaming on (InvokeMode RESPONSE_STREAM: aloft's runtime client streams, the front passes each
chunk on) and once buffered (the default). A client reads the body as it arrives, as `curl -N`
does, and records time to first byte, the spacing of the chunks as received and the total time.
Warm environments only (one untimed request first); rounds interleaved.

Run: uv run --all-groups python bench/lambda_stream.py [--rounds N]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
FUNCTIONS = REPO / "tests" / "serverless" / "functions"

from aloft.serverless.emulator import Emulator, FunctionSpec, HTTPFront  # noqa: E402

CHUNKS, GAP = 10, 0.1


def one_request(url: str) -> tuple[float, list[float], float]:
    """(time to first body byte, gaps between chunk arrivals, total), in seconds."""
    started = time.perf_counter()
    arrived: list[float] = []
    pending = b""
    with httpx.stream("GET", url, timeout=30) as response:
        for data in response.iter_raw():
            now = time.perf_counter()
            pending += data
            while b"\n" in pending:
                _, pending = pending.split(b"\n", 1)
                arrived.append(now)
    assert len(arrived) == CHUNKS, arrived
    gaps = [b - a for a, b in itertools.pairwise(arrived)]
    return arrived[0] - started, gaps, arrived[-1] - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    fronts: dict[str, tuple[Emulator, HTTPFront]] = {}
    for mode in ("streamed", "buffered"):
        spec = FunctionSpec(
            "stream-bench",
            [sys.executable, "-m", "aloft.runtime.aws_lambda", "lambda_stream.handler"],
            FUNCTIONS,
            {"ALOFT_LAMBDA_EMF": "false"},
            timeout=30.0,
            concurrency=1,
            stream=mode == "streamed",
        )
        emulator = Emulator(spec, output=lambda line: None)
        front = HTTPFront(emulator, fmt="url")
        front.start()
        fronts[mode] = (emulator, front)
    results: dict[str, list[tuple[float, list[float], float]]] = {m: [] for m in fronts}
    try:
        for _, front in fronts.values():  # warm each environment
            one_request(f"http://127.0.0.1:{front.port}/chunks?n={CHUNKS}&gap={GAP}")
        for _ in range(args.rounds):
            for mode, (_, front) in fronts.items():
                url = f"http://127.0.0.1:{front.port}/chunks?n={CHUNKS}&gap={GAP}"
                results[mode].append(one_request(url))
    finally:
        for emulator, front in fronts.values():
            front.close()
            emulator.close()

    cores = len(os.sched_getaffinity(0))
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {cores} cores, Python"
        f" {platform.python_version()}, load {os.getloadavg()[0]:.1f}; {CHUNKS} chunks"
        f" {GAP * 1000:.0f} ms apart, {args.rounds} interleaved rounds, warm"
    )
    print(
        "| mode | time to first byte (median) | chunk spacing as received (median, min-max) |"
        " total (median) |"
    )
    print("|---|---|---|---|")
    summary: dict[str, tuple[float, float, float]] = {}
    for mode, runs in results.items():
        ttfb = statistics.median(r[0] for r in runs)
        gaps = [g for r in runs for g in r[1]]
        total = statistics.median(r[2] for r in runs)
        summary[mode] = (ttfb, statistics.median(gaps), total)
        print(
            f"| {mode} | {ttfb * 1000:.1f} ms | {statistics.median(gaps) * 1000:.1f} ms"
            f" ({min(gaps) * 1000:.1f}-{max(gaps) * 1000:.1f}) | {total * 1000:.0f} ms |"
        )
    streamed, buffered = summary["streamed"], summary["buffered"]
    print(
        f"time to first byte, streamed / buffered: {streamed[0] / buffered[0]:.3f}"
        f" ({buffered[0] / streamed[0]:.0f} x sooner); total, streamed / buffered:"
        f" {streamed[2] / buffered[2]:.2f}"
    )


if __name__ == "__main__":
    main()
