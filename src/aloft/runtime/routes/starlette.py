"""FastAPI and Starlette: the router records the matched route in the scope it was handed."""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any


# id(route) -> (route, template) for plain routes: the template never changes, and looking it up
# is cheaper than asking the route again on every request. The route is kept with its template so
# a recycled id is never mistaken for it.
_plain: dict[int, tuple[Any, str]] = {}


def resolve(scope: MutableMapping[str, Any], root_path: str) -> str | None:
    route = scope.get("route")
    if route is None:
        return None
    known = _plain.get(id(route))
    if known is not None and known[0] is route and scope.get("root_path", "") == root_path:
        return known[1]
    # Mounts append their matched prefix to root_path; the part we did not start with is theirs.
    mounted = str(scope.get("root_path", ""))[len(root_path) :]
    if hasattr(route, "routes") or type(route).__name__ in ("Mount", "Host"):
        return mounted + "/{path}"
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if template is None:
        return None
    if not mounted and len(_plain) < 10_000:
        _plain[id(route)] = (route, str(template))
    return mounted + str(template)
