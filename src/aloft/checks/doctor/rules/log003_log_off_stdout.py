"""LOG003 log-off-stdout: handlers that ship logs themselves instead of writing to stdout."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource

ID = "LOG003"

NETWORK_HANDLERS = frozenset(
    {
        "logging.handlers.SysLogHandler",
        "logging.handlers.SMTPHandler",
        "logging.handlers.HTTPHandler",
        "logging.handlers.SocketHandler",
        "logging.handlers.DatagramHandler",
        "logging.handlers.NTEventLogHandler",
    }
)


def check(src: PySource) -> Iterator[SourceHit]:
    for node in src.of_type(ast.Call, ast.Constant):
        name = src.call_name(node) if isinstance(node, ast.Call) else None
        if name in NETWORK_HANDLERS:
            yield SourceHit.at(
                node, f"{name.rsplit('.', 1)[-1]} sends logs around the platform's log stream"
            )
        elif (
            isinstance(node, ast.Constant)
            and node.value in NETWORK_HANDLERS
            and src.dict_key_of(node) in ("class", "()")
        ):
            yield SourceHit.at(node, f"logging config uses {node.value}, bypassing stdout")
