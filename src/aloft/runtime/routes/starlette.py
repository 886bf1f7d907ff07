"""FastAPI and Starlette: the router records the matched route in the scope it was handed.

Inside a `Mount` (a sub-app, or `routes=[...]`), the scope's route is the innermost one and its
root path has grown by the prefix actually matched (`/t/acme`): the template of that prefix
(`/t/{tenant}`) is found by matching the path against the mounts again, as the router did.
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any


# id(route) -> (route, template) for plain routes: the template never changes, and looking it up
# is cheaper than asking the route again on every request. The route is kept with its template so
# a recycled id is never mistaken for it.
_plain: dict[int, tuple[Any, str]] = {}
_MAX_DEPTH = 16  # mounts inside mounts


def resolve(scope: MutableMapping[str, Any], root_path: str) -> str | None:
    route = scope.get("route")
    if route is None:
        return None
    known = _plain.get(id(route))
    if known is not None and known[0] is route and scope.get("root_path", "") == root_path:
        return known[1]
    # Mounts append their matched prefix to root_path; the part we did not start with is theirs.
    mounted = str(scope.get("root_path", ""))[len(root_path) :]
    prefix = ""
    if mounted:
        found = _mount_template(scope, root_path, mounted)
        if found is None:
            return None  # never the actual prefix: it may hold ids, and labels must stay bounded
        prefix = found
    if _is_mount(route):
        return prefix + "/{path}"
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if template is None:
        return None
    if not mounted and len(_plain) < 10_000:
        _plain[id(route)] = (route, str(template))
    return prefix + str(template)


def _is_mount(route: Any) -> bool:
    return type(route).__name__ in ("Mount", "Host") or (
        hasattr(route, "routes") and not hasattr(route, "endpoint")
    )


def _mount_template(scope: MutableMapping[str, Any], root_path: str, mounted: str) -> str | None:
    """The template of the mounts that matched `mounted`, or None if they cannot be told."""
    router = scope.get("router")
    routes = getattr(router, "routes", None)
    if routes is None:
        return None
    # The scope as the outermost router saw it; matching only reads it.
    probe: dict[str, Any] = {
        "type": "http",
        "path": scope["path"],
        "root_path": root_path,
        "headers": scope.get("headers", []),
        "path_params": {},
    }
    want = root_path + mounted
    template = ""
    for _ in range(_MAX_DEPTH):
        if probe["root_path"] == want:
            return template
        for candidate in routes:
            if not _is_mount(candidate):
                continue
            match, child = candidate.matches(probe)
            if match.name == "FULL":
                break
        else:
            return None
        if type(candidate).__name__ != "Host":
            format_ = str(getattr(candidate, "path_format", ""))
            if not format_.endswith("/{path}"):
                return None
            template += format_[: -len("/{path}")]
        probe.update(child)
        routes = getattr(candidate, "routes", None) or []
    return None
