"""The runtime's request path, this tree against another checkout of aloft, side by side.

A structural change (issue #15: the metrics split, the log processor chain, the drain module)
must not cost throughput. This runs bench/throughput.py's `bare` and `aloft` apps under uvicorn
and wrk, with `aloft.runtime` imported from this tree and from BASE in turn, interleaved round
by round on the same machine, and prints each as a ratio of bare and the ratio between them.

Run: uv run --all-groups python bench/throughput_trees.py --base ../before [--rounds 5]
(`git worktree add --detach ../before <commit>` makes a BASE). Needs wrk.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.throughput import free_port, to_ms, wait_port  # noqa: E402


def runtime_of(src: Path) -> str:
    """Where `aloft.runtime` is imported from with `src` first on the path (a check that the
    comparison compares what it says: aloft is a namespace package spread over path entries)."""
    out = subprocess.run(
        [sys.executable, "-c", "import aloft.runtime as r; print(r.__file__)"],
        env={**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def measure(variant: str, src: Path, seconds: int, connections: int) -> tuple[float, float]:
    import re

    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", f"bench.apps.fastapi_bench:{variant}", "--factory"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    argv += ["--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"},
    )
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}/items/42"
        subprocess.run(["wrk", "-t1", "-c8", "-d1s", url], capture_output=True, check=True)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        server.terminate()
        server.wait(10)
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"{variant} ({src}): failed responses")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    return rps, p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, required=True, help="another aloft checkout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    trees = {"base": args.base.resolve() / "src", "this": ROOT / "src"}
    for name, src in trees.items():
        found = runtime_of(src)
        if not found.startswith(str(src)):
            sys.exit(f"{name}: aloft.runtime comes from {found}, not {src}")
    # Per round: bare, aloft@base, aloft@this; each aloft run is divided by its own round's bare.
    ratios: dict[str, list[float]] = {"base": [], "this": []}
    p99s: dict[str, list[float]] = {"base": [], "this": []}
    for _ in range(args.rounds):
        bare, bare_p99 = measure("bare", trees["this"], args.seconds, args.connections)
        for name, src in trees.items():
            rps, p99 = measure("aloft", src, args.seconds, args.connections)
            ratios[name].append(rps / bare)
            p99s[name].append(p99 / bare_p99)
    print(f"{'aloft.runtime from':20} {'req/s x bare':>13} {'p99 x bare':>11}  (median of rounds)")
    for name in trees:
        rps, p99 = statistics.median(ratios[name]), statistics.median(p99s[name])
        print(f"{name:20} {rps:>13.2f} {p99:>11.2f}")
    pairs = [t / b for t, b in zip(ratios["this"], ratios["base"], strict=True)]
    print(f"\nthis / base, throughput, round by round: {' '.join(f'{p:.2f}' for p in pairs)}")
    print(f"median {statistics.median(pairs):.2f} (1.00 = no change)")


if __name__ == "__main__":
    main()
