"""Time from `scripts/demo` to the first response, on a fresh clone (issue: setup footprint).

A fresh clone of HEAD goes to a temp folder and `scripts/demo` runs there, with a cold uv cache by
default (`--warm-cache` reuses the machine's), until `/healthz` first answers 200. Debian packages
already on the machine are not reinstalled (the bench cannot uninstall them), so the apt step is
timed on its own: `apt-get install --reinstall redis-server` stands in for a fresh install of the
one package the demo needs. Prints the figures and the ratio to the 77 s measured before the split
and to the 30 s goal.

    uv run python bench/demo_start.py [--warm-cache] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEFORE_S = 77.0
GOAL_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_response(cache: Path | None, timeout: float = 300.0) -> float:
    with tempfile.TemporaryDirectory(prefix="aloft-demo-bench-") as tmp:
        clone = Path(tmp) / "aloft"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        port = free_port()
        env = {**os.environ, "PORT": str(port)}
        env.pop("VIRTUAL_ENV", None)
        if cache is not None:
            env["UV_CACHE_DIR"] = str(cache)
        start = time.monotonic()
        proc = subprocess.Popen(
            [str(clone / "scripts" / "demo")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while time.monotonic() - start < timeout:
                if proc.poll() is not None:
                    raise SystemExit(f"scripts/demo exited with {proc.returncode}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                        if r.status == 200:
                            return time.monotonic() - start
                except OSError:
                    time.sleep(0.1)
            raise SystemExit("no response within the timeout")
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def apt_seconds() -> float | None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    start = time.monotonic()
    subprocess.run(
        [
            "apt-get",
            "install",
            "-y",
            "-qq",
            "--reinstall",
            "--no-install-recommends",
            "redis-server",
        ],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        check=True,
    )
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-cache", action="store_true", help="reuse the machine's uv cache")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    times = []
    for _ in range(args.runs):
        if args.warm_cache:
            times.append(first_response(None))
        else:
            with tempfile.TemporaryDirectory(prefix="aloft-uv-cache-") as cache:
                times.append(first_response(Path(cache)))
    apt = apt_seconds()
    best = min(times)
    total = best + (apt or 0.0)
    cache = "warm" if args.warm_cache else "cold"
    print(f"scripts/demo to first response, fresh clone, {cache} uv cache:")
    print("  runs: " + ", ".join(f"{t:.1f} s" for t in times))
    if apt is not None:
        print(f"  apt install of redis-server (timed as a reinstall): {apt:.1f} s")
    print(f"  total, best run + apt: {total:.1f} s")
    print(f"  ratio to before ({BEFORE_S:.0f} s): {total / BEFORE_S:.2f}x")
    print(f"  ratio to the goal ({GOAL_S:.0f} s): {total / GOAL_S:.2f}x")


if __name__ == "__main__":
    main()
