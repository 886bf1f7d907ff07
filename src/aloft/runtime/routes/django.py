"""Django: resolve the path against the URLconf again (Django keeps no trace in the environ)."""

from __future__ import annotations

from aloft.runtime.routes import braces

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any


def resolve(environ: MutableMapping[str, Any], root_path: str) -> str | None:
    from django.urls import Resolver404
    from django.urls import resolve as django_resolve

    path = environ.get("PATH_INFO") if "PATH_INFO" in environ else environ.get("path")
    try:
        match = django_resolve(str(path or "/"))
    except Resolver404:
        return None
    route = getattr(match, "route", None)
    if route is None:
        return None
    return "/" + braces(_named_groups(str(route))).lstrip("^").rstrip("$")


def _named_groups(route: str) -> str:
    """`re_path` patterns (joined across includes) with `(?P<name>...)` groups as `{name}`, so
    the label is the pattern's shape, never a regex a dashboard cannot read."""
    if "(?P<" not in route:
        return route
    import re

    return re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", r"{\1}", route)
