"""Route templates (`/items/{id}`) for metrics labels, one small module per framework.

The label must be the template, never the raw path, so the number of series stays bounded.
A resolver reads what the framework left in the ASGI scope or WSGI environ after it routed the
request; frameworks are recognised by the app object's class, never imported here.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping
    from typing import Any

    # Called after the app ran, with the ASGI scope or WSGI environ and its original root path.
    Resolver = Callable[[MutableMapping[str, Any], str], "str | None"]

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def braces(template: str) -> str:
    """Flask/Django `<int:id>` placeholders in the common `{id}` form."""
    return _CONVERTER.sub(r"{\1}", template)


def resolver_for(app: Any) -> Resolver | None:
    module = type(app).__module__.split(".", 1)[0]
    if module in ("fastapi", "starlette"):
        from aloft.runtime.routes import starlette

        return starlette.resolve
    if module == "flask":
        from aloft.runtime.routes import flask

        flask.prepare(app)
        return flask.resolve
    if module == "django":
        from aloft.runtime.routes import django

        return django.resolve
    return None
