"""`aloft lambda serve`: Lambda on this machine, no Docker.

Each execution environment is a worker process running a Runtime API client (aloft's bootstrap
or AWS's awslambdaric) against its own Runtime API server here, with the environment variables
Lambda sets. An invocation goes to a warm idle worker, else a new one up to `concurrency`, else
waits; a worker that overruns the timeout is killed, as Lambda does. An HTTP front turns real
requests into API Gateway v2 (or v1/ALB/Function URL) events and accepts direct invocations on
`POST /2015-03-31/functions/{name}/invocations`, like AWS's own emulator.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aloft.serverless.http_events import (
    STAGED,
    EventFormat,
    error_response,
    http_event,
    read_response,
)

_NEXT = "/2018-06-01/runtime/invocation/next"


# How often a server loop looks for shutdown: the stdlib's 0.5 s made every close() wait that
# long per server; a wake-up every 50 ms costs nothing measurable.
_POLL = 0.05
# How long stopping environments may run their shutdown hooks before they are killed.
_GRACE = 3.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A killed environment (timeout, crash) drops its connection: expected, not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


_PREFIX = "/2018-06-01/runtime/invocation/"
_INIT_ERROR = "/2018-06-01/runtime/init/error"
_INVOKE = "/2015-03-31/functions/"


@dataclass
class FunctionSpec:
    """One function as the emulator runs it."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    memory: int = 512
    concurrency: int = 2
    region: str = "us-east-1"


@dataclass
class InvokeResult:
    status: str  # "ok", "error" (the handler raised), "timeout", "crashed", "init-error"
    payload: bytes
    duration: float
    request_id: str
    cold: bool

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class _Invocation:
    def __init__(self, payload: bytes, timeout: float, trace_id: str | None) -> None:
        self.id = str(uuid.uuid4())
        self.payload = payload
        self.deadline_ms = int((time.time() + timeout) * 1000)
        self.trace_id = trace_id or (
            f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};"
            f"Parent={os.urandom(8).hex()};Sampled=1"
        )
        self.done = threading.Event()
        self.status = "ok"
        self.result = b""


def lambda_environment(spec: FunctionSpec, runtime_api: str) -> dict[str, str]:
    """The variables Lambda sets in an execution environment, then the function's own."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
        "LAMBDA_TASK_ROOT": str(spec.cwd),
        "LAMBDA_RUNTIME_DIR": str(spec.cwd),
        "PYTHONPATH": str(spec.cwd),
        "PYTHONUNBUFFERED": "1",
    }
    env.update(spec.env)
    return env


class _Worker:
    """One execution environment: a process and the Runtime API server it talks to."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.inbox: queue.Queue[_Invocation | None] = queue.Queue()
        self.current: _Invocation | None = None
        self.init_error: bytes | None = None
        self.served = 0
        self.server = _Server(("127.0.0.1", 0), _runtime_handler(self))
        threading.Thread(target=self.server.serve_forever, args=(_POLL,), daemon=True).start()
        spec = emulator.spec
        port = self.server.server_address[1]
        self.process = subprocess.Popen(
            spec.command,
            cwd=spec.cwd,
            env=lambda_environment(spec, f"127.0.0.1:{port}"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._read_output, daemon=True).start()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.emulator.output(raw.decode("utf-8", "replace").rstrip("\n"))

    def alive(self) -> bool:
        return self.process.poll() is None and self.init_error is None

    def finish(self, invocation: _Invocation, status: str, result: bytes) -> None:
        if self.current is invocation and not invocation.done.is_set():
            invocation.status, invocation.result = status, result
            self.current = None
            invocation.done.set()

    def signal_stop(self) -> None:
        """Tell the environment to stop: SIGTERM runs the app's shutdown hooks, as on Lambda."""
        self.inbox.put(None)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)

    def reap(self, deadline: float) -> None:
        """Wait for the stopped process until `deadline` (monotonic), then kill it."""
        if self.process.poll() is None:
            try:
                self.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.server.shutdown()
        self.server.server_close()

    def kill(self) -> None:
        self.inbox.put(None)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.server.shutdown()
        self.server.server_close()


