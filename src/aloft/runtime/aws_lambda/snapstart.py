"""SnapStart: a snapshot of the initialized function, safe to restore many times over.

With SnapStart (python3.12+), Lambda initializes a published version once, snapshots its memory
and resumes every new execution environment from a copy. Whatever init made unique is then
shared by all of them: the state of random generators, aloft's request and trace id generator,
and connections (sockets to peers that have long forgotten them). So, in the form the Lambda
Python runtime provides (`snapshot_restore_py`, whose hooks awslambdaric runs):

- before the snapshot, aloft imports what the first request would import lazily, serves the
  warm requests the app asked for (`warm(path)`, opt-in), runs the app's `before_snapshot`
  hooks (last registered first, as Lambda orders them) and drops the connections it holds
  itself (secret fetchers' clients);
- after each restore, it re-seeds `random` (and numpy's global generator if loaded) and its id
  generator, then runs the app's `after_restore` hooks in order, where the app reopens its own.

    from aloft.runtime.aws_lambda import snapstart

    @snapstart.before_snapshot
    def close_pool() -> None:
        pool.close()

    @snapstart.after_restore
    def open_pool() -> None:
        pool.open()

Hooks register whether or not `snapshot_restore_py` is importable (locally it often is not);
`run_before_snapshot()` and `run_after_restore()` run them, as an emulator restoring a snapshot
does. Importing this module costs nothing more outside a SnapStart init: it hands its two
runners to the Lambda runtime only when `AWS_LAMBDA_INITIALIZATION_TYPE` is `snap-start`.
"""

from __future__ import annotations

import os
import sys

from aloft.runtime.aws_lambda.sources import EVENT_SOURCES

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])

INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"
# What the first request imports lazily; imported before the snapshot, no restore pays for it.
WARM_MODULES = (
    "json",
    "random",
    "aloft.runtime.aws_lambda.asgi_run",
    "aloft.runtime.aws_lambda.wsgi_run",
    "aloft.runtime.aws_lambda.sources._http",
    "aloft.runtime.aws_lambda.sources._records",
    *EVENT_SOURCES,
)

_before: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
_after: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
_warm_requests: list[tuple[str, str]] = []
restores = 0  # how many times this process was resumed from a snapshot


def before_snapshot(func: F, *args: Any, **kwargs: Any) -> F:
    """Run `func(*args, **kwargs)` before the snapshot (close what must not be copied)."""
    _before.append((func, args, kwargs))
    return func


def after_restore(func: F, *args: Any, **kwargs: Any) -> F:
    """Run `func(*args, **kwargs)` in every environment restored from the snapshot, after aloft
    has re-seeded randomness and ids (reopen connections, refresh what init cached)."""
    _after.append((func, args, kwargs))
    return func


def warm(path: str = "/", method: str = "GET") -> None:
    """Serve one request to `path` before the snapshot, through every aloft handler of this
    process, so the framework's first-request work (routing tables, serializers, thread pools)
    is in the snapshot rather than paid by each restored copy. Opt-in: the route runs app code.
    Warm requests are served before any before_snapshot hook, so those hooks can close what the
    requests opened."""
    _warm_requests.append((path, method))


def _serve_warm_request(path: str, method: str) -> None:
    from aloft.runtime.aws_lambda import environments

    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "snapstart.invalid", "user-agent": "aloft-snapstart-warm"},
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "aloft-snapstart-warm",
            },
            "requestId": "snapstart-warm",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }
    for handler in list(environments.handlers):
        if handler.app is not None:
            handler(event, _WarmContext())


class _WarmContext:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    aws_request_id = "snapstart-warm"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def run_before_snapshot() -> None:
    """Warm the request path (imports, then any warm requests), run the app's hooks (newest
    first, as Lambda orders them), drop aloft's connections."""
    _warm()
    for path, method in _warm_requests:
        _serve_warm_request(path, method)
    for func, args, kwargs in reversed(_before):
        func(*args, **kwargs)
    _drop_connections()
    import gc

    gc.collect()  # garbage need not be in every copy


def run_after_restore() -> None:
    """Make this copy unique (randomness, ids), then run the app's hooks in registration order."""
    global restores
    restores += 1
    _reseed()
    for func, args, kwargs in list(_after):
        func(*args, **kwargs)


def _warm() -> None:
    import importlib

    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # a module a later aloft moved: warming is best effort
            continue


def _drop_connections() -> None:
    """Close the clients aloft made at init (secret fetches); they reconnect when next used."""
    secrets = sys.modules.get("aloft.runtime.aws_lambda.secrets")
    clients: dict[str, Any] = getattr(secrets, "_clients", {})
    for client in clients.values():
        close = getattr(client, "close", None)
        if close is not None:
            close()
    clients.clear()


def _reseed() -> None:
    """Every generator that was seeded before the snapshot is seeded again from the OS."""
    random = sys.modules.get("random")
    if random is not None:
        random.seed()
    tracing = sys.modules.get("aloft.runtime.tracing")
    if tracing is not None:
        tracing.reseed_ids()
    numpy = sys.modules.get("numpy")
    legacy = getattr(getattr(numpy, "random", None), "seed", None)
    if legacy is not None:
        legacy()


def _hand_to_runtime() -> bool:
    """Give the two runners to the Lambda runtime's hook registry (what awslambdaric runs)."""
    if os.environ.get(INITIALIZATION_TYPE) != SNAP_START:
        return False
    try:
        import snapshot_restore_py  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return False
    snapshot_restore_py.register_before_snapshot(run_before_snapshot)
    snapshot_restore_py.register_after_restore(run_after_restore)
    return True


handed_to_runtime = _hand_to_runtime()
