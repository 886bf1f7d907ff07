"""`aloft lambda serve`: Lambda on this machine, no Docker.

Each execution environment is a worker process running a Runtime API client (aloft's bootstrap
or AWS's awslambdaric) against its own Runtime API server here, with the environment variables
Lambda sets. An invocation goes to a warm idle worker, else a new one up to `concurrency`, else
waits; a worker that overruns the timeout is killed, as Lambda does. An HTTP front turns real
requests into API Gateway v2 (or v1/ALB/Function URL) events and accepts direct invocations on
`POST /2015-03-31/functions/{name}/invocations`, like AWS's own emulator.

It fails where Lambda fails, so nothing passes here and breaks in the cloud: the 6 MB
synchronous request and response limits (1 MB behind an ALB), Lambda's error payloads for
timeouts, crashed runtimes and bad payloads, no SIGTERM at shutdown for a function without
extensions (its shutdown hooks do not run), and a Function URL's response streaming.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aloft.exceptions import ConfigError
from aloft.serverless.http_events import (
    FORMATS,
    STAGED,
    EventFormat,
    error_response,
    http_event,
    read_response,
)

if TYPE_CHECKING:
    from aloft.serverless.model import Function, Stack

_NEXT = "/2018-06-01/runtime/invocation/next"


# How often a server loop looks for shutdown: the stdlib's 0.5 s made every close() wait that
# long per server; a wake-up every 50 ms costs nothing measurable.
_POLL = 0.05
# How long an environment with extensions may run its shutdown hooks after SIGTERM (Lambda
# gives 500 ms with internal extensions, 2 s with external ones).
_GRACE = 2.0

# Lambda's synchronous invocation limits: requests up to 6 MiB; responses, as its error message
# says, up to 6291556 bytes. An ALB passes at most 1 MiB each way to a Lambda target.
REQUEST_LIMIT = 6 * 1024 * 1024
RESPONSE_LIMIT = REQUEST_LIMIT + 100
ALB_LIMIT = 1024 * 1024
# API Gateway stops waiting for a Lambda integration after 29 s (REST) or 30 s (HTTP API),
# whatever the function's own timeout: the client gets a 504 while the function runs on.
GATEWAY_TIMEOUT: dict[str, float] = {"v1": 29.0, "v2": 30.0}
# The most any front takes in at all (API Gateway's own payload quota): beyond it the request
# is refused before it is read, as it could never reach the function anyway.
FRONT_LIMIT = 10 * 1024 * 1024
_STREAMING = "application/vnd.awslambda.http-integration-response"


class BadRequest(Exception):
    """An HTTP request this server cannot read (a bad Content-Length, a broken chunk): 400."""


class RequestTooLarge(Exception):
    """An invocation payload over Lambda's synchronous limit: Lambda refuses it, uninvoked."""


