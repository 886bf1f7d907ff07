"""STA004 local-filesystem-write: files, uploads and SQLite databases on the container's disk."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import is_env_lookup
from aloft.checks.doctor.paths import on_local_disk, path_origin
from aloft.checks.doctor.rules import Hit
from aloft.checks.doctor.source import PySource, argument, const_str

ID = "STA004"

OPENERS = frozenset({"open", "io.open", "codecs.open"})
DB_OPENERS = frozenset({"sqlite3.connect", "shelve.open", "dbm.open"})
COPIES = frozenset(
    {"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "shutil.copytree"}
)
SAVE_METHODS = frozenset(
    {"save", "to_csv", "to_parquet", "to_json", "to_excel", "to_pickle", "savefig", "dump_to"}
)


def check(src: PySource) -> Iterator[Hit]:
    if src.is_script:
        return
    for node in src.of_type(ast.Constant, ast.Call):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if (
                _sqlite_url(node.value)
                and not is_env_lookup(src, src.parent(node))
                and not _compared(src, node)
            ):
                yield Hit.at(node, "SQLite database file on the container's disk")
            elif node.value == "django.db.backends.sqlite3" and src.is_settings:
                yield Hit.at(node, "Django SQLite database on the container's disk")
            continue
        if not isinstance(node, ast.Call) or src.in_main_guard(node):
            continue
        target, what = _written_path(src, node)
        if target is None:
            continue
        function = src.enclosing_function(node)
        origin, text = path_origin(src, target, function)
        if on_local_disk(origin):
            where = (
                f" {text!r}"
                if origin == "literal" and text != "."
                else " in the source tree"
                if origin == "source"
                else ""
            )
            yield Hit.at(node, f"{what} writes to the local disk{where}, outside a temp dir")


def _written_path(src: PySource, call: ast.Call) -> tuple[ast.expr | None, str]:
    name = src.call_name(call) or ""
    func = call.func
    if name in OPENERS:
        mode = const_str(argument(call, 1, "mode")) or "r"
        if any(flag in mode for flag in "wax+"):
            return argument(call, 0, "file"), f"open(..., {mode!r})"
    elif name in DB_OPENERS:
        return argument(call, 0, "database"), f"{name}()"
    elif name in COPIES:
        return argument(call, 1, "dst"), f"{name}()"
    elif isinstance(func, ast.Attribute):
        if func.attr in ("write_text", "write_bytes", "mkdir", "touch"):
            return func.value, f".{func.attr}()"
        if func.attr == "open" and any(
            f in (const_str(argument(call, 0, "mode")) or "r") for f in "wax+"
        ):
            return func.value, ".open() for writing"
        if func.attr in SAVE_METHODS and call.args:
            return call.args[0], f".{func.attr}()"
    return None, ""


def _sqlite_url(text: str) -> bool:
    return (
        text.startswith("sqlite:///") and ":memory:" not in text and len(text) > len("sqlite:///")
    )


def _compared(src: PySource, node: ast.AST) -> bool:
    """`url.startswith("sqlite:////tmp")`, `url == "sqlite://..."`: a test of a URL, not one."""
    parent = src.parent(node)
    if isinstance(parent, ast.Compare):
        return True
    return (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Attribute)
        and parent.func.attr in ("startswith", "endswith", "removeprefix", "replace", "split")
    )
