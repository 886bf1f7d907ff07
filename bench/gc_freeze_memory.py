"""Per-worker private memory with and without `gc.freeze()` before the workers fork.

Serves a FastAPI app (bench/apps/gc_app.py) with 4 workers through `python -m aloft.runtime serve`
(the production entry point), drives the same bounded load at each, lets every worker run a full
collection (as long-running workers do), then reads each worker's private (unshared) memory from
/proc/PID/smaps_rollup. Shared pages that a collection in a worker wrote to (object headers) are
copied and show up as private memory; frozen objects are left out of collections.

Run: uv run --all-groups python bench/gc_freeze_memory.py
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
REQUESTS = 4000
ROUNDS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, path: str = "/healthz", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {port}")


def private_kib(pid: int) -> tuple[int, int]:
    """(private = USS, PSS) in KiB."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields["Private_Clean"] + fields["Private_Dirty"], fields["Pss"]


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                continue
    return out


def measure(freeze: bool) -> tuple[float, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    env.update(
        {
            "ALOFT_APP": "bench.apps.gc_app:app",
            "ALOFT_HOST": "127.0.0.1",
            "ALOFT_PORT": str(port),
            "ALOFT_WORKERS": str(WORKERS),
            "ALOFT_GC_FREEZE": "true" if freeze else "false",
            "ALOFT_ACCESS_LOG": "false",
            "ALOFT_DRAIN_DELAY": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "aloft.runtime", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(port)
        time.sleep(1.0)
        for i in range(REQUESTS):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/collect" if i % 100 == 0 else f"/items/{i % 50}")
            conn.getresponse().read()
            conn.close()
        time.sleep(0.5)
        samples = [private_kib(pid) for pid in children(server.pid)]
    finally:
        server.terminate()
        server.wait(30)
    return statistics.mean(s[0] for s in samples), statistics.mean(s[1] for s in samples)


def main() -> None:
    results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for _ in range(ROUNDS):
        for freeze in (False, True):
            results[freeze].append(measure(freeze))
    print(f"{WORKERS} workers, {REQUESTS} requests each round, {ROUNDS} rounds interleaved")
    print(f"{'gc.freeze':10} {'private KiB/worker':>19} {'PSS KiB/worker':>15}")
    summary = {}
    for freeze in (False, True):
        uss = statistics.median(r[0] for r in results[freeze])
        pss = statistics.median(r[1] for r in results[freeze])
        summary[freeze] = (uss, pss)
        print(f"{freeze!s:10} {uss:>19.0f} {pss:>15.0f}")
    ratio = summary[True][0] / summary[False][0]
    print(f"\nprivate memory per worker, frozen / not frozen: {ratio:.2f}")


if __name__ == "__main__":
    sys.exit(main())
