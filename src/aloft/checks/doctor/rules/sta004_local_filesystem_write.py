"""STA004 local-filesystem-write: files, uploads and SQLite databases on the container's disk."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import configures_backend, is_env_lookup
from aloft.checks.doctor.paths import on_local_disk, path_origin
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, argument, const_str

ID = "STA004"
FILE_STORAGE = "django.core.files.storage.FileSystemStorage"

OPENERS = frozenset({"open", "io.open", "codecs.open"})
DB_OPENERS = frozenset({"sqlite3.connect", "shelve.open", "dbm.open"})
COPIES = frozenset(
    {"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "shutil.copytree"}
)
SAVE_METHODS = frozenset(
    {"save", "to_csv", "to_parquet", "to_json", "to_excel", "to_pickle", "savefig", "dump_to"}
)


def check(src: PySource) -> Iterator[SourceHit]:
    if src.is_script:
        return
    for node in src.of_type(ast.Constant, ast.Call):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if (
                _sqlite_url(node.value)
                and not is_env_lookup(src, src.parent(node))
                and not _compared(src, node)
            ):
                yield SourceHit.at(node, "SQLite database file on the container's disk")
            elif node.value == "django.db.backends.sqlite3" and src.is_settings:
                yield SourceHit.at(node, "Django SQLite database on the container's disk")
            elif (
                node.value == FILE_STORAGE
                and src.is_settings
                and src.dict_key_of(node) in ("BACKEND", None)
                and configures_backend(src, node, "DEFAULT_FILE_STORAGE")
            ):
                yield SourceHit.at(
                    node, "uploads are stored by FileSystemStorage on the container's disk"
                )
            continue
        if not isinstance(node, ast.Call) or src.in_main_guard(node):
            continue
        if src.call_name(node) in (FILE_STORAGE, "FileSystemStorage") and not _env_location(
            src, node
        ):
            yield SourceHit.at(node, "FileSystemStorage() keeps uploads on the container's disk")
            continue
        target, what = _written_path(src, node)
        if target is None:
            continue
        function = src.enclosing_function(node)
        origin, text = path_origin(src, target, function)
        if origin == "temp" and _shared_temp(src, text):
            yield SourceHit.at(
                node,
                f"{what} writes the fixed path {text!r}: shared by this pod's workers only, "
                "while every other replica has its own",
            )
        elif on_local_disk(origin):
            where = (
                f" {text!r}"
                if origin == "literal" and text != "."
                else " in the source tree"
                if origin == "source"
                else ""
            )
            yield SourceHit.at(node, f"{what} writes to the local disk{where}, outside a temp dir")


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


def _shared_temp(src: PySource, text: str) -> bool:
    """A fixed, named file under /tmp that the module names as a well-known place (a module
    constant, or the same path used again): a hand-off between processes, not scratch space."""
    if not text.startswith(("/tmp/", "/var/tmp/")) or len(text.rstrip("/").split("/")) < 3:
        return False
    uses = [n for n in src.of_type(ast.Constant) if n.value == text]
    named = any(const_str(v) == text for v in src.constants.values())
    return named or len(uses) >= 2


def _env_location(src: PySource, call: ast.Call) -> bool:
    location = argument(call, 0, "location")
    origin, _ = path_origin(src, location, src.enclosing_function(call))
    return location is not None and origin in ("env", "temp")


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
