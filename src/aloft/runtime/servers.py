"""gunicorn glue: the application, the draining master, JSON logging and the uvicorn worker.

Imported only by `serve`, and only once gunicorn is known to be installed. Workers find their
server's settings on `self.app` (the Server below), inherited across the fork.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.gthread import ThreadWorker as _ThreadWorker

from aloft.runtime import health, metrics, slow_clients
from aloft.runtime.drain import Drain, early_sigterm

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from aloft.runtime.options import ServeOptions

try:
    from uvicorn import Server as _UvicornServer
    from uvicorn_worker import UvicornWorker as _UvicornWorker
except ImportError:  # a WSGI-only image carries no uvicorn
    _UvicornWorker = _UvicornServer = object  # type: ignore[misc,assignment]


class JsonLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger, but writing through aloft's JSON handler on the root logger."""

    def setup(self, cfg: Any) -> None:
        self.error_log.handlers = []
        self.error_log.propagate = True
        self.error_log.setLevel(getattr(logging, cfg.loglevel.upper(), logging.INFO))
        self.access_log.handlers = []
        self.access_log.propagate = False
        self.access_log.disabled = True

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """aloft's middleware writes the access line (it knows the route and the ids)."""


class UvicornWorker(_UvicornWorker):  # type: ignore[misc]
    CONFIG_KWARGS = {  # noqa: RUF012
        "loop": "auto",
        "http": "auto",
        "lifespan": "auto",
        "access_log": False,
        "log_config": None,
        "server_header": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.http = slow_clients.uvicorn_protocol(self.app.client_timeouts)
        # The base class points uvicorn's loggers at gunicorn's handlers; ours are on the root.
        for name in ("uvicorn", "uvicorn.error"):
            logger = logging.getLogger(name)
            logger.handlers = []
            logger.propagate = True

    async def _serve(self) -> None:
        # As the base class does, with a server that knows about the master's drain.
        self.config.app = self.wsgi
        server = _DrainAwareServer(config=self.config)
        server.reloading = self.app.options.reload
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)


class _DrainAwareServer(_UvicornServer):
    reloading = False

    def handle_exit(self, sig: int, frame: Any) -> None:
        if sig == signal.SIGTERM and early_sigterm(self.reloading):
            return
        super().handle_exit(sig, frame)


