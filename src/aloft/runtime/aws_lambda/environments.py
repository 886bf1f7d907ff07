"""The handlers of this execution environment, so the runtime can reach them all: to run their
shutdown hooks when Lambda stops the environment, and to warm them before a SnapStart snapshot."""

from __future__ import annotations

import time

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any, Protocol

    class Environment(Protocol):
        """What the runtime needs of a handler (LambdaHandler is one)."""

        app: Any

        def __call__(self, event: Any, context: Any) -> Any: ...

        def shutdown(self, timeout: float) -> None: ...


handlers: list[Environment] = []


def register(handler: Environment) -> None:
    if not handlers:
        import atexit

        atexit.register(shutdown_all)
    handlers.append(handler)


def shutdown_all() -> None:
    """Every handler's shutdown hooks, newest first, within about two seconds in all."""
    started = time.monotonic()
    for handler in reversed(handlers):
        handler.shutdown(max(0.1, 2.0 - (time.monotonic() - started)))
