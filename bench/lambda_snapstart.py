"""SnapStart, simulated: what a restored copy still pays before its first response, against a cold
init, for a FastAPI app served by aloft's Lambda handler.

Cold: a fresh process imports the handler module (the app, aloft's handler, ASGI lifespan) and
serves one API Gateway v2 invocation. Restored: one process does that init once, runs the
before-snapshot hooks (as the Lambda Python runtime does), then copies itself with libc's fork()
(no Python at-fork hooks, like a snapshot restore); each copy runs the after-restore hooks and
serves one invocation. Interpreter start and Firecracker's own restore time are in neither figure.

    uv run --frozen python bench/lambda_snapstart.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

APP = """
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Order(BaseModel):
    id: int
    total: float


@app.get("/orders/{order_id}")
def order(order_id: int) -> Order:
    return Order(id=order_id, total=9.5)
"""

DRIVER = """
import ctypes
import json
import os
import sys
import time

mode, runs = sys.argv[1], int(sys.argv[2])
os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
started = time.perf_counter()
from aloft.runtime.aws_lambda.entry import handler
from aloft.serverless.http_events import http_event

EVENT = http_event("v2", "GET", "/orders/7", "", [("host", "api.test")], b"")


class Context:
    function_name = "bench"
    aws_request_id = ""

    def get_remaining_time_in_millis(self):
        return 10_000


def invoke():
    response = handler(EVENT, Context())
    assert response["statusCode"] == 200, response


if mode == "cold":
    invoke()
    print(json.dumps({"cold_ms": (time.perf_counter() - started) * 1000}))
    sys.exit(0)

from awslambdaric import lambda_runtime_hooks_runner as runner
from aloft.runtime.aws_lambda import snapstart

if mode == "warmed":  # one request served before the snapshot (opt-in)
    snapstart.warm("/orders/7")
init_ms = (time.perf_counter() - started) * 1000
began = time.perf_counter()
runner.run_before_snapshot()
before_ms = (time.perf_counter() - began) * 1000
fork = ctypes.CDLL(None, use_errno=True).fork
restored = []
for _ in range(runs):
    read, write = os.pipe()
    pid = fork()
    if pid == 0:
        os.close(read)
        began = time.perf_counter()
        runner.run_after_restore()
        hooks = time.perf_counter()
        invoke()
        done = time.perf_counter()
        os.write(write, json.dumps([(hooks - began) * 1000, (done - began) * 1000]).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        restored.append(json.loads(pipe.read()))
    os.waitpid(pid, 0)
print(json.dumps({"init_ms": init_ms, "before_ms": before_ms, "restored": restored}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "bench_app.py").write_text(APP)
        (root / "driver.py").write_text(DRIVER)
        env = {
            **os.environ,
            "ALOFT_APP": "bench_app:app",
            "ALOFT_ACCESS_LOG": "false",
            "PYTHONPATH": os.pathsep.join([folder, *sys.path]),
        }

        def run(mode: str) -> dict[str, object]:
            done = subprocess.run(
                [sys.executable, str(root / "driver.py"), mode, str(args.runs)],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

        cold = [float(run("cold")["cold_ms"]) for _ in range(args.runs)]  # type: ignore[arg-type]
        snaps = {mode: run(mode) for mode in ("restored", "warmed")}
    cold_ms = statistics.median(cold)
    print(f"runs: {args.runs}, Python {sys.version.split()[0]}")
    print(f"cold: init + first invocation              {cold_ms:8.1f} ms (median)")
    for mode, snap in snaps.items():
        restored = snap["restored"]
        assert isinstance(restored, list)
        hooks = statistics.median(r[0] for r in restored)
        first = statistics.median(r[1] for r in restored)
        label = "restored" if mode == "restored" else 'restored, with snapstart.warm("/orders/7")'
        print(f"{label}:")
        print(f"  snapshot init (once per version)         {snap['init_ms']:8.1f} ms")
        print(f"  before-snapshot hooks (once)             {snap['before_ms']:8.1f} ms")
        print(f"  after-restore hooks                      {hooks:8.2f} ms (median)")
        print(f"  after-restore hooks + first invocation   {first:8.2f} ms (median)")
        print(f"  restored / cold                          {first / cold_ms:8.3f}")


if __name__ == "__main__":
    main()
