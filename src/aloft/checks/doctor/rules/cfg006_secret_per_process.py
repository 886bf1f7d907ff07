"""CFG006 secret-per-process: a signing key generated at start-up, so each process has its own."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import secret_like
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, target_name

ID = "CFG006"
DEV_CLASS = re.compile(r"(?i)(test|dev|local|debug)")

RANDOM_CALLS = frozenset(
    {
        "secrets.token_hex",
        "secrets.token_urlsafe",
        "secrets.token_bytes",
        "secrets.randbits",
        "os.urandom",
        "uuid.uuid4",
        "uuid.uuid1",
        "random.random",
        "random.getrandbits",
        "random.choice",
        "random.choices",
        "django.core.management.utils.get_random_secret_key",
        "django.utils.crypto.get_random_string",
        "cryptography.fernet.Fernet.generate_key",
        "Fernet.generate_key",
    }
)


def check(src: PySource) -> Iterator[SourceHit]:
    for node in src.of_type(ast.Assign, ast.AnnAssign):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        value = node.value
        if value is None or src.enclosing_function(node) is not None:
            continue  # only what runs once per process: module and class level
        owner = src.parent(node)
        if isinstance(owner, ast.ClassDef) and DEV_CLASS.search(owner.name):
            continue  # TestingConfig, DevelopmentSettings: one process, thrown away
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [target_name(t) for t in targets]
        if not any(secret_like(n) for n in names):
            continue
        call = _random_call(src, value)
        if call is not None:
            name = next(n for n in names if secret_like(n))
            yield SourceHit.at(
                call,
                f"{name} comes from {src.call_name(call)}() at start-up: each process and "
                "replica signs with a different key",
            )


def _random_call(src: PySource, value: ast.AST) -> ast.Call | None:
    """A random-value call anywhere in the expression (also as an `or`/default fallback)."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and src.call_name(node) in RANDOM_CALLS:
            return node
    return None
