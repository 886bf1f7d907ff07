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


def start_draining() -> None:
    """Mark this process as draining (the pre-fork master marks all workers via the run dir)."""
    _draining_here.set()


def draining() -> bool:
    if _draining_here.is_set():
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
            value = await asyncio.wait_for(asyncio.to_thread(check), timeout)
            if inspect.isawaitable(value):
                value = await asyncio.wait_for(value, timeout)
    except Exception as exc:
        return name, _result(False, started, _failure(exc, timeout))
    return name, _result(
        value is not False, started, None if value is not False else "returned False"
    )


async def check_async(timeout: float) -> tuple[int, bytes]:
    """(status, JSON body) of the readiness probe, for ASGI servers."""
    import asyncio

    if draining():
        return _body(503, "draining", {})
    results = dict(await asyncio.gather(*(_one_async(n, c, timeout) for n, c in _checks.items())))
    return _verdict(results)


_pool: concurrent.futures.ThreadPoolExecutor | None = None


def check_sync(timeout: float) -> tuple[int, bytes]:
    """(status, JSON body) of the readiness probe, for WSGI servers (checks run in threads)."""
    import concurrent.futures

    global _pool
    if draining():
        return _body(503, "draining", {})
    if not _checks:
        return _verdict({})
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=8, thread_name_prefix="aloft-ready"
        )
    started = time.perf_counter()
    futures = {name: _pool.submit(_run_sync, check) for name, check in _checks.items()}
    results: dict[str, dict[str, Any]] = {}
    deadline = started + timeout
    for name, future in futures.items():
        try:
            value = future.result(timeout=max(deadline - time.perf_counter(), 0))
        except Exception as exc:
            results[name] = _result(False, started, _failure(exc, timeout))
            continue
        results[name] = _result(
            value is not False, started, None if value is not False else "returned False"
        )
    return _verdict(results)


def _run_sync(check: Check) -> Any:
    import asyncio
    import inspect

    value = check()
    if inspect.isawaitable(value):
        return asyncio.run(_await(value))
    return value


async def _await(value: Awaitable[Any]) -> Any:
    return await value


def _verdict(results: dict[str, dict[str, Any]]) -> tuple[int, bytes]:
    ok = all(r["ok"] for r in results.values())
    return _body(200 if ok else 503, "ready" if ok else "not ready", results)


def _body(status: int, state: str, results: dict[str, dict[str, Any]]) -> tuple[int, bytes]:
    failing = sorted(n for n, r in results.items() if not r["ok"])
    body: dict[str, Any] = {"status": state, "checks": results}
    if failing:
        body["failing"] = failing
    return status, json.dumps(body, separators=(",", ":")).encode()


LIVE_BODY = b'{"status":"ok"}'