def _runtime_handler(worker: _Worker) -> type[BaseHTTPRequestHandler]:
    class RuntimeAPI(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without this, Nagle plus delayed ACKs add 40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(
            self, status: int, body: bytes = b"{}", headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            if self.path != _NEXT:
                self._reply(404, b'{"errorMessage":"not found"}')
                return
            invocation = worker.inbox.get()
            if invocation is None:  # the environment is being stopped
                self._reply(410, b'{"errorMessage":"environment stopping"}')
                return
            worker.current = invocation
            spec = worker.emulator.spec
            self._reply(
                200,
                invocation.payload,
                {
                    "Lambda-Runtime-Aws-Request-Id": invocation.id,
                    "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": (
                        f"arn:aws:lambda:{spec.region}:123456789012:function:{spec.name}"
                    ),
                    "Lambda-Runtime-Trace-Id": invocation.trace_id,
                },
            )

        def do_POST(self) -> None:
            body = self._body()
            if self.path == _INIT_ERROR:
                worker.init_error = body
                self._reply(202, b'{"status":"OK"}')
                current = worker.current
                if current is not None:
                    worker.finish(current, "init-error", body)
                return
            if not self.path.startswith(_PREFIX):
                self._reply(404, b'{"errorMessage":"not found"}')
                return
            request_id, _, kind = self.path[len(_PREFIX) :].partition("/")
            invocation = worker.current
            if invocation is None or invocation.id != request_id:
                self._reply(400, b'{"errorMessage":"unknown request id"}')
                return
            if kind == "response":
                self._reply(202, b'{"status":"OK"}')
                worker.finish(invocation, "ok", body)
            elif kind == "error":
                self._reply(202, b'{"status":"OK"}')
                worker.finish(invocation, "error", body)
            else:
                self._reply(404, b'{"errorMessage":"not found"}')

    return RuntimeAPI


class Emulator:
    """A pool of warm execution environments for one function."""

    def __init__(self, spec: FunctionSpec, output: Callable[[str], None] | None = None) -> None:
        self.spec = spec
        self.output: Callable[[str], None] = output or (lambda line: print(line, flush=True))
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._cond = threading.Condition()
        self._closed = False

    def _acquire(self) -> tuple[_Worker, bool]:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the emulator is closed")
                while self._idle:
                    worker = self._idle.pop()  # the most recently used: the warmest
                    if worker.alive():
                        return worker, False
                    self._discard(worker)
                if len(self._all) < self.spec.concurrency:
                    worker = _Worker(self)
                    self._all.append(worker)
                    return worker, True
                self._cond.wait()

    def _discard(self, worker: _Worker) -> None:
        if worker in self._all:
            self._all.remove(worker)
        threading.Thread(target=worker.kill, daemon=True).start()

    def _release(self, worker: _Worker, keep: bool) -> None:
        with self._cond:
            if keep and worker.alive() and not self._closed:
                self._idle.append(worker)
            else:
                self._discard(worker)
            self._cond.notify()

    def invoke(self, payload: bytes, trace_id: str | None = None) -> InvokeResult:
        started = time.perf_counter()
        worker, cold = self._acquire()
        invocation = _Invocation(payload, self.spec.timeout, trace_id)
        worker.inbox.put(invocation)
        deadline = time.monotonic() + self.spec.timeout
        while not invocation.done.wait(0.02):
            if worker.init_error is not None:
                worker.current = invocation
                worker.finish(invocation, "init-error", worker.init_error)
            elif worker.process.poll() is not None:
                worker.current = invocation
                message = f"Runtime exited with status {worker.process.returncode}"
                worker.finish(invocation, "crashed", _error_json(message, "Runtime.ExitError"))
            elif time.monotonic() > deadline:
                worker.current = invocation
                message = f"Task timed out after {self.spec.timeout:.2f} seconds"
                worker.finish(invocation, "timeout", _error_json(message, "Sandbox.Timedout"))
        keep = invocation.status in ("ok", "error")
        if keep:
            worker.served += 1
        self._release(worker, keep)
        return InvokeResult(
            invocation.status,
            invocation.result,
            time.perf_counter() - started,
            invocation.id,
            cold,
        )

    def warm_workers(self) -> int:
        with self._cond:
            return len(self._all)

    def worker_pids(self) -> list[int]:
        with self._cond:
            return [w.process.pid for w in self._all]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers, self._all, self._idle = list(self._all), [], []
            self._cond.notify_all()
        # Every environment gets its SIGTERM at once and they shut down side by side, within
        # one shared grace period; an environment already gone is not waited for.
        for worker in workers:
            worker.signal_stop()
        deadline = time.monotonic() + _GRACE
        for worker in workers:
            worker.reap(deadline)


def _error_json(message: str, kind: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": kind}).encode()


class HTTPFront:
    """Real HTTP in, events to the emulator, the function's answer back out.

    `stage` (API Gateway formats only) puts the API under /{stage}, as the default execute-api
    URL does; without it the API answers at the root, as through a custom domain.
    """

    def __init__(
        self,
        emulator: Emulator,
        host: str = "127.0.0.1",
        port: int = 0,
        fmt: EventFormat = "v2",
        stage: str | None = None,
    ) -> None:
        if stage is not None and (fmt not in STAGED or not stage or "/" in stage):
            raise ValueError(f"stage {stage!r}: only v1 and v2 events have stages, one path part")
        self.emulator = emulator
        self.fmt = fmt
        self.stage = stage
        self.server = _Server((host, port), _front_handler(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(_POLL,), daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        self.server.serve_forever(_POLL)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def resource_path(self, path: str) -> str | None:
        """The path without the stage, or None when the URL is outside the stage."""
        if self.stage is None:
            return path
        prefix = f"/{self.stage}"
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
        return None


def _outside_stage(fmt: EventFormat) -> tuple[int, list[tuple[str, str]], bytes]:
    """What API Gateway answers for a URL outside every stage."""
    if fmt == "v1":
        return (
            403,
            [("content-type", "application/json")],
            b'{"message":"Missing Authentication Token"}',
        )
    return 404, [("content-type", "application/json")], b'{"message":"Not Found"}'


def _front_handler(front: HTTPFront) -> type[BaseHTTPRequestHandler]:
    class Front(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without this, Nagle plus delayed ACKs add 40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(
            self,
            status: int,
            headers: list[tuple[str, str]],
            body: bytes,
            phrase: str | None = None,
        ) -> None:
            self.send_response(status, phrase)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            if (
                self.command == "POST"
                and path.startswith(_INVOKE)
                and path.endswith("/invocations")
            ):
                self._direct(path, body)
                return
            resource = front.resource_path(path)
            if resource is None:
                self._send(*_outside_stage(front.fmt))
                return
            event = http_event(
                front.fmt,
                self.command,
                resource,
                query,
                list(self.headers.items()),
                body,
                self.client_address[0],
                front.stage or "$default",
            )
            result = front.emulator.invoke(json.dumps(event).encode())
            if result.status == "timeout":
                status, phrase, headers, data = error_response(front.fmt, 504)
            elif not result.ok:
                status, phrase, headers, data = error_response(front.fmt, 502)
            else:
                try:
                    payload = json.loads(result.payload)
                except ValueError:
                    payload = None
                status, phrase, headers, data = read_response(front.fmt, payload)
            self._send(status, headers, data, phrase)

        def _direct(self, path: str, body: bytes) -> None:
            name = path[len(_INVOKE) : -len("/invocations")]
            if name not in (front.emulator.spec.name, "function"):
                self._send(
                    404,
                    [
                        ("content-type", "application/json"),
                        ("x-amzn-errortype", "ResourceNotFoundException"),
                    ],
                    json.dumps({"Type": "User", "Message": f"Function not found: {name}"}).encode(),
                )
                return
            result = front.emulator.invoke(body or b"{}")
            headers = [("content-type", "application/json"), ("x-amz-executed-version", "$LATEST")]
            if not result.ok:
                headers.append(("x-amz-function-error", "Unhandled"))
            self._send(200, headers, result.payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    return Front
