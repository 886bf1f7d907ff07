"""ALC001 probe-path-shadowed: the app routes a path that aloft's runtime answers itself."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import ROUTE_DECORATORS, ROUTE_TABLES, PySource, const_str

ID = "ALC001"
REGISTRARS = frozenset({"add_url_rule", "add_api_route", "add_route", "add_websocket_route"})


def check(src: PySource) -> Iterator[SourceHit]:
    probes = {
        _normal(src.probes.health): "health_path",
        _normal(src.probes.ready): "ready_path",
        _normal(src.probes.metrics): "metrics_path",
    }
    decorators = {id(d) for f in src.functions for d in f.node.decorator_list}
    for node in src.of_type(ast.Call):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        path = const_str(node.args[0])
        if path is None or not _registers_route(src, node, id(node) in decorators):
            continue
        setting = probes.get(_normal(path))
        if setting:
            yield SourceHit.at(
                node.args[0],
                f"route {path!r} is aloft's {setting}; the runtime answers it before the app",
            )


def _registers_route(src: PySource, call: ast.Call, is_decorator: bool) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and (
        func.attr in REGISTRARS or (is_decorator and func.attr in ROUTE_DECORATORS)
    ):
        return True
    return src.call_name(call) in ROUTE_TABLES


def _normal(path: str) -> str:
    return "/" + path.strip("/^$")