class ThreadWorker(slow_clients.GthreadGuard, _ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded WSGI worker, ignoring a group SIGTERM while the master drains, with
    requests handed to threads only once they have arrived (slow clients wait in the poller)."""

    def init_process(self) -> None:
        self.limits = self.app.client_timeouts
        super().init_process()

    def handle_exit(self, sig: int, frame: Any) -> None:
        if early_sigterm(self.app.options.reload):
            return
        super().handle_exit(sig, frame)


class DrainingArbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's master, with SIGTERM starting aloft's drain delay before the graceful stop.

    Under --reload it also replaces the workers when a source changes: fresh ones are started
    at once and the old ones stopped (SIGTERM: in-flight requests finish).
    """

    drain: Drain
    changed: str | None = None  # set by the watcher thread; acted on in the arbiter's loop
    stale: frozenset[int] = frozenset()  # old workers still stopping after a reload

    def source_changed(self, path: str) -> None:
        self.changed = path
        self.wakeup()

    def manage_workers(self) -> None:
        if self.changed is not None:
            path, self.changed = self.changed, None
            logging.getLogger("aloft.reload").info(
                "reloading: %s changed", os.path.relpath(path), extra={"file": path}
            )
            self.stale = frozenset(self.WORKERS)
            for pid in self.stale:
                self.kill_worker(pid, signal.SIGTERM)
        if self.stale:
            self.stale = self.stale & frozenset(self.WORKERS)  # those not reaped yet
            fresh = len(self.WORKERS) - len(self.stale)
            for _ in range(self.num_workers - fresh):
                self.spawn_worker()
            if self.stale:
                return  # gunicorn would stop the surplus again: it is already stopping
        super().manage_workers()

    def handle_term(self) -> None:
        if self.drain.begin():
            return
        raise StopIteration

    def handle_int(self) -> None:
        # Ctrl-C in a terminal: no drain delay, but still a graceful stop of in-flight requests.
        self.drain.delay = 0
        raise StopIteration


class Server(BaseApplication):  # type: ignore[misc]
    """The app as gunicorn sees it. `app` is None under --reload: each worker then calls `load`
    (the app, wrapped in aloft's middleware) itself."""

    def __init__(
        self,
        app: Any,
        load: Callable[[], Any],
        options: ServeOptions,
        settings: dict[str, Any],
        run_dir: str,
        interface: str,
        client_timeouts: slow_clients.ClientTimeouts,
    ) -> None:
        self.wrapped = app
        self.load_wrapped = load
        self.interface = interface
        self.options = options
        self.settings = settings
        self.run_dir = run_dir
        self.client_timeouts = client_timeouts
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.settings.items():
            self.cfg.set(key, value)
        run_dir = self.run_dir
        self.cfg.set("child_exit", lambda server, worker: _fold_worker(run_dir, worker.pid))
        self.cfg.set("when_ready", _when_ready)
        self.cfg.set("pre_request", _close_when_draining)
        drain_timeout = self.options.drain_timeout
        self.cfg.set("post_fork", _start_spans)
        # Half the drain budget: in-flight requests have used part of it already, and gunicorn
        # kills a worker still there when it is over.
        flush_budget = max(0.1, drain_timeout / 2)
        self.cfg.set("worker_exit", lambda server, worker: _stop_spans(flush_budget))

    def load(self) -> Any:
        if self.wrapped is None:  # --reload: each worker imports the app itself
            try:
                self.wrapped = self.load_wrapped()
            except Exception as exc:  # a typo just saved: serve the error until the next save
                logging.getLogger("aloft.reload").exception("the app failed to import")
                self.wrapped = _import_error_app(self.interface, exc)
        return self.wrapped

    def run(self) -> None:
        arbiter = DrainingArbiter(self)
        arbiter.drain = Drain(
            self.run_dir, self.options.drain_delay, lambda: arbiter.signal(signal.SIGTERM, None)
        )
        if self.options.reload:
            from aloft.runtime.reload import SourceWatcher

            SourceWatcher(os.getcwd(), arbiter.source_changed).start()
        arbiter.run()


def _import_error_app(interface: str, exc: BaseException) -> Any:
    body = f"aloft --reload: the app failed to import: {type(exc).__name__}: {exc}\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]

    if interface == "asgi":

        async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return
            raw = [(k.lower().encode(), v.encode()) for k, v in headers]
            await send({"type": "http.response.start", "status": 500, "headers": raw})
            await send({"type": "http.response.body", "body": body})

        return asgi_app

    def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("500 Internal Server Error", headers)
        return [body]

    return wsgi_app


def _close_when_draining(worker: Any, req: Any) -> None:
    """WSGI: from SIGTERM on, every response says `Connection: close` (gunicorn ignores the
    header from the app), so keep-alive clients reconnect elsewhere before the listener closes."""
    if health.draining_now():
        req.must_close = True


def _start_spans(server: Any, worker: Any) -> None:
    """Span export starts in each worker after the fork: the SDK's export thread would not
    survive one, and the master exports nothing."""
    from aloft.runtime.observe import span_export

    export = span_export()
    if export is not None:
        export.start()


def _stop_spans(timeout: float) -> None:
    """A worker's last spans go out before it exits, waiting at most `timeout` seconds."""
    from aloft.runtime.observe import span_export

    export = span_export()
    if export is not None:
        export.stop(timeout)


def _when_ready(server: Any) -> None:
    for listener in server.LISTENERS:
        host, port = listener.sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        logging.getLogger("aloft.serve").info(
            "listening on http://%s:%s", shown, port, extra={"address": f"{shown}:{port}"}
        )


def _fold_worker(run_dir: str, pid: int) -> None:
    try:
        metrics.fold_dead_worker(run_dir, pid)
    except OSError:
        logging.getLogger("aloft.serve").exception("could not keep the metrics of worker %s", pid)
