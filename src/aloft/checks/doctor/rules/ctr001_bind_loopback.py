"""CTR001 bind-loopback: a server bound to 127.0.0.1/localhost, unreachable from outside its
container."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, argument, const_str

ID = "CTR001"

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
SERVER_RUNS = frozenset(
    {
        "uvicorn.run",
        "hypercorn.run",
        "waitress.serve",
        "aiohttp.web.run_app",
        "werkzeug.serving.run_simple",
        "wsgiref.simple_server.make_server",
    }
)
SOCKET_SERVERS = frozenset(
    {
        "http.server.HTTPServer",
        "http.server.ThreadingHTTPServer",
        "socketserver.TCPServer",
        "socketserver.ThreadingTCPServer",
    }
)


def check(src: PySource) -> Iterator[SourceHit]:
    for node in src.of_type(ast.Call):
        if not isinstance(node, ast.Call):
            continue
        name = src.call_name(node) or ""
        host: ast.expr | None = None
        if name in SERVER_RUNS or (
            isinstance(node.func, ast.Attribute) and node.func.attr == "run" and _is_app(node)
        ):
            host = (
                argument(node, 0, "host")
                if name in ("werkzeug.serving.run_simple", "wsgiref.simple_server.make_server")
                else _host_keyword(node)
            )
        elif name in SOCKET_SERVERS or (
            isinstance(node.func, ast.Attribute) and node.func.attr == "bind"
        ):
            address = node.args[0] if node.args else None
            if isinstance(address, ast.Tuple) and address.elts:
                host = address.elts[0]
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "Config"
            and name.startswith("uvicorn")
        ):
            host = _host_keyword(node)
        value = const_str(host)
        if value in LOOPBACK and host is not None:
            yield SourceHit.at(
                host, f"server binds to {value}, which nothing outside the container can reach"
            )


def _host_keyword(call: ast.Call) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in ("host", "bind"):
            return kw.value
    return None


def _is_app(call: ast.Call) -> bool:
    """app.run(host=...) of Flask/Sanic/Quart: a `run` with a host keyword."""
    return _host_keyword(call) is not None
