"""Reload latency: from saving a file to the first response served by the new code.

The same FastAPI app, served by `aloft run --reload` (gunicorn master, uvicorn worker, JSON logs,
probes) and by `uvicorn --reload`, in interleaved rounds; a client on loopback polls every 5 ms.
Run: uv run --all-groups python bench/reload.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def word() -> str:
    return "{word}"
"""
TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def body(port: int) -> str | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/")
        reply = conn.getresponse()
        text = reply.read().decode()
        conn.close()
        return text if reply.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None


def wait_for(port: int, word: str, started: float) -> float:
    wanted = f'"{word}"'
    while time.monotonic() - started < TIMEOUT:
        if body(port) == wanted:
            return time.monotonic() - started
        time.sleep(0.005)
    raise RuntimeError(f"no response with {word!r} within {TIMEOUT}s")


def start(kind: str, folder: Path, port: int) -> subprocess.Popen[bytes]:
    if kind == "aloft":
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")},
            "ALOFT_APP": "hot:app",
            "ALOFT_RELOAD": "true",
            "ALOFT_WORKERS": "1",
            "ALOFT_HOST": "127.0.0.1",
            "ALOFT_PORT": str(port),
            "ALOFT_ACCESS_LOG": "false",
            "PYTHONPATH": str(folder),
        }
        command = [sys.executable, "-m", "aloft.runtime", "serve"]
    else:
        env = dict(os.environ)
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "hot:app",
            "--reload",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--app-dir",
            str(folder),
        ]
    return subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def one_round(kind: str, edits: int) -> list[float]:
    folder = Path(tempfile.mkdtemp(prefix=f"reload-{kind}-"))
    module = folder / "hot.py"
    module.write_text(APP.format(word="w0"))
    port = free_port()
    process = start(kind, folder, port)
    try:
        wait_for(port, "w0", time.monotonic())
        times = []
        for i in range(1, edits + 1):
            time.sleep(1.2)  # a new mtime whatever the file system's resolution; a quiet server
            saved = time.monotonic()
            module.write_text(APP.format(word=f"w{i}"))
            times.append(wait_for(port, f"w{i}", saved))
        return times
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--edits", type=int, default=3, help="saves per server start")
    args = parser.parse_args()
    samples: dict[str, list[float]] = {"aloft": [], "uvicorn": []}
    for _ in range(args.rounds):
        for kind, values in samples.items():
            values.extend(one_round(kind, args.edits))
    print(f"{'server':10} {'median s':>9} {'min s':>7} {'max s':>7}  (n)")
    for kind, values in samples.items():
        print(
            f"{kind:10} {statistics.median(values):>9.3f} {min(values):>7.3f} "
            f"{max(values):>7.3f}  ({len(values)})"
        )
    ratio = statistics.median(samples["aloft"]) / statistics.median(samples["uvicorn"])
    print(f"\naloft / uvicorn --reload (median): {ratio:.2f}; goal: aloft under 1 s")


if __name__ == "__main__":
    main()
