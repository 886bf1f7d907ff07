"""Instructions per request through aloft's ASGI middleware: this tree against another checkout.

Throughput under wrk swings by tens of percent on a shared 2-core machine; an instruction count
does not (valgrind counts instructions, not seconds). Each tree's `aloft` app (bench/apps, the
FastAPI app wrapped in AloftASGI) serves N in-process requests, called straight through ASGI with
no socket, under `valgrind --tool=callgrind`; so does the bare app. The difference between N and
2N requests is the per-request cost, so start-up and import cancel out. Access lines go to
/dev/null, as a container's stdout would be drained.

Run: uv run --all-groups python bench/request_cost_trees.py --base ../before [--requests 300]
Needs valgrind (Debian package).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DRIVER = r"""
import asyncio, sys
from bench.apps import fastapi_bench

app = getattr(fastapi_bench, sys.argv[1])()
n = int(sys.argv[2])

async def main():
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/items/42", "raw_path": b"/items/42", "query_string": b"",
             "root_path": "", "headers": [(b"host", b"bench")], "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8000)}
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        pass
    for _ in range(50):  # warm: first calls build caches
        await app(dict(scope), receive, send)
    for _ in range(n):
        await app(dict(scope), receive, send)

asyncio.run(main())
"""


def instructions(variant: str, src: Path, requests: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                *("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"),
                *(sys.executable, "-c", DRIVER, variant, str(requests)),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}", "PYTHONHASHSEED": "0"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
        )
        totals = re.search(r"^(?:totals|summary):\s+(\d+)", out.read_text(), re.M)
        assert totals, "callgrind wrote no totals"
        return int(totals.group(1))


def per_request(variant: str, src: Path, requests: int) -> float:
    return (instructions(variant, src, 2 * requests) - instructions(variant, src, requests)) / (
        requests
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, required=True, help="another aloft checkout")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    trees = {"base": args.base.resolve() / "src", "this": ROOT / "src"}
    bare = per_request("bare", trees["this"], args.requests)
    print(f"instructions per request (callgrind, {args.requests} vs {2 * args.requests} requests)")
    print(f"{'bare FastAPI':28} {bare:>12,.0f}")
    cost = {}
    for name, src in trees.items():
        cost[name] = per_request("aloft", src, args.requests)
        print(f"{'aloft @ ' + name:28} {cost[name]:>12,.0f}   {cost[name] / bare:.3f} x bare")
    print(f"\nthis / base: {cost['this'] / cost['base']:.3f} (1.000 = no change)")


if __name__ == "__main__":
    main()
