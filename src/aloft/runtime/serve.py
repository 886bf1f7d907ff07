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
from typing import Any

from aloft.runtime import health, logs
from aloft.runtime.appload import detect_interface, load_app
from aloft.runtime.cgroup import Limits, read_limits
from aloft.runtime.exceptions import AppLoadError, NoRunDir
from aloft.runtime.options import ServeOptions

log = logging.getLogger("aloft.serve")


def wrap(app: Any, options: ServeOptions, interface: str) -> Any:
    if interface == "asgi":
        from aloft.runtime.asgi import AloftASGI

        wrapped: Any = AloftASGI(app, options)
    else:
        from aloft.runtime.wsgi import AloftWSGI

        wrapped = AloftWSGI(app, options)
    if not options.admin_port:
        return wrapped
    from aloft.runtime import admin  # probes and metrics on the admin port only

    return admin.wrap(wrapped, options, interface)


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
        # gunicorn stops accepting past this; aloft's own cap (slow_clients) acts first.
        "worker_connections": options.max_connections + options.threads + 1,
        "timeout": max(30, int(options.drain_timeout) + 10),
        "preload_app": not options.reload,
        "reload": False,  # gunicorn's per-worker reloader cannot stop uvicorn's: see reload.py
        "logger_class": "aloft.runtime.servers.JsonLogger",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": options.log_level,
        "proc_name": options.service or "aloft",
        "forwarded_allow_ips": "127.0.0.1,::1",
        "control_socket_disable": True,
        # The run dir is known to be writable: a read-only root may have no /tmp.
        "worker_tmp_dir": os.environ.get("_ALOFT_RUN_DIR") or tempfile.gettempdir(),
    }
    if interface == "asgi":
        settings["worker_class"] = "aloft.runtime.servers.UvicornWorker"
    else:
        settings["worker_class"] = "aloft.runtime.servers.ThreadWorker"
        settings["threads"] = options.threads
    return settings


def serve(options: ServeOptions) -> int:
    logs.configure(options.service, options.log_level, options.log_format)
    limits = read_limits()
    workers = options.workers or limits.default_workers()
    try:
        run_dir = make_run_dir()
    except NoRunDir as exc:
        print(f"aloft: error: {exc}", file=sys.stderr)
        return 2
    try:
        _prepare_spans()
    except (ValueError, ImportError) as exc:
        print(f"aloft: error: {exc}", file=sys.stderr)
        shutil.rmtree(run_dir, ignore_errors=True)
        return 2
    master = os.getpid()
    os.environ["_ALOFT_RUN_DIR"] = run_dir
    os.environ["_ALOFT_MASTER_PID"] = str(os.getpid())
    try:
        try:
            interface: str
            if options.reload:
                # Workers must import the app themselves to see new code: the master never
                # does, but it loads the libraries the app uses, so each reload is quick.
                found, libraries = _probe_app(options.app)
                interface = found if options.interface == "auto" else options.interface
                from aloft.runtime import reload

                reload.preimport(libraries)
                app: Any = None
            else:
                app, interface = load_wrapped(options)
        except AppLoadError as exc:
            print(f"aloft: error: {exc}", file=sys.stderr)
            return 2
        _tune_gc(options)
        health.share_drain_state()
        _log_start(options, interface, workers, limits)
        from aloft.runtime.servers import Server
        from aloft.runtime.slow_clients import ClientTimeouts

        server = Server(
            app,
            lambda: load_wrapped(options)[0],
            options,
            gunicorn_settings(options, interface, workers),
            run_dir,
            interface,
            ClientTimeouts(options.header_timeout, options.body_timeout, options.max_connections),
        )
        server.run()
        return 0
    finally:
        # Workers are forks of this function's caller and unwind through here when they exit.
        if os.getpid() == master:
            shutil.rmtree(run_dir, ignore_errors=True)


def _prepare_spans() -> None:
    """With tracing on, import OpenTelemetry's SDK here in the master, before gc.freeze() and the
    fork, so workers share it; each worker starts its own provider (servers.start_spans)."""
    from aloft.runtime.observe import span_export

    export = span_export()
    if export is not None:
        export.prepare()


# Where the run state goes when the temporary folders are not writable: a tmpfs that container
# runtimes mount even on a read-only root (docker --read-only, readOnlyRootFilesystem).
_FALLBACK_DIRS = ("/dev/shm",)


def make_run_dir() -> str:
    """A private folder for the metrics files and drain flags, or NoRunDir naming the fix."""
    try:
        return tempfile.mkdtemp(prefix="aloft-")
    except OSError:
        pass  # FileNotFoundError "No usable temporary directory", or a full disk
    for folder in _FALLBACK_DIRS:
        try:
            run_dir = tempfile.mkdtemp(prefix="aloft-", dir=folder)
        except OSError:
            continue
        log.info("no writable temporary folder: keeping run state in %s", run_dir)
        return run_dir
    tried = [os.environ.get(v, "") for v in ("TMPDIR", "TEMP", "TMP")]
    tried = [t for t in tried if t] + ["/tmp", "/var/tmp", "/usr/tmp", *_FALLBACK_DIRS]
    raise NoRunDir(
        f"no writable temporary folder (tried {', '.join(dict.fromkeys(tried))}); mount a "
        "tmpfs at /tmp (Kubernetes: an emptyDir volume; docker run --tmpfs /tmp) or set "
        "TMPDIR to a writable folder"
    )


def _probe_app(spec: str) -> tuple[str, list[str]]:
    """ASGI or WSGI, and the library modules the app imports, found by importing it in a
    throwaway interpreter (--reload only: the master must not hold the app's own code)."""
    import subprocess

    code = (
        "import json, os, sys\n"
        "from aloft.runtime.appload import AppLoadError, detect_interface, load_app\n"
        "from aloft.runtime.reload import library_modules\n"
        "try:\n    interface = detect_interface(load_app(sys.argv[1]))\n"
        "except AppLoadError as exc:\n    sys.exit(str(exc))\n"
        "print('\\n' + json.dumps([interface, library_modules(os.getcwd())]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, spec], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AppLoadError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else spec)
    import json

    # The last line: whatever the app prints while it is imported comes before it.
    interface, libraries = json.loads(done.stdout.strip().splitlines()[-1])
    return str(interface), [str(name) for name in libraries]


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
