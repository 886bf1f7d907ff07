"""Liveness, readiness and the drain state.

Liveness says only that the process serves. Readiness runs the app's registered dependency
checks concurrently, each with a timeout, and turns 503 the moment the server starts draining,
so load balancers stop sending traffic before the listener closes.
"""

from __future__ import annotations

import json
import os
import threading
import time

from aloft.runtime import redact

# asyncio and concurrent.futures are imported when a probe first runs, not with the middleware.
TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Awaitable, Callable
    from typing import Any, TypeVar

    Check = Callable[[], Any | Awaitable[Any]]
    C = TypeVar("C", bound=Check)

_checks: dict[str, Check] = {}
_draining_here = threading.Event()
DRAIN_FLAG = "draining"


def add_readiness_check(name: str, check: Check) -> None:
    """Register `check` (sync or async); it fails by raising or returning False."""
    _checks[name] = check


def readiness_check(name: str) -> Callable[[C], C]:
    """Decorator form of add_readiness_check."""

    def register(func: C) -> C:
        add_readiness_check(name, func)
        return func

    return register


def registered_checks() -> dict[str, Check]:
    return dict(_checks)


# One byte of memory the pre-fork master shares with every worker it forks: set at SIGTERM, and
# read on every response (to send `Connection: close`) at the cost of an index, not a syscall.
_shared: Any = None


def share_drain_state() -> None:
    """Called by the master before it forks: workers inherit the shared drain byte."""
    global _shared
    if _shared is None:
        import mmap

        _shared = mmap.mmap(-1, 1)  # anonymous and MAP_SHARED: writes are seen across fork


def start_draining() -> None:
    """Mark this process as draining (the pre-fork master marks all workers via the run dir)."""
    _draining_here.set()
    if _shared is not None:
        _shared[0] = 1


def draining_now() -> bool:
    """Whether the server drains, by the shared byte alone: cheap enough for every response."""
    return _shared is not None and _shared[0] == 1


def draining() -> bool:
    if _draining_here.is_set() or draining_now():
        return True
    run_dir = os.environ.get("_ALOFT_RUN_DIR")
    return run_dir is not None and os.path.exists(os.path.join(run_dir, DRAIN_FLAG))


def _result(ok: bool, started: float, error: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 2)}
    if error:
        out["error"] = redact.redact(error)
    return out


def _failure(exc: BaseException, timeout: float) -> str:
    import asyncio
    import concurrent.futures

    if isinstance(exc, (asyncio.TimeoutError, concurrent.futures.TimeoutError, TimeoutError)):
        return f"timed out after {timeout:g}s"
    return f"{type(exc).__name__}: {exc}"[:300]


async def _one_async(name: str, check: Check, timeout: float) -> tuple[str, dict[str, Any]]:
    import asyncio
    import inspect

    started = time.perf_counter()
    try:
        if inspect.iscoroutinefunction(check):
            value = await asyncio.wait_for(check(), timeout)
        else:
            running = _submit(name, check)
            if running is None:
                return name, _result(False, started, _STILL_RUNNING)
            # shield: a timeout here must not cancel the check's future, which marks it pending
            outcome = asyncio.wrap_future(running)
            outcome.add_done_callback(_retrieve)
            value = await asyncio.wait_for(asyncio.shield(outcome), timeout)
            if inspect.isawaitable(value):
                value = await asyncio.wait_for(value, timeout)
    except Exception as exc:
        return name, _result(False, started, _failure(exc, timeout))
    return name, _result(
        value is not False, started, None if value is not False else "returned False"
    )


def _retrieve(outcome: Any) -> None:
    """Mark a late check's error as seen: it was already reported as a timeout."""
    if not outcome.cancelled():
        outcome.exception()


async def check_async(timeout: float) -> tuple[int, bytes]:
    """(status, JSON body) of the readiness probe, for ASGI servers."""
    import asyncio

    if draining():
        return _body(503, "draining", {})
    results = dict(await asyncio.gather(*(_one_async(n, c, timeout) for n, c in _checks.items())))
    return _verdict(results)


