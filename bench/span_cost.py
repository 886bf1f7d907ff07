"""CPU time per request of aloft's ASGI middleware with span export off and on, in-process.

Robust where bench/throughput.py's req/s is not (a machine shared with other work): thread CPU
time of the request path, and process CPU time including the export thread (OTLP/HTTP encode
and POST to a loopback sink in a child process). Each variant in a fresh interpreter.

Run: uv run --all-groups python bench/span_cost.py [--rounds 3] [--requests 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SINK = """
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

RUN = """
import asyncio, os, sys, time
from aloft.runtime import logs, spans
from aloft.runtime.asgi import AloftASGI
from aloft.runtime.options import ServeOptions

logs.configure("bench", "info")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the access lines, written and dropped
export = spans.get()
if export is not None:
    export.start()

async def app(scope, receive, send):
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": b"x"}})

wrapped = AloftASGI(app, ServeOptions(app="bench", service="bench"))
scope = {{
    "type": "http", "method": "GET", "path": "/items/1", "headers": [(b"host", b"h:80")],
    "scheme": "http", "http_version": "1.1", "client": ("127.0.0.1", 1), "root_path": "",
    "query_string": b"",
}}

async def receive():
    return {{"type": "http.request", "body": b""}}

async def send(message):
    pass

async def main(n):
    for i in range(n):
        await wrapped(dict(scope), receive, send)
        if i % 50 == 0:
            await asyncio.sleep(0)

asyncio.run(main(2000))
thread, process = time.thread_time(), time.process_time()
asyncio.run(main({requests}))
thread = (time.thread_time() - thread) / {requests} * 1e6
if export is not None:
    export.flush(30)
process = (time.process_time() - process) / {requests} * 1e6
print(thread, process, file=sys.stderr)
"""

VARIANTS = {"export off": None, "on, none sampled": "0", "on, 0.1": "0.1", "on, all": "1"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None
    endpoint = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
    code = RUN.format(requests=args.requests)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    try:
        for _ in range(args.rounds):
            for name, ratio in VARIANTS.items():
                env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
                if ratio is not None:
                    env.update(
                        {
                            "OTEL_TRACES_EXPORTER": "otlp",
                            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                            "OTEL_TRACES_SAMPLER_ARG": ratio,
                        }
                    )
                out = (
                    subprocess.run(
                        [sys.executable, "-c", code],
                        capture_output=True,
                        text=True,
                        env=env,
                        check=True,
                        cwd=REPO,
                    )
                    .stderr.strip()
                    .splitlines()[-1]
                    .split()
                )
                results[name].append((float(out[0]), float(out[1])))
    finally:
        sink.terminate()
        sink.wait(5)
    print(f"{'variant':20} {'request path us':>16} {'with export thread us':>22}")
    for name, values in results.items():
        thread = statistics.median(v[0] for v in values)
        process = statistics.median(v[1] for v in values)
        print(f"{name:20} {thread:>16.1f} {process:>22.1f}")


if __name__ == "__main__":
    main()