def read_body(handler: BaseHTTPRequestHandler, limit: int | None = None) -> bytes:
    """The request body by Content-Length or chunked transfer; BadRequest if neither is sane,
    RequestTooLarge past `limit` (nothing more is read then)."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        chunks: list[bytes] = []
        size = 0
        for chunk in _chunks(handler.rfile):
            size += len(chunk)
            if limit is not None and size > limit:
                raise RequestTooLarge(f"the body is over {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    given = handler.headers.get_all("Content-Length") or []
    if not given:
        return b""
    values = {v.strip() for v in given}
    if len(values) != 1 or not next(iter(values)).isdigit():
        raise BadRequest(f"Content-Length {', '.join(given)!r} is not a length")
    length = int(next(iter(values)))
    if limit is not None and length > limit:
        raise RequestTooLarge(f"the body is over {limit} bytes")
    body = handler.rfile.read(length) if length else b""
    if len(body) != length:
        raise BadRequest("the body ended before its Content-Length")
    return body


def _chunks(reader: Any, trailers: dict[str, str] | None = None) -> Iterator[bytes]:
    """The chunks of a chunked body as they arrive; the trailers go into `trailers`."""
    while True:
        line = reader.readline(65537)
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadRequest(f"bad chunk size {size_text[:20]!r}") from None
        if size < 0:
            raise BadRequest("negative chunk size")
        if size == 0:
            while True:
                trailer = reader.readline(65537)
                if trailer in (b"\r\n", b"\n", b""):
                    return
                if trailers is not None:
                    name, _, value = trailer.decode("latin-1").partition(":")
                    trailers[name.strip().lower()] = value.strip()
        chunk = reader.read(size)
        if len(chunk) != size:
            raise BadRequest("the body ended inside a chunk")
        reader.readline(65537)  # the CRLF after the chunk
        yield chunk


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
    # A Function URL with InvokeMode RESPONSE_STREAM: the runtime may stream its response.
    stream: bool = False
    # Whether the function has extensions: only then does Lambda send SIGTERM before it shuts
    # an environment down. Without, the environment is frozen and killed; no hook runs.
    extensions: bool = False
    # The environments' Python ("3.12"), for AWS_EXECUTION_ENV; empty: this interpreter's.
    python: str = ""

    @classmethod
    def for_function(
        cls,
        fn: Function,
        *,
        region: str,
        root: Path,
        pyproject: Path,
        interpreter: Path,
        client: Client = "aloft",
        concurrency: int = 2,
        extensions: bool = False,
    ) -> FunctionSpec:
        """The project's function `fn` as `aloft lambda serve` runs it: its handler under
        `client` in the app's environment (`interpreter`), with the function's environment
        over this process's (less what Lambda itself sets)."""
        module = CLIENT_MODULES[client]
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AWS_LAMBDA") and k not in ("VIRTUAL_ENV", "PYTHONHOME")
        }
        env.update(fn.environment)
        env.pop("ALOFT_SECRET_REFS", None)  # locally, secrets come from the environment
        version = client_python(interpreter, client, pyproject, env)
        return cls(
            fn.name,
            [str(interpreter), "-m", module, fn.handler],
            root,
            env,
            float(fn.timeout),
            fn.memory,
            concurrency,
            region,
            stream=fn.stream,
            extensions=extensions,
            python=version,
        )


# The Runtime API clients an environment can run: aloft's, or AWS's awslambdaric.
Client = Literal["aloft", "awslambdaric"]
CLIENT_MODULES: dict[str, str] = {
    "aloft": "aloft.runtime.aws_lambda",
    "awslambdaric": "awslambdaric",
}


