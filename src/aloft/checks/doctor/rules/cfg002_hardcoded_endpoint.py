"""CFG002 hardcoded-endpoint: database/cache/broker DSNs, internal URLs and client hosts in code."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import CLIENT_CONSTRUCTORS, is_default, is_env_lookup
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, const_str, target_name

ID = "CFG002"

DSN = re.compile(
    r"^(postgres(ql)?|mysql|mariadb|redis|rediss|amqps?|mongodb(\+srv)?|kafka|nats|memcached?|"
    r"mssql|oracle|cockroachdb)(\+[a-z0-9_]+)?://[^\s]+$",
    re.IGNORECASE,
)
INTERNAL_URL = re.compile(
    r"^(https?|wss?|grpc)://(localhost|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|"
    r"172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|[a-z0-9.-]+\.(internal|local|lan|svc|cluster\.local))([:/?#]|$)",
    re.IGNORECASE,
)
LOOPBACK_URL = re.compile(r"^[a-z]+://(localhost|127\.\d+\.\d+\.\d+|\[::1\])([:/?#]|$)", re.I)
# Clients of backing services whose host= names where the service runs.
CLIENTS = CLIENT_CONSTRUCTORS | {
    "pika.ConnectionParameters",
    "smtplib.SMTP",
    "smtplib.SMTP_SSL",
    "ldap3.Server",
    "pymemcache.client.base.Client",
    "cassandra.cluster.Cluster",
    "nats.connect",
}
ENDPOINT_NAME = re.compile(r"(?i)(url|uri|endpoint|host|dsn|address|addr|server|base)s?$")
BIND_ADDRESSES = frozenset({"0.0.0.0", "::", "", "127.0.0.1", "localhost", "::1"})
SERVER_CALLS = frozenset(
    {"run", "serve", "run_app", "run_simple", "make_server", "bind", "listen", "Config"}
)


def check(src: PySource) -> Iterator[SourceHit]:
    for node in src.of_type(ast.Constant, ast.Call):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            parent = src.parent(node)
            # The cheap shape test first: most string constants are neither a DSN nor a URL.
            if not (DSN.match(node.value) or INTERNAL_URL.match(node.value)):
                continue
            if (
                id(node) in src.docstrings
                or is_env_lookup(src, parent)
                or is_default(src, node)
                or _overridden_later(src, node, parent)
            ):
                continue
            if DSN.match(node.value):
                yield SourceHit.at(node, f"hard-coded connection URL {_scheme(node.value)}://...")
            elif INTERNAL_URL.match(node.value) and _used_as_endpoint(src, node, parent):
                yield SourceHit.at(node, f"hard-coded internal URL {node.value!r}")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in SERVER_CALLS or src.call_name(node) not in CLIENTS:
                continue  # only clients of backing services: an SSH tunnel's "localhost" is right
            for kw in node.keywords:
                host = const_str(kw.value)
                if (
                    kw.arg in ("host", "hostname")
                    and host is not None
                    and host not in BIND_ADDRESSES
                    and _internal_host(host)
                ):
                    yield SourceHit.at(kw.value, f"hard-coded host {host!r} passed to {called}()")
                elif kw.arg in ("host", "hostname") and host in ("localhost", "127.0.0.1", "::1"):
                    yield SourceHit.at(
                        kw.value, f"client host {host!r} only exists on a developer's machine"
                    )


def _internal_host(host: str) -> bool:
    """A host that differs between environments. A public HTTPS API base passed as a client's
    host (`host="https://eu.posthog.com"`) is the same in every environment."""
    if host.startswith(("https://", "http://")):
        return bool(INTERNAL_URL.match(host))
    return True


def _overridden_later(src: PySource, node: ast.AST, parent: ast.AST | None) -> bool:
    """`self.endpoint = "http://127.0.0.1:8765"` then `if settings.x: self.endpoint = ...`: a
    default the configuration replaces, bound again later in the same scope."""
    if not isinstance(parent, ast.Assign) or len(parent.targets) != 1:
        return False
    target = ast.dump(parent.targets[0])
    function = src.enclosing_function(parent)
    scope = src.body_nodes(function.node) if function else list(ast.walk(src.tree))
    return any(
        isinstance(other, ast.Assign)
        and other is not parent
        and other.lineno > parent.lineno
        and any(ast.dump(t) == target for t in other.targets)
        for other in scope
    )


def _scheme(url: str) -> str:
    return url.split("://", 1)[0]


def _used_as_endpoint(src: PySource, node: ast.AST, parent: ast.AST | None) -> bool:
    """An internal URL passed to a call or bound to an endpoint-like name (not a CORS origin).
    A loopback URL passed straight to a call is a sidecar, a tunnel or a local socket as often
    as not; it counts only when bound to an endpoint name that configuration should own."""
    loopback = bool(LOOPBACK_URL.match(const_str(node) or ""))
    if isinstance(parent, ast.Call):
        return not loopback
    if isinstance(parent, ast.keyword):
        name = (parent.arg or "").lower()
        return bool(name) and "origin" not in name and not loopback
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        names = [target_name(t) or "" for t in targets]
        return any(ENDPOINT_NAME.search(n) and "origin" not in n.lower() for n in names)
    return False
