"""LOG002 file-log-handler: logging to files inside the container."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.paths import on_local_disk, path_origin
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, argument, keyword

ID = "LOG002"

FILE_HANDLERS = frozenset(
    {
        "logging.FileHandler",
        "logging.handlers.RotatingFileHandler",
        "logging.handlers.TimedRotatingFileHandler",
        "logging.handlers.WatchedFileHandler",
    }
)


def check(src: PySource) -> Iterator[SourceHit]:
    if src.is_script:
        return  # a command-line tool's log file is on its user's machine
    for node in src.of_type(ast.Call, ast.Constant):
        if isinstance(node, ast.Call):
            name = src.call_name(node)
            if name in FILE_HANDLERS and not _opted_in(src, node, argument(node, 0, "filename")):
                yield SourceHit.at(
                    node, f"{name.rsplit('.', 1)[-1]} writes logs to a file in the container"
                )
            elif name == "logging.basicConfig" and not _opted_in(
                src, node, keyword(node, "filename")
            ):
                yield SourceHit.at(
                    node, "logging.basicConfig(filename=...) writes logs to a file in the container"
                )
        elif (
            isinstance(node, ast.Constant)
            and node.value in FILE_HANDLERS
            and src.dict_key_of(node) in ("class", "()")
        ):
            # dictConfig / Django LOGGING: {"class": "logging.handlers.RotatingFileHandler", ...}
            yield SourceHit.at(
                node, f"logging config uses {node.value}, writing logs to a file in the container"
            )


def _opted_in(src: PySource, call: ast.Call, path: ast.expr | None) -> bool:
    """A log file the operator asks for: its path comes from the environment, or the handler is
    only made under an `if` that tests that same path (`if log_file:` / `if conf.get(...):`).
    No path at all (basicConfig without filename) is not a file handler."""
    if path is None:
        return True
    origin, _ = path_origin(src, path, src.enclosing_function(call))
    if not on_local_disk(origin):
        return True  # from the environment, a parameter or config: the operator's choice
    wanted = {ast.dump(n) for n in ast.walk(path) if isinstance(n, (ast.Name, ast.Call))}
    parent = src.parent(call)
    while parent is not None:
        if isinstance(parent, ast.If) and any(ast.dump(n) in wanted for n in ast.walk(parent.test)):
            return True
        parent = src.parent(parent)
    return False