def client_python(interpreter: Path, client: Client, pyproject: Path, env: dict[str, str]) -> str:
    """The runtime client must be importable in the app's environment, as it is in the zip.
    Returns that environment's Python version ("3.12")."""
    module = CLIENT_MODULES[client]
    probe = subprocess.run(
        [str(interpreter), "-c", f"import sys, {module}; print('%d.%d' % sys.version_info[:2])"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode == 0:
        return probe.stdout.strip()
    fix = "uv add 'aloft-runtime[asgi]' (or [wsgi])" if client == "aloft" else "uv add awslambdaric"
    raise ConfigError(
        f"{pyproject}: the app's environment ({interpreter}) cannot import {module}; "
        f"add it to the project's dependencies: {fix}"
    )


def pick_function(stack: Stack, key: str | None) -> Function:
    """The function `--function KEY` names, else the stack's first."""
    if not key:
        return stack.functions[0]
    functions = {fn.key: fn for fn in stack.functions}
    if key not in functions:
        raise ConfigError(
            f"--function {key}: not in [tool.aloft.lambda.functions]; "
            f"known: {', '.join(sorted(functions))}"
        )
    return functions[key]


def choose_event_format(fn: Function, requested: str | None) -> EventFormat:
    """The event shape HTTP requests become: a streaming function has only its Function URL."""
    if requested is None:
        return "url" if fn.stream else "v2"
    if requested not in FORMATS:
        raise ConfigError(f"--event-format {requested}: use one of {', '.join(FORMATS)}")
    if fn.stream and requested != "url":
        raise ConfigError(
            f"--event-format {requested}: function {fn.key} has stream = true, and only a "
            "Function URL streams; use --event-format url"
        )
    return requested


def client_warning(fn: Function, client: Client) -> str | None:
    """What the chosen client cannot do that the function needs, as a warning line."""
    if fn.stream and client == "awslambdaric":
        return (
            "awslambdaric cannot stream: behind a RESPONSE_STREAM Function URL its whole JSON"
            " result reaches the client as the body, as it would on Lambda"
        )
    return None


def check_stage(stage: str | None, fmt: EventFormat) -> None:
    if stage is not None and (fmt not in STAGED or not stage or "/" in stage):
        raise ConfigError(
            f"--stage {stage!r}: only v1 and v2 events have stages; give one path part, e.g. prod"
        )


class StreamSink:
    """Where a streamed response goes while the function writes it (the HTTP front)."""

    def start(self, content_type: str) -> None:
        """The runtime opened a streamed response of this content type."""

    def write(self, chunk: bytes) -> None:
        """One chunk, as the runtime sent it."""

    def end(self, error: bytes | None) -> None:
        """The response is complete, or failed after it began (`error`, Lambda's payload)."""


@dataclass
class InvokeResult:
    status: str  # "ok", "error" (the handler raised), "timeout", "crashed", "init-error"
    payload: bytes
    duration: float
    request_id: str
    cold: bool
    content_type: str = "application/json"
    streamed: bool = False  # the body went to the sink as the function wrote it

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class _Invocation:
    def __init__(
        self,
        payload: bytes,
        timeout: float,
        trace_id: str | None,
        client_context: str | None = None,
        sink: StreamSink | None = None,
    ) -> None:
        self.id = str(uuid.uuid4())
        self.client_context = client_context
        self.sink = sink
        self.streamed = False
        self.content_type = "application/json"
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
    version = spec.python or f"{sys.version_info.major}.{sys.version_info.minor}"
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
    if spec.stream:
        # How aloft's runtime learns that its Function URL is in RESPONSE_STREAM mode; on AWS
        # the function's environment carries it (rendered with the function by the model).
        from aloft.runtime.aws_lambda.runtime_api import STREAM_ENV

        env[STREAM_ENV] = "true"
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
            if invocation.streamed and invocation.sink is not None and status != "ok":
                # Timed out or crashed mid-stream: the client's response is cut off.
                with contextlib.suppress(Exception):
                    invocation.sink.end(result)
            invocation.done.set()

    def signal_stop(self, sigterm: bool) -> None:
        """Stop the environment as Lambda does: SIGTERM (shutdown hooks run) only for a function
        with extensions; otherwise it is killed with no notice, and no hook runs."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM if sigterm else signal.SIGKILL)
        self.inbox.put(None)  # after the signal: a runtime told to stop first would exit cleanly

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

        def _bad(self, error: BadRequest) -> None:
            self.close_connection = True
            message = json.dumps({"errorMessage": str(error), "errorType": "BadRequest"})
            self._reply(400, message.encode(), {"Connection": "close"})

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
            headers = {
                "Lambda-Runtime-Aws-Request-Id": invocation.id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": (
                    f"arn:aws:lambda:{spec.region}:123456789012:function:{spec.name}"
                ),
                "Lambda-Runtime-Trace-Id": invocation.trace_id,
            }
            if invocation.client_context is not None:
                headers["Lambda-Runtime-Client-Context"] = invocation.client_context
            self._reply(200, invocation.payload, headers)

        def do_POST(self) -> None:
            if (
                self.path.startswith(_PREFIX)
                and self.path.endswith("/response")
                and (
                    self.headers.get("Lambda-Runtime-Function-Response-Mode", "").lower()
                    == "streaming"
                )
            ):
                self._streamed()
                return
            try:
                body = read_body(self)
            except BadRequest as exc:
                self._bad(exc)
                return
            if self.path == _INIT_ERROR:
                worker.init_error = body
                self._reply(202, b'{"status":"OK"}')
                current = worker.current
                if current is not None:
                    worker.finish(current, "init-error", body)
                return
            invocation = self._invocation()
            if invocation is None:
                return
            kind = self.path.rpartition("/")[2]
            if kind == "response":
                if len(body) > RESPONSE_LIMIT:
                    # Lambda refuses the response and the invocation fails with its own error.
                    limit = f"maximum allowed payload size ({RESPONSE_LIMIT} bytes)."
                    refusal = _error_json(f"Exceeded {limit}", "RequestEntityTooLarge")
                    self._reply(413, refusal)
                    failure = _error_json(
                        f"Response payload size exceeded {limit}", "Function.ResponseSizeTooLarge"
                    )
                    worker.finish(invocation, "error", failure)
                    return
                self._reply(202, b'{"status":"OK"}')
                invocation.content_type = self.headers.get("Content-Type") or "application/json"
                worker.finish(invocation, "ok", body)
            elif kind == "error":
                self._reply(202, b'{"status":"OK"}')
                worker.finish(invocation, "error", body)
            else:
                self._reply(404, b'{"errorMessage":"not found"}')

        def _invocation(self) -> _Invocation | None:
            """The invocation the request names, or None after answering 404/400."""
            if not self.path.startswith(_PREFIX):
                self._reply(404, b'{"errorMessage":"not found"}')
                return None
            request_id = self.path[len(_PREFIX) :].partition("/")[0]
            invocation = worker.current
            if invocation is None or invocation.id != request_id:
                self._reply(400, b'{"errorMessage":"unknown request id"}')
                return None
            return invocation

        def _streamed(self) -> None:
            """A streamed response: chunks go on to the sink as they arrive; an error after the
            first byte comes in the Lambda-Runtime-Function-Error-Type/-Body trailers."""
            invocation = self._invocation()
            if invocation is None:
                self.close_connection = True
                return
            content_type = self.headers.get("Content-Type") or "application/octet-stream"
            invocation.content_type = content_type
            sink = invocation.sink if worker.emulator.spec.stream else None
            if sink is not None:
                invocation.streamed = True
                sink.start(content_type)
            trailers: dict[str, str] = {}
            kept: list[bytes] = []
            size = 0
            try:
                for chunk in _chunks(self.rfile, trailers):
                    if not chunk:
                        continue
                    if sink is not None:
                        with contextlib.suppress(OSError):  # the client went away
                            sink.write(chunk)
                    else:
                        kept.append(chunk)
                        size += len(chunk)
            except BadRequest as exc:
                self._bad(exc)
                worker.finish(invocation, "crashed", _error_json(str(exc), "Runtime.ExitError"))
                return
            error_type = trailers.get("lambda-runtime-function-error-type")
            self._reply(202, b'{"status":"OK"}')
            if error_type:
                import base64
                import binascii

                try:
                    error = base64.b64decode(trailers.get("lambda-runtime-function-error-body", ""))
                except (binascii.Error, ValueError):
                    error = b""
                error = error or _error_json("the function failed mid-stream", error_type)
                worker.finish(invocation, "error", error)
                return
            if sink is None and size > RESPONSE_LIMIT:  # buffered by Lambda: the usual limit
                failure = _error_json(
                    f"Response payload size exceeded maximum allowed payload size "
                    f"({RESPONSE_LIMIT} bytes).",
                    "Function.ResponseSizeTooLarge",
                )
                worker.finish(invocation, "error", failure)
                return
            if sink is not None:
                with contextlib.suppress(OSError):
                    sink.end(None)
            worker.finish(invocation, "ok", b"".join(kept))

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

    def invoke(
        self,
        payload: bytes,
        trace_id: str | None = None,
        *,
        client_context: str | None = None,
        sink: StreamSink | None = None,
    ) -> InvokeResult:
        """One synchronous invocation. `client_context`: the JSON a caller passed (Invoke's
        X-Amz-Client-Context); `sink` receives a streamed response as it is written."""
        if len(payload) > REQUEST_LIMIT:
            raise RequestTooLarge(
                f"Request must be smaller than {REQUEST_LIMIT} bytes for the InvokeFunction "
                "operation"
            )
        started = time.perf_counter()
        worker, cold = self._acquire()
        invocation = _Invocation(payload, self.spec.timeout, trace_id, client_context, sink)
        worker.inbox.put(invocation)
        deadline = time.monotonic() + self.spec.timeout
        while not invocation.done.wait(0.02):
            if worker.init_error is not None:
                worker.current = invocation
                worker.finish(invocation, "init-error", worker.init_error)
            elif worker.process.poll() is not None:
                worker.current = invocation
                code = worker.process.returncode
                how = (
                    f"signal: {(signal.strsignal(-code) or str(-code)).lower()}"
                    if code < 0
                    else f"exit status {code}"
                )
                message = f"RequestId: {invocation.id} Error: Runtime exited with error: {how}"
                worker.finish(invocation, "crashed", _error_json(message, "Runtime.ExitError"))
            elif time.monotonic() > deadline:
                worker.current = invocation
                message = (
                    f"RequestId: {invocation.id} Error: Task timed out after "
                    f"{self.spec.timeout:.2f} seconds"
                )
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
            invocation.content_type,
            invocation.streamed,
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
        # Every environment is stopped at once and they shut down side by side, within one
        # shared grace period; an environment already gone is not waited for.
        for worker in workers:
            worker.signal_stop(self.spec.extensions)
        deadline = time.monotonic() + (_GRACE if self.spec.extensions else 1.0)
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

    def serve_until_stopped(self) -> None:
        """Serve until Ctrl-C or SIGTERM, then stop the front and the emulator's environments,
        as Lambda would."""

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            self.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.close()
            self.emulator.close()

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


def _too_large(fmt: EventFormat) -> tuple[int, list[tuple[str, str]], bytes]:
    """What the service answers for a request its Lambda target cannot take."""
    if fmt in ("alb", "alb-multi"):
        html = b"<html><body><center><h1>413 Request Entity Too Large</h1></center></body></html>\n"
        return 413, [("content-type", "text/html")], html
    return 413, [("content-type", "application/json")], b'{"message":"Request Entity Too Large"}'


class _FrontStream(StreamSink):
    """A Function URL's streamed response, passed on to the HTTP client chunk by chunk.

    With the http-integration-response content type, the function first writes a JSON prelude
    (statusCode, headers, cookies) and eight NUL bytes, then the body; any other content type
    is the body itself, sent as a 200.
    """

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self.handler = handler
        self.content_type = "application/octet-stream"
        self.prelude: bytearray | None = None
        self.sent_head = False
        self.failed = False

    def start(self, content_type: str) -> None:
        self.content_type = content_type
        if content_type.split(";", 1)[0].strip().lower() == _STREAMING:
            self.prelude = bytearray()

    def write(self, chunk: bytes) -> None:
        if self.prelude is not None:
            self.prelude += chunk
            cut = self.prelude.find(b"\0" * 8)
            if cut < 0:
                return
            head, chunk = bytes(self.prelude[:cut]), bytes(self.prelude[cut + 8 :])
            self.prelude = None
            self._head(*_prelude(head))
        elif not self.sent_head:
            self._head(200, [("content-type", self.content_type)])
        if chunk:
            out = self.handler.wfile
            out.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            out.flush()

    def _head(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.sent_head = True
        handler = self.handler
        handler.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                handler.send_header(name, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.flush()

    def end(self, error: bytes | None) -> None:
        if error is not None:
            # After the first byte the status is gone: the client's response is cut short.
            self.failed = True
            return
        if self.prelude is not None:  # a prelude and no body at all
            head, self.prelude = bytes(self.prelude.rstrip(b"\0")), None
            self._head(*_prelude(head))
        elif not self.sent_head:
            self._head(200, [("content-type", self.content_type)])
        self.handler.wfile.write(b"0\r\n\r\n")
        self.handler.wfile.flush()


def _prelude(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    """Status and headers from a streamed response's JSON prelude."""
    try:
        prelude = json.loads(head) if head.strip() else {}
    except ValueError:
        prelude = {}
    if not isinstance(prelude, dict):
        prelude = {}
    status = prelude.get("statusCode", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        status = 200
    headers = [(str(k), str(v)) for k, v in (prelude.get("headers") or {}).items()]
    headers.extend(("set-cookie", str(c)) for c in prelude.get("cookies") or [])
    return status, headers


def _invoke_within(
    emulator: Emulator, payload: bytes, sink: StreamSink | None, limit: float | None
) -> InvokeResult | None:
    """The invocation's result, or None when it outlasts `limit` (the gateway's own timeout)."""
    if limit is None or emulator.spec.timeout <= limit:
        return emulator.invoke(payload, sink=sink)
    outcome: list[InvokeResult | BaseException] = []

    def run() -> None:
        try:
            outcome.append(emulator.invoke(payload, sink=sink))
        except BaseException as exc:  # handed to the waiting request thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(limit)
    if not outcome:
        return None
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


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
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            try:
                body = read_body(self, FRONT_LIMIT)
            except BadRequest as exc:
                # A request that cannot be read cannot be told from the next one: answer, close.
                self.close_connection = True
                message = json.dumps({"message": f"Bad Request: {exc}"}).encode()
                self._send(400, [("content-type", "application/json")], message)
                return
            except RequestTooLarge:
                self.close_connection = True  # its body is still on the wire, unread
                self._send(*_too_large(front.fmt))
                return
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
            fmt = front.fmt
            if fmt in ("alb", "alb-multi") and len(body) > ALB_LIMIT:
                self._send(*_too_large(fmt))
                return
            event = http_event(
                fmt,
                self.command,
                resource,
                query,
                list(self.headers.items()),
                body,
                self.client_address[0],
                front.stage or "$default",
            )
            stream = _FrontStream(self) if front.emulator.spec.stream else None
            try:
                result = _invoke_within(
                    front.emulator, json.dumps(event).encode(), stream, GATEWAY_TIMEOUT.get(fmt)
                )
            except RequestTooLarge:
                self._send(*_too_large(fmt))
                return
            if result is None:  # the gateway gave up; the function runs on
                status, phrase, headers, data = error_response(fmt, 504)
                self._send(status, headers, data, phrase)
                return
            if stream is not None and result.streamed and stream.sent_head:
                if stream.failed or not result.ok:
                    self.close_connection = True  # cut short: no terminating chunk
                    front.emulator.output(
                        f"aloft lambda serve: {result.request_id} failed mid-stream: "
                        + result.payload.decode("utf-8", "replace")[:500]
                    )
                return
            if result.status == "timeout":
                status, phrase, headers, data = error_response(fmt, 504)
            elif not result.ok:
                status, phrase, headers, data = error_response(fmt, 502)
            elif stream is not None:
                # A streaming Function URL passes a buffered payload on as it is: the body.
                status, phrase = 200, "OK"
                headers, data = [("content-type", result.content_type)], result.payload
            elif fmt in ("alb", "alb-multi") and len(result.payload) > ALB_LIMIT:
                status, phrase, headers, data = error_response(fmt, 502)
            else:
                try:
                    payload = json.loads(result.payload)
                except ValueError:
                    payload = None
                status, phrase, headers, data = read_response(fmt, payload)
            self._send(status, headers, data, phrase)

        def _direct(self, path: str, body: bytes) -> None:
            name = path[len(_INVOKE) : -len("/invocations")]
            if name not in (front.emulator.spec.name, "function"):
                self._refuse(404, "ResourceNotFoundException", f"Function not found: {name}")
                return
            client_context = None
            encoded = self.headers.get("X-Amz-Client-Context")
            if encoded:
                import base64
                import binascii

                try:
                    client_context = base64.b64decode(encoded, validate=True).decode("utf-8")
                    json.loads(client_context)
                except (binascii.Error, ValueError):
                    self._refuse(
                        400,
                        "InvalidRequestContentException",
                        "Client context must be a valid Base64-encoded JSON object.",
                    )
                    return
            if body.strip():
                try:
                    json.loads(body)
                except ValueError as exc:
                    self._refuse(
                        400,
                        "InvalidRequestContentException",
                        f"Could not parse request body into json: {exc}",
                    )
                    return
            try:
                # An empty payload goes to the function as it is (no event: None), as AWS's
                # own emulator passes it.
                result = front.emulator.invoke(body, client_context=client_context)
            except RequestTooLarge as exc:
                self._refuse(413, "RequestEntityTooLargeException", str(exc))
                return
            headers = [("content-type", "application/json"), ("x-amz-executed-version", "$LATEST")]
            if not result.ok:
                headers.append(("x-amz-function-error", "Unhandled"))
            self._send(200, headers, result.payload)

        def _refuse(self, status: int, error_type: str, message: str) -> None:
            """An error of the Invoke API itself: the function never ran."""
            self._send(
                status,
                [("content-type", "application/json"), ("x-amzn-errortype", error_type)],
                json.dumps({"Type": "User", "Message": message}).encode(),
            )

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    return Front
