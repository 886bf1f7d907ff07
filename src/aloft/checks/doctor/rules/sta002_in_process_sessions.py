"""STA002 in-process-sessions: sessions, caches and rate limits kept in memory or on local disk."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from aloft.checks.doctor.knowledge import configures_backend
from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource, const_str, keyword, target_name

ID = "STA002"

LOCAL_BACKENDS = {
    "django.contrib.sessions.backends.file": "Django file-based sessions",
    "django.core.cache.backends.locmem.LocMemCache": "Django local-memory cache",
    "django.core.cache.backends.filebased.FileBasedCache": "Django file-based cache",
}
LIMITERS = frozenset({"flask_limiter.Limiter", "slowapi.Limiter", "slowapi.extension.Limiter"})


def check(src: PySource) -> Iterator[SourceHit]:
    if src.is_dev_settings:
        return  # a test or developer setup runs one process
    for node in src.of_type(ast.Constant, ast.Assign, ast.keyword, ast.Call):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in LOCAL_BACKENDS
            and configures_backend(src, node, "SESSION_ENGINE")
        ):
            yield SourceHit.at(node, f"{LOCAL_BACKENDS[node.value]} keeps state on one replica")
        elif isinstance(node, (ast.Assign, ast.keyword)):
            names = (
                [target_name(t) for t in node.targets]
                if isinstance(node, ast.Assign)
                else [node.arg]
            )
            if "SESSION_TYPE" in names and const_str(node.value) in ("filesystem", "null"):
                yield SourceHit.at(
                    node,
                    f"Flask-Session type {const_str(node.value)!r} keeps sessions on one replica",
                )
        elif isinstance(node, ast.Call) and src.call_name(node) in LIMITERS:
            storage = const_str(keyword(node, "storage_uri"))
            if keyword(node, "storage_uri") is None or (storage or "").startswith("memory://"):
                yield SourceHit.at(
                    node, "rate limiter counts in process memory; each replica allows the full rate"
                )
