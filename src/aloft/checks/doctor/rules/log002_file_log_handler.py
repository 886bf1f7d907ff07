"""LOG002 file-log-handler: logging to files inside the container."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.rules import Hit
from aloft.checks.doctor.source import PySource, keyword

ID = "LOG002"

FILE_HANDLERS = frozenset(
    {
        "logging.FileHandler",
        "logging.handlers.RotatingFileHandler",
        "logging.handlers.TimedRotatingFileHandler",
        "logging.handlers.WatchedFileHandler",
    }
)


def check(src: PySource) -> Iterator[Hit]:
    for node in src.of_type(ast.Call, ast.Constant):
        if isinstance(node, ast.Call):
            name = src.call_name(node)
            if name in FILE_HANDLERS:
                yield Hit.at(
                    node, f"{name.rsplit('.', 1)[-1]} writes logs to a file in the container"
                )
            elif name == "logging.basicConfig" and keyword(node, "filename") is not None:
                yield Hit.at(
                    node, "logging.basicConfig(filename=...) writes logs to a file in the container"
                )
        elif (
            isinstance(node, ast.Constant)
            and node.value in FILE_HANDLERS
            and src.dict_key_of(node) in ("class", "()")
        ):
            # dictConfig / Django LOGGING: {"class": "logging.handlers.RotatingFileHandler", ...}
            yield Hit.at(
                node, f"logging config uses {node.value}, writing logs to a file in the container"
            )
