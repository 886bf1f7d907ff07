"""FastAPI and Starlette: the router records the matched route in the scope it was handed."""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any


def resolve(scope: MutableMapping[str, Any], root_path: str) -> str | None:
    route = scope.get("route")
    if route is None:
        return None
    # Mounts append their matched prefix to root_path; the part we did not start with is theirs.
    mounted = str(scope.get("root_path", ""))[len(root_path) :]
    if hasattr(route, "routes") or type(route).__name__ in ("Mount", "Host"):
        return mounted + "/{path}"
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if template is None:
        return None
    return mounted + str(template)
