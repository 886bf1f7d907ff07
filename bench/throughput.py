"""Throughput and p99 latency under wrk: the bare FastAPI app, the same app with all of aloft's
middleware (JSON access log, RED metrics, request and trace ids), with
prometheus-fastapi-instrumentator, and with the same work hand-inlined (`handmade`, the floor of
what that work costs). One uvicorn worker each, interleaved rounds in one run. Besides req/s,
the server's CPU time per request (from /proc), which holds when other work shares the machine.

`aloft_traced` exports spans over OTLP/HTTP (sampling 0.1) to a loopback receiver started here;
`otel_asgi` is OpenTelemetry's own ASGI instrumentation with the same exporter and sampling.

Run: uv run --all-groups python bench/throughput.py [--rounds 3] [--seconds 4] [--variants a,b]
Needs wrk (Debian package, installed by scripts/bootstrap).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("bare", "aloft", "instrumented", "handmade", "aloft_traced", "otel_asgi")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server on {port} did not start")


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(variant: str, seconds: float, connections: int) -> tuple[float, float, float]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            f"bench.apps.fastapi_bench:{variant}",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT), "BENCH_OTLP_ENDPOINT": RECEIVER},
    )
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}/items/42"
        subprocess.run(["wrk", "-t1", "-c8", "-d1s", url], capture_output=True, check=True)
        cpu = cpu_seconds(server.pid)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        cpu = cpu_seconds(server.pid) - cpu
    finally:
        server.terminate()
        server.wait(10)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{variant}: {errors.group(1)} failed responses")
    served = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    # The server's CPU per request: unlike req/s, it holds on a machine other work shares.
    return rps, p99, cpu / served * 1e6


RECEIVER = ""


def start_receiver() -> str:
    """An OTLP/HTTP sink on loopback: reads each export and answers 200 (an empty
    ExportTraceServiceResponse), counting what arrived."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    global RECEIVER, VARIANTS
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    VARIANTS = tuple(v for v in args.variants.split(",") if v)
    RECEIVER = start_receiver()
    results: dict[str, list[tuple[float, float, float]]] = {v: [] for v in VARIANTS}
    for _ in range(args.rounds):
        for variant in VARIANTS:
            results[variant].append(measure(variant, args.seconds, args.connections))
    bare_rps = statistics.median(r[0] for r in results["bare"])
    bare_p99 = statistics.median(r[1] for r in results["bare"])
    bare_cpu = statistics.median(r[2] for r in results["bare"])
    print(
        f"{'variant':14} {'req/s (median)':>15} {'x bare':>7} {'p99 ms':>8} {'x bare':>7}"
        f" {'CPU us/req':>11} {'bare/this':>10}"
    )
    for variant in VARIANTS:
        rps = statistics.median(r[0] for r in results[variant])
        p99 = statistics.median(r[1] for r in results[variant])
        cpu = statistics.median(r[2] for r in results[variant])
        print(
            f"{variant:14} {rps:>15.0f} {rps / bare_rps:>7.2f} {p99:>8.2f} {p99 / bare_p99:>7.2f}"
            f" {cpu:>11.0f} {bare_cpu / cpu:>10.2f}"
        )
    if "aloft" in results:
        aloft = statistics.median(r[0] for r in results["aloft"]) / bare_rps
        print(f"\ntarget: aloft at least 0.90 x bare throughput -> {aloft:.2f}")
    if "aloft_traced" in results:
        traced = statistics.median(r[0] for r in results["aloft_traced"]) / bare_rps
        print(f"target: aloft with span export at least 0.75 x bare -> {traced:.2f}")


if __name__ == "__main__":
    main()
