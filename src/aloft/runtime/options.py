"""How the production server is run: the settings `python -m aloft.runtime serve` reads.

These are read only from `ALOFT_*` environment variables, so a container behaves the same whoever
starts it. The tooling's project config (`[tool.aloft]`) validates the very same fields, taken from
this dataclass (aloft.config.schema, which reads each field's "doc" metadata as the config's own
settings do), so a default lives in exactly one place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

ENV_PREFIX = "ALOFT_"
# Settings of the server process, with no meaning where the platform runs the function (Lambda):
# there is no listener, no worker pool, no drain and no reload. Every other setting applies to
# every target, so the one environment builder below leaves out only these.
SERVER_ONLY = frozenset(
    {
        "host",
        "port",
        "workers",
        "threads",
        "keepalive",
        "drain_delay",
        "drain_timeout",
        "gc_freeze",
        "reload",
        # The HTTP server's own listener and connection limits: Lambda has no listener.
        "admin_port",
        "header_timeout",
        "body_timeout",
        "max_connections",
    }
)


def _opt(default: Any, doc: str) -> Any:
    return dataclasses.field(default=default, metadata={"doc": doc})


@dataclasses.dataclass(frozen=True)
class ServeOptions:
    """Settings of the server process; each maps to `ALOFT_<NAME>` and to `[tool.aloft] <name>`."""

    app: str = _opt("", "the application object, as 'module:attribute'")
    interface: Literal["auto", "asgi", "wsgi"] = _opt(
        "auto", "the app's calling convention; 'auto' inspects the object"
    )
    service: str = _opt("", "service name for logs and metrics; defaults to the project name")
    host: str = _opt("0.0.0.0", "address to listen on (all interfaces, as a container needs)")
    port: int = _opt(8000, "TCP port to listen on")
    workers: int = _opt(0, "worker processes; 0 sizes to the container's CPU quota")
    threads: int = _opt(4, "threads per worker for WSGI apps")
    log_level: Literal["debug", "info", "warning", "error", "critical"] = _opt(
        "info", "lowest level written to stdout"
    )
    log_format: Literal["auto", "json", "console"] = _opt(
        "auto",
        "JSON lines, or console lines for a person; 'auto': console on a terminal, else JSON",
    )
    log_sample_rate: float = _opt(
        1.0, "share of requests whose debug/info logs are kept (warnings and errors always are)"
    )
    access_log: bool = _opt(True, "one log line per request")
    health_path: str = _opt("/healthz", "liveness probe path")
    ready_path: str = _opt("/readyz", "readiness probe path")
    metrics_path: str = _opt("/metrics", "Prometheus metrics path")
    admin_port: int = _opt(
        0, "port serving only the probes and metrics (and the app port none); 0: the app port"
    )
    observe_probes: bool = _opt(False, "count probe and metrics requests in logs and metrics")
    ready_timeout: float = _opt(2.0, "seconds each readiness check may take")
    drain_delay: float = _opt(
        5.0, "seconds to keep serving after SIGTERM while readiness reports 503"
    )
    drain_timeout: float = _opt(20.0, "seconds in-flight requests get to finish after that")
    keepalive: float = _opt(5.0, "seconds an idle keep-alive connection stays open")
    header_timeout: float = _opt(
        10.0, "seconds a client has to send a request's line and headers (slow clients)"
    )
    body_timeout: float = _opt(30.0, "seconds a request body may pause between reads")
    max_connections: int = _opt(
        1000, "open connections per worker; past it the longest-waiting idle one is closed"
    )
    gc_freeze: bool = _opt(True, "freeze the imported app's objects before forking workers")
    gc_thresholds: tuple[int, ...] = _opt(
        (), "gc.set_threshold values, e.g. '50000,20,20'; empty keeps Python's defaults"
    )
    reload: bool = _opt(False, "restart on code changes (development only)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ServeOptions:
        """Read every field from `ALOFT_<NAME>`; raise SettingsError listing every bad value."""
        from aloft.runtime.settings import load_settings

        return load_settings(cls, prefix=ENV_PREFIX, environ=environ, secrets_dir=None)

    def to_env(self, *, server: bool = True) -> dict[str, str]:
        """The environment that makes `from_env` return these options (the inverse of it).

        The one builder of every target's ALOFT_* variables: containers, the Dockerfile and
        Kubernetes take all of them, a Lambda function (`server=False`) all but SERVER_ONLY.
        """
        env: dict[str, str] = {}
        for field in dataclasses.fields(self):
            if not server and field.name in SERVER_ONLY:
                continue
            value = getattr(self, field.name)
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, tuple):
                text = ",".join(str(v) for v in value)
            else:
                text = str(value)
            env[ENV_PREFIX + field.name.upper()] = text
        return env


def field_docs() -> dict[str, str]:
    """Each option's one-line description, for `aloft config show` and docs."""
    return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(ServeOptions)}
