"""STA003 lru-cache-per-user: a process-local cache keyed on a user, session or request."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import PySource

ID = "STA003"

CACHES = frozenset(
    {"functools.lru_cache", "functools.cache", "cachetools.cached", "cachetools.func.ttl_cache"}
)
PER_USER = re.compile(
    r"(?i)^(user|user_?id|username|email|account(_?id)?|session(_?id)?|token|request|customer(_?id)?|tenant(_?id)?|cart(_?id)?)$"
)


def check(src: PySource) -> Iterator[SourceHit]:
    for function in src.functions:
        decorator = next((d for d in function.node.decorator_list if _is_cache(src, d)), None)
        if decorator is None:
            continue
        keyed = [p for p in function.params if PER_USER.match(p)]
        if keyed:
            yield SourceHit.at(
                decorator,
                f"{function.name}() caches per-{keyed[0]} data in memory, apart on each replica",
            )


def _is_cache(src: PySource, decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return src.qualname(target) in CACHES
