"""Flask: a first before-request hook notes the matched URL rule in the WSGI environ.

Flask clears its request object from the environ when the request ends, so the rule has to be
noted while the request is live. The hook runs even when routing failed (rule is None then).
"""

from __future__ import annotations

from aloft.runtime.routes import braces

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any

KEY = "aloft.route"


def prepare(app: Any) -> None:
    from flask import request

    def note_route() -> None:
        rule = request.url_rule
        if rule is not None:
            request.environ[KEY] = braces(str(rule.rule))

    hooks = app.before_request_funcs.setdefault(None, [])
    if not any(getattr(h, "__name__", "") == "aloft_note_route" for h in hooks):
        note_route.__name__ = "aloft_note_route"
        hooks.insert(0, note_route)


def resolve(environ: MutableMapping[str, Any], root_path: str) -> str | None:
    route = environ.get(KEY)
    return str(route) if route is not None else None
