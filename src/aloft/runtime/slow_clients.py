"""Slow clients (slowloris): read timeouts and a connection cap that keep probes answered.

A client may hold a connection open by sending nothing, half a request line, one header a
second, or a body it promised and never sends. Each of those is bounded here:

- the request head (line and headers) must arrive within `header_timeout` of its first byte (or
  of the connection, for a new one);
- a body in progress may pause at most `body_timeout` between reads (unless the app itself is
  not reading);
- at most `max_connections` connections per worker: past that, a new connection closes the one
  that has waited longest on its client (idle, slow head, stalled body) rather than being
  refused, so a kubelet's probe still gets through while an attacker's connections rotate out.

Imported only by the server glue (never by `import aloft.runtime`).
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ClientTimeouts:
    """The limits, as ServeOptions gives them."""

    def __init__(self, header_timeout: float, body_timeout: float, max_connections: int) -> None:
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.max_connections = max_connections


class _GuardedProtocol:
    """Mixed into uvicorn's HTTP protocol class (h11 or httptools): same attributes, same flow."""

    limits: ClientTimeouts
    # uvicorn's, declared for the type checker.
    connections: set[Any]
    cycle: Any
    transport: Any
    flow: Any
    loop: Any

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._timer: Any = None
        self._seen_cycle: Any = None
        self.waiting_since: float | None = time.monotonic()
        self._arm(self.limits.header_timeout, self._head_timed_out)
        if len(self.connections) > self.limits.max_connections:
            self._evict()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        self.waiting_since = None
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            # Bytes of a next request's head (or of one uvicorn rejected): the clock runs from
            # its first byte, not from each one.
            if self._timer is None and not self.transport.is_closing():
                self.waiting_since = time.monotonic()
                self._arm(self.limits.header_timeout, self._head_timed_out)
        elif cycle.more_body:
            self._seen_cycle = cycle
            self.waiting_since = time.monotonic()
            self._arm(self.limits.body_timeout, self._body_timed_out)
        else:
            self._seen_cycle = cycle
            self.waiting_since = None  # the app has the whole request: not waiting on the client
            self._cancel()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._cancel()
        self.waiting_since = time.monotonic()  # idle keep-alive: uvicorn's own timer runs

    def _arm(self, seconds: float, callback: Any) -> None:
        self._cancel()
        self._timer = self.loop.call_later(seconds, callback)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_timed_out(self) -> None:
        self._timer = None
        cycle = self.cycle
        if cycle is None or cycle.response_complete or cycle is self._seen_cycle:
            self.transport.close()  # no complete head within the limit

    def _body_timed_out(self) -> None:
        self._timer = None
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.more_body:
            return
        if self.flow.read_paused:  # the app is not reading: the client is not the slow one
            self._arm(self.limits.body_timeout, self._body_timed_out)
            return
        self.transport.close()  # the app's receive() gets http.disconnect

    def _evict(self) -> None:
        """Close the connection that has waited longest on its client (maybe this one)."""
        waiting = [c for c in self.connections if getattr(c, "waiting_since", None) is not None]
        if waiting:
            oldest = min(waiting, key=lambda c: c.waiting_since)
            oldest.transport.close()
        else:  # every other connection is busy with a request: this one waits its turn
            self.transport.close()


def uvicorn_protocol(limits: ClientTimeouts) -> type:
    """uvicorn's HTTP protocol class (httptools when installed, as 'auto' picks) with limits."""
    import importlib.util

    base: type
    if importlib.util.find_spec("httptools") is not None:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    else:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base
    return type("GuardedHTTPProtocol", (_GuardedProtocol, base), {"limits": limits})
