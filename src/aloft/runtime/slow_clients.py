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

import contextlib
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
        connections, cap = self.connections, self.limits.max_connections
        if len(connections) > cap and sum(not c.transport.is_closing() for c in connections) > cap:
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

    def handle_websocket_upgrade(self, *args: Any) -> Any:
        self._cancel()  # the connection becomes a WebSocket: no longer ours to time
        self.waiting_since = None
        return super().handle_websocket_upgrade(*args)  # type: ignore[misc]

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
        # A closed connection stays in the set until the loop reports it lost: skip those.
        waiting = [
            c
            for c in self.connections
            if getattr(c, "waiting_since", None) is not None and not c.transport.is_closing()
        ]
        if waiting:
            oldest = min(waiting, key=lambda c: c.waiting_since)
            oldest.waiting_since = None
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


# Bodies up to this size are read in full by the worker's poller before a thread is given the
# request, so a promised body never sent holds no thread; larger ones are read by the thread,
# with `body_timeout` between reads.
_BUFFERED_BODY = 64 * 1024
_MAX_HEAD = 64 * 1024 + 8190  # beyond gunicorn's own limits: its parser answers the error
_CONTENT_LENGTH = b"\r\ncontent-length:"


class _Incoming:
    """A connection whose request is still arriving, read by the poller without a thread."""

    __slots__ = ("body_end", "buf", "deadline", "registered", "since")

    def __init__(self, deadline: float) -> None:
        self.registered = False  # with the poller, waiting for more
        self.buf = bytearray()
        self.deadline = deadline
        self.since = time.monotonic()
        self.body_end = -1  # once the head is in: where the buffered body ends


class GthreadGuard:
    """Mixed into gunicorn's threaded worker: a request reaches a thread only once its head (and
    a small body) has arrived, so slow clients wait in the poller, and the threads stay free for
    the requests (and probes) that are ready."""

    limits: ClientTimeouts
    # gunicorn's, declared for the type checker.
    poller: Any
    keepalived_conns: Any
    nr_conns: int
    cfg: Any

    def init_process(self) -> None:
        # `limits` is set by the worker class before this runs (the server's, from its options).
        self.incoming: dict[Any, _Incoming] = {}
        super().init_process()  # type: ignore[misc]

    def enqueue_req(self, conn: Any) -> None:
        if self.cfg.is_ssl or (conn.parser is not None and conn.parser.unreader.buf.getvalue()):
            # TLS must be unwrapped by the thread first; a pipelined request is already here.
            super().enqueue_req(conn)  # type: ignore[misc]
            return
        if conn.sock.getblocking():  # no system call; gunicorn has usually done it already
            conn.sock.setblocking(False)
        entry = self.incoming[conn] = _Incoming(time.monotonic() + self.limits.header_timeout)
        # Usually the whole request is there already (a kept-alive connection turned readable):
        # then it goes to a thread now, without another turn of the poller.
        if self._receive(conn, entry):
            import selectors
            from functools import partial

            entry.registered = True
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))

    def _readable(self, conn: Any, _sock: Any) -> None:
        entry = self.incoming.get(conn)
        if entry is not None:
            self._receive(conn, entry)

    def _receive(self, conn: Any, entry: _Incoming) -> bool:
        """Read what the client sent; True while more of the request is still to come."""
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            data = b""
        if not data:
            self._close_incoming(conn)
            return False
        buf = entry.buf
        buf += data
        if entry.body_end < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) < _MAX_HEAD:
                    return True
                self._dispatch(conn, entry)  # too long a head: gunicorn's parser answers it
                return False
            entry.body_end = end + 4 + _small_body_length(bytes(buf[: end + 2]))
        if len(buf) >= entry.body_end:
            self._dispatch(conn, entry)
            return False
        entry.deadline = time.monotonic() + self.limits.body_timeout
        return True

    def _dispatch(self, conn: Any, entry: _Incoming) -> None:
        if entry.registered:
            self.poller.unregister(conn.sock)
        del self.incoming[conn]
        conn.aloft_received = bytes(entry.buf)
        conn.data_ready = True
        super().enqueue_req(conn)  # type: ignore[misc]

    def _close_incoming(self, conn: Any) -> None:
        entry = self.incoming.pop(conn, None)
        if entry is not None and entry.registered:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        conn.close()

    def handle(self, conn: Any) -> Any:
        """In a thread: what the poller read goes back in front of the socket's next bytes."""
        received = getattr(conn, "aloft_received", None)
        if received is not None:
            conn.aloft_received = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(received)
        if conn.parser is not None and not isinstance(conn.parser.unreader.sock, _TimedSocket):
            conn.parser.unreader.sock = _TimedSocket(conn.sock, self.limits.body_timeout)
        return super().handle(conn)  # type: ignore[misc]

    def accept(self, listener: Any) -> None:
        super().accept(listener)  # type: ignore[misc]
        if self.nr_conns > self.limits.max_connections:
            self._evict()

    def _evict(self) -> None:
        """Close the connection that has waited longest on its client."""
        oldest = min(self.incoming.items(), key=lambda item: item[1].since, default=None)
        idle = self.keepalived_conns[0] if self.keepalived_conns else None
        # A kept-alive connection's timeout is when it went idle plus the keep-alive.
        if idle is not None and (
            oldest is None or idle.timeout - float(self.cfg.keepalive) < oldest[1].since
        ):
            self.keepalived_conns.popleft()
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(idle.sock)
            self.nr_conns -= 1
            idle.close()
        elif oldest is not None:
            self._close_incoming(oldest[0])

    def murder_keepalived(self, force: bool = False) -> None:
        super().murder_keepalived(force)  # type: ignore[misc]
        now = time.monotonic()
        for conn in [c for c, e in self.incoming.items() if force or e.deadline <= now]:
            self._close_incoming(conn)


def _small_body_length(head: bytes) -> int:
    """The Content-Length of a request head when small enough to buffer, else 0."""
    at = head.lower().find(_CONTENT_LENGTH)
    if at < 0:
        return 0
    value = head[at + len(_CONTENT_LENGTH) :].split(b"\r\n", 1)[0].strip()
    if not value.isdigit():
        return 0  # malformed: gunicorn's parser answers it
    length = int(value)
    return length if length <= _BUFFERED_BODY else 0


class _TimedSocket:
    """The socket as gunicorn's parser reads it in a thread: a read that waits longer than
    `timeout` for the client ends the request (as a client disconnection, quietly)."""

    def __init__(self, sock: Any, timeout: float) -> None:
        self._sock = sock
        self._timeout = timeout

    def recv(self, size: int) -> bytes:
        import select

        ready, _, _ = select.select([self._sock], [], [], self._timeout)
        if not ready:
            from gunicorn.http.errors import NoMoreData

            raise NoMoreData(b"")
        return bytes(self._sock.recv(size))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)
