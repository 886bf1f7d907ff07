"""The production server: `python -m aloft.runtime serve`, configured only by ALOFT_* variables.

gunicorn is the pre-forking supervisor for both kinds of app (uvicorn's worker class for ASGI,
threads for WSGI) because pre-forking is what lets the app be imported once, frozen out of the
garbage collector (`gc.freeze()`), and shared copy-on-write by every worker, and because its
master can hold the listener open while readiness reports 503, then stop the workers gracefully.
uvicorn's own `--workers` spawns fresh interpreters instead, losing both.

Drain on SIGTERM: readiness turns 503 at once (a flag file every worker sees); the listener stays
open for `drain_delay` so load balancers and Kubernetes endpoints stop routing to us; then the
workers stop accepting, finish in-flight requests within `drain_timeout`, run the app's shutdown
hooks, and the process exits 0.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from typing import Any

from aloft.runtime import health, logs, metrics
from aloft.runtime.appload import AppLoadError, detect_interface, load_app
from aloft.runtime.cgroup import Limits, read_limits
from aloft.runtime.options import ServeOptions

log = logging.getLogger("aloft.serve")


def wrap(app: Any, options: ServeOptions, interface: str) -> Any:
    from aloft.runtime import admin  # probes and metrics on the admin port only, when set

    if interface == "asgi":
        from aloft.runtime.asgi import AloftASGI

        return admin.wrap(AloftASGI(app, options), options, interface)
    from aloft.runtime.wsgi import AloftWSGI

    return admin.wrap(AloftWSGI(app, options), options, interface)


def load_wrapped(options: ServeOptions) -> tuple[Any, str]:
    app = load_app(options.app)
    interface = detect_interface(app) if options.interface == "auto" else options.interface
    return wrap(app, options, interface), interface


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def _tune_gc(options: ServeOptions) -> None:
    if options.gc_thresholds:
        gc.set_threshold(*options.gc_thresholds)
    if options.gc_freeze and not options.reload:
        # Everything imported so far is long-lived: keep it out of every later collection, so
        # collections in workers never touch (and copy) the pages they share with the master.
        gc.collect()
        gc.freeze()


def gunicorn_settings(options: ServeOptions, interface: str, workers: int) -> dict[str, Any]:
    from aloft.runtime import admin

    settings: dict[str, Any] = {
        "bind": [bind_address(host, port) for host, port in admin.listeners(options)],
        "workers": workers,
        # gunicorn takes whole seconds.
        "graceful_timeout": max(1, math.ceil(options.drain_timeout)),
        "keepalive": max(1, math.ceil(options.keepalive)),
        "timeout": max(30, int(options.drain_timeout) + 10),
        "preload_app": not options.reload,
        "reload": options.reload,
        "logger_class": "aloft.runtime.servers.JsonLogger",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": options.log_level,
        "proc_name": options.service or "aloft",
        "forwarded_allow_ips": "127.0.0.1,::1",
        "control_socket_disable": True,
        "worker_tmp_dir": tempfile.gettempdir(),
    }
    if interface == "asgi":
        settings["worker_class"] = "aloft.runtime.servers.UvicornWorker"
    else:
        settings["worker_class"] = "aloft.runtime.servers.ThreadWorker"
        settings["threads"] = options.threads
    return settings


def serve(options: ServeOptions) -> int:
    logs.configure(options.service, options.log_level)
    limits = read_limits()
    workers = options.workers or limits.default_workers()
    run_dir = tempfile.mkdtemp(prefix="aloft-")
    master = os.getpid()
    os.environ["_ALOFT_RUN_DIR"] = run_dir
    os.environ["_ALOFT_MASTER_PID"] = str(os.getpid())
    try:
        try:
            interface: str
            if options.reload:
                # Workers must import the app themselves to see new code: the master never does.
                interface = options.interface
                if interface == "auto":
                    interface = _probe_interface(options.app)
                app: Any = None
            else:
                app, interface = load_wrapped(options)
        except AppLoadError as exc:
            print(f"aloft: error: {exc}", file=sys.stderr)
            return 2
        _tune_gc(options)
        _log_start(options, interface, workers, limits)
        from aloft.runtime.servers import Server

        server = Server(app, options, gunicorn_settings(options, interface, workers), run_dir)
        server.run()
        return 0
    finally:
        # Workers are forks of this function's caller and unwind through here when they exit.
        if os.getpid() == master:
            shutil.rmtree(run_dir, ignore_errors=True)


def _probe_interface(spec: str) -> str:
    """ASGI or WSGI, found by importing the app in a throwaway interpreter (--reload only)."""
    import subprocess

    code = (
        "import sys; from aloft.runtime.appload import AppLoadError, detect_interface, load_app\n"
        "try:\n    print(detect_interface(load_app(sys.argv[1])))\n"
        "except AppLoadError as exc:\n    sys.exit(str(exc))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, spec], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AppLoadError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else spec)
    return done.stdout.strip()


def _log_start(options: ServeOptions, interface: str, workers: int, limits: Limits) -> None:
    log.info(
        "starting",
        extra={
            "app": options.app,
            "interface": interface,
            "workers": workers,
            "workers_from": "config" if options.workers else f"cpu quota ({limits.source})",
            "cpu_quota": limits.cpu_quota,
            "cpus_visible": limits.cpus_visible,
            "memory_limit_bytes": limits.memory_bytes,
            "python": platform.python_version(),
            "pid": os.getpid(),
            "run_dir": os.environ.get("_ALOFT_RUN_DIR"),
            "gc_frozen": gc.get_freeze_count(),
            "drain_delay_s": options.drain_delay,
            "drain_timeout_s": options.drain_timeout,
        },
    )


class Drain:
    """The master's drain sequence: flag readiness, wait, then let gunicorn stop gracefully."""

    def __init__(self, run_dir: str, delay: float, stop: Any) -> None:
        self.run_dir = run_dir
        self.delay = delay
        self.stop = stop  # called once the delay is over: starts gunicorn's graceful stop
        self.started: float | None = None

    def begin(self) -> bool:
        """True when this SIGTERM starts the delay; False when it is time to stop now."""
        if self.started is not None or self.delay <= 0:
            self._flag()
            self._mark(STOPPING)
            return False
        self.started = time.monotonic()
        self._flag()
        log.info(
            "draining: readiness reports 503; closing the listener in %.1fs",
            self.delay,
            extra={"drain_delay_s": self.delay},
        )
        timer = threading.Timer(self.delay, self._elapsed)
        timer.daemon = True
        timer.start()
        return True

    def _flag(self) -> None:
        health.start_draining()
        self._mark(health.DRAIN_FLAG)

    def _mark(self, name: str) -> None:
        with open(os.path.join(self.run_dir, name), "w"):
            pass

    def _elapsed(self) -> None:
        log.info("drain delay over: closing the listener, finishing in-flight requests")
        self._mark(STOPPING)  # the SIGTERMs the workers get now are the master's own
        self.stop()


# Written by the master just before it signals the workers to stop.
STOPPING = "stopping"


def early_sigterm() -> bool:
    """Whether a worker's SIGTERM came while the master still drains, so it is to be ignored.

    That happens when SIGTERM is sent to the whole process group (`timeout`, `kill -- -PGID`)
    rather than to the master alone, as Kubernetes and runc do: the master then stops the
    workers itself when the delay is over. A worker signalled alone still stops, 0.2 s later.
    """
    run_dir = os.environ.get("_ALOFT_RUN_DIR")
    if not run_dir:
        return False
    stopping = os.path.join(run_dir, STOPPING)
    draining = os.path.join(run_dir, health.DRAIN_FLAG)
    deadline = time.monotonic() + 0.2
    while True:
        if os.path.exists(stopping):
            return False
        if os.path.exists(draining):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def fold_worker(run_dir: str, pid: int) -> None:
    try:
        metrics.fold_dead_worker(run_dir, pid)
    except OSError:
        log.exception("could not keep the metrics of worker %s", pid)
