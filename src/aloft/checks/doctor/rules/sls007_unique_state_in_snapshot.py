"""SLS007 unique-state-in-snapshot: randomness seeded, unique values drawn or connections opened
at import, in the code of a function with SnapStart.

With snap_start, Lambda imports a function once, snapshots it and resumes every execution
environment from a copy: a generator seeded at import then gives every copy the same sequence, a
uuid drawn at import is the same in every copy, and a connection opened at import is a socket the
peer closed long ago. Only the modules a SnapStart function imports are checked: its handler's
module (or the app's, for functions that serve [tool.aloft] app) and the project's own modules it
imports, directly or not, at import time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource

if TYPE_CHECKING:
    from aloft.checks.doctor.engine import ProjectIndex

ID = "SLS007"

# Calls whose result is the same in every restored copy when made at import.
SEEDED = {
    "random.seed": "seeds randomness",
    "random.Random": "makes a seeded random generator",
    "numpy.random.seed": "seeds randomness",
    "numpy.random.default_rng": "makes a seeded random generator",
    "numpy.random.RandomState": "makes a seeded random generator",
    "uuid.uuid1": "draws a unique id",
    "uuid.uuid4": "draws a unique id",
    "secrets.token_bytes": "draws a random token",
    "secrets.token_hex": "draws a random token",
    "secrets.token_urlsafe": "draws a random token",
    "os.urandom": "draws random bytes",
}
# Calls that open a connection when they are made (lazy clients such as redis.Redis,
# sqlalchemy.create_engine or boto3.client connect on first use and are left out).
CONNECTING = frozenset(
    {
        "socket.create_connection",
        "psycopg.connect",
        "psycopg2.connect",
        "psycopg_pool.ConnectionPool",
        "pymysql.connect",
        "MySQLdb.connect",
        "mysql.connector.connect",
        "pymssql.connect",
        "pyodbc.connect",
        "oracledb.connect",
        "cx_Oracle.connect",
        "pymongo.MongoClient",
        "kafka.KafkaProducer",
        "kafka.KafkaConsumer",
        "pika.BlockingConnection",
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "ftplib.FTP",
    }
)

RESTORE_HOOKS = frozenset(
    {
        "aloft.runtime.aws_lambda.snapstart.after_restore",
        "snapshot_restore_py.register_after_restore",
    }
)


def check_project(index: ProjectIndex) -> Iterator[tuple[str, SourceHit]]:
    roots = _snap_start_modules(index)
    for name in sorted(_imported_closure(index, roots)):
        facts = index.modules[name]
        text = index.read(facts.rel)
        if text is None:
            continue
        try:
            tree = ast.parse(text, filename=facts.rel)
        except (SyntaxError, ValueError):  # reported by SRC001 already
            continue
        src = PySource(facts.rel, text, tree)
        if _handles_restores(src):
            continue
        for node in _import_time_calls(src):
            hit = _hit(src, node)
            if hit is not None:
                yield facts.rel, hit


def _hit(src: PySource, call: ast.Call) -> SourceHit | None:
    name = src.call_name(call) or ""
    if name in SEEDED:
        return SourceHit.at(
            call,
            f"{name}() at import {SEEDED[name]} that every SnapStart copy shares",
        )
    if name in CONNECTING:
        return SourceHit.at(
            call,
            f"{name}() at import opens a connection that a SnapStart snapshot freezes",
        )
    return None


def _handles_restores(src: PySource) -> bool:
    """A module that registers an after-restore hook re-makes its own state: trust it."""
    names = (src.qualname(node) for node in src.of_type(ast.Name, ast.Attribute))
    return any(name in RESTORE_HOOKS for name in names)


def _snap_start_modules(index: ProjectIndex) -> set[str]:
    """The modules Lambda imports first for each function with snap_start."""
    from aloft.config import load_config
    from aloft.exceptions import ConfigError
    from aloft.serverless.model import build_stack

    try:
        resolved = load_config(index.root)
        stack = build_stack(resolved)
    except ConfigError:  # no project config, or a config `aloft lambda` reports on itself
        return set()
    app = resolved.config.serve.app
    modules: set[str] = set()
    for fn in stack.functions:
        if not fn.snap_start:
            continue
        if fn.handler.startswith("aloft.runtime."):
            modules.add(app.partition(":")[0])
        else:
            modules.add(fn.handler.rpartition(".")[0])
    return modules


def _imported_closure(index: ProjectIndex, roots: set[str]) -> set[str]:
    """The project's modules among `roots` and what they import at import time, transitively."""
    seen: set[str] = set()
    todo = [m for m in roots if m in index.modules]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for _, _, imported in index.modules[name].imports:
            if imported in index.modules and imported not in seen:
                todo.append(imported)
    return seen


def _import_time_calls(src: PySource) -> Iterator[ast.Call]:
    """Calls made when the module is imported: module level and class bodies, not inside
    functions or lambdas (which run later), not under a main guard."""
    stack: list[ast.AST] = [s for s in src.tree.body if not src.in_main_guard(s)]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for default in (*node.args.defaults, *node.args.kw_defaults):
                if default is not None:  # defaults are evaluated at definition, at import
                    stack.append(default)
            stack.extend(getattr(node, "decorator_list", []))
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))