# Synchronous checks run on this process's own few threads, never on the event loop's default
# executor (which /metrics and the app share): a check that hangs holds one of these at most.
_POOL_SIZE = 4
_STILL_RUNNING = "still running since an earlier probe (not started again)"
_pool: _CheckPool | None = None
_pending: dict[str, concurrent.futures.Future[Any]] = {}
_pool_lock = threading.Lock()


class _CheckPool:
    """A bounded pool of daemon threads: a check that never returns cannot hold up exit, as it
    would with concurrent.futures' pool, whose threads are joined when the interpreter ends."""

    def __init__(self, size: int) -> None:
        import queue

        self._queue: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Check]] = (
            queue.SimpleQueue()
        )
        for i in range(size):
            threading.Thread(target=self._work, name=f"aloft-ready-{i}", daemon=True).start()

    def submit(self, check: Check) -> concurrent.futures.Future[Any]:
        import concurrent.futures

        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._queue.put((future, check))
        return future

    def _work(self) -> None:
        while True:
            future, check = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(check())
            except BaseException as exc:
                future.set_exception(exc)


def _submit(name: str, check: Check) -> concurrent.futures.Future[Any] | None:
    """Start `check` (named `name`) on the pool, or None while its previous run is pending."""
    global _pool
    with _pool_lock:
        previous = _pending.get(name)
        if previous is not None and not previous.done():
            return None
        if _pool is None:
            _pool = _CheckPool(_POOL_SIZE)
        future = _pending[name] = _pool.submit(check)
    return future


def check_sync(timeout: float) -> tuple[int, bytes]:
    """(status, JSON body) of the readiness probe, for WSGI servers (checks run in threads)."""
    if draining():
        return _body(503, "draining", {})
    if not _checks:
        return _verdict({})
    started = time.perf_counter()
    futures = {name: _submit(name, _awaiting(check)) for name, check in _checks.items()}
    results: dict[str, dict[str, Any]] = {}
    deadline = started + timeout
    for name, future in futures.items():
        if future is None:
            results[name] = _result(False, started, _STILL_RUNNING)
            continue
        try:
            value = future.result(timeout=max(deadline - time.perf_counter(), 0))
        except Exception as exc:
            results[name] = _result(False, started, _failure(exc, timeout))
            continue
        results[name] = _result(
            value is not False, started, None if value is not False else "returned False"
        )
    return _verdict(results)


def _awaiting(check: Check) -> Check:
    """`check` for a thread with no event loop: an awaitable it returns is run to its end."""

    def run() -> Any:
        import asyncio
        import inspect

        value = check()
        if inspect.isawaitable(value):
            return asyncio.run(_await(value))
        return value

    return run


async def _await(value: Awaitable[Any]) -> Any:
    return await value


def _verdict(results: dict[str, dict[str, Any]]) -> tuple[int, bytes]:
    """The probe's answer names each check and whether it passes, never why one fails: an error
    ("Error 111 connecting to 10.0.3.7:6379") can name internal addresses, and /readyz can be
    public (no admin port). The error goes to the log, once each time the failures change."""
    global _last_failures
    ok = all(r["ok"] for r in results.values())
    failures = {n: str(r.get("error", "")) for n, r in results.items() if not r["ok"]}
    if failures != _last_failures:
        import logging

        log = logging.getLogger("aloft.serve")
        for name, error in sorted(failures.items()):
            log.warning("readiness check %s failing: %s", name, error, extra={"check": name})
        _last_failures = failures
    public = {n: {"ok": bool(r["ok"])} for n, r in results.items()}
    return _body(200 if ok else 503, "ready" if ok else "not ready", public)


_last_failures: dict[str, str] = {}


def _body(status: int, state: str, results: dict[str, dict[str, Any]]) -> tuple[int, bytes]:
    failing = sorted(n for n, r in results.items() if not r["ok"])
    body: dict[str, Any] = {"status": state, "checks": results}
    if failing:
        body["failing"] = failing
    return status, json.dumps(body, separators=(",", ":")).encode()


LIVE_BODY = b'{"status":"ok"}'
