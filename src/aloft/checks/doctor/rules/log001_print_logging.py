"""LOG001 print-logging: print() used for logging in service code; fixable to a module logger."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import Function, PySource

ID = "LOG001"
CLI_DECORATORS = ("command", "group", "callback")


def check(src: PySource) -> Iterator[SourceHit]:
    for call in _prints(src):
        yield SourceHit.at(call, "print() used for logging")


def _prints(src: PySource) -> Iterator[ast.Call]:
    if src.is_script or "print" in src.constants or "print" in src.imports:
        return
    # A command's output is its interface: main(), click/typer commands, whatever reads sys.argv,
    # and the module's functions they call (a print_help() called from main()).
    roots = [f for f in src.functions if f.name == "main" or _is_cli(f.node) or _reads_argv(src, f)]
    cli = {id(f.node) for f in src.reachable(roots)}
    for node in src.of_type(ast.Call):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
        ):
            if src.in_main_guard(node):
                continue
            function = src.enclosing_function(node)
            if function is not None and (
                id(function.node) in cli or "print" in src.local_names(function)
            ):
                continue
            if _writes_to_file(node):
                continue
            yield node


def _is_cli(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in CLI_DECORATORS:
            return True
    return False


def _reads_argv(src: PySource, function: Function) -> bool:
    if src.imports.get("sys") != "sys" and "sys.argv" not in src.imports.values():
        return False
    return any(
        isinstance(node, ast.Attribute) and src.qualname(node) == "sys.argv"
        for node in src.body_nodes(function.node)
    )


def _writes_to_file(call: ast.Call) -> bool:
    """print(..., file=fh) to something other than stdout/stderr is output, not logging."""
    for kw in call.keywords:
        if kw.arg == "file":
            return not (
                isinstance(kw.value, ast.Attribute) and kw.value.attr in ("stdout", "stderr")
            )
    return False


# ---- the fix ----------------------------------------------------------------------------------


def fix(src: PySource, lines: set[int]) -> str | None:
    """Rewrite simple print() calls on `lines` as logger calls; leave anything unusual alone."""
    edits: list[tuple[int, int, int, int, str]] = []
    logger = _existing_logger(src) or "logger"
    for call in _prints(src):
        if call.lineno not in lines:
            continue
        replacement = _as_logger_call(src, call, logger)
        if replacement is not None:
            edits.append(
                (
                    call.lineno,
                    call.col_offset,
                    call.end_lineno or call.lineno,
                    call.end_col_offset or 0,
                    replacement,
                )
            )
    if not edits:
        return None
    text_lines = src.text.splitlines(keepends=True)
    for start_line, start_col, end_line, end_col, new in sorted(edits, reverse=True):
        head = text_lines[start_line - 1]
        tail = text_lines[end_line - 1]
        prefix = head.encode()[:start_col].decode()
        suffix = tail.encode()[end_col:].decode()
        text_lines[start_line - 1 : end_line] = [prefix + new + suffix]
    text = "".join(text_lines)
    if _existing_logger(src) is None:
        text = _add_logger(src, text)
    return text


def _as_logger_call(src: PySource, call: ast.Call, logger: str) -> str | None:
    level = "info"
    for kw in call.keywords:
        if kw.arg == "file" and isinstance(kw.value, ast.Attribute) and kw.value.attr == "stderr":
            level = "warning"
        elif kw.arg not in ("file", "flush"):
            return None  # sep=/end= change the text; leave it to a person
    if any(isinstance(a, ast.Starred) for a in call.args) or not call.args:
        return None
    parts = [ast.get_source_segment(src.text, a) for a in call.args]
    if any(p is None or "\n" in p for p in parts):
        return None
    if len(parts) == 1:
        return f"{logger}.{level}({parts[0]})"
    template = " ".join(["%s"] * len(parts))
    return f'{logger}.{level}("{template}", {", ".join(p for p in parts if p)})'


def _existing_logger(src: PySource) -> str | None:
    for name, value in src.constants.items():
        if isinstance(value, ast.Call) and src.call_name(value) in (
            "logging.getLogger",
            "structlog.get_logger",
        ):
            return name
    return None


def _add_logger(src: PySource, text: str) -> str:
    """Insert `import logging` (if missing) and a module logger after the last top-level import."""
    body = src.tree.body
    last_import = 0
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            last_import = stmt.end_lineno or stmt.lineno
        elif not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            break
    if (
        last_import == 0
        and body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
    ):
        last_import = body[0].end_lineno or 1  # after the docstring
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    added = []
    if src.imports.get("logging") != "logging":
        added.append("import logging\n")
    added.append("\nlogger = logging.getLogger(__name__)\n")
    if last_import < len(lines) and lines[last_import].strip():
        added.append("\n\n")
    lines[last_import:last_import] = added
    return "".join(lines)
