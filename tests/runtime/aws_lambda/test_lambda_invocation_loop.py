"""The Lambda handler's event loop: invocations start eagerly, yet behave as ordinary tasks."""

from __future__ import annotations

import asyncio
import contextvars
import gc
from typing import Any

import pytest

from aloft.runtime.aws_lambda.asgi_run import InvocationLoop

request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="none")


@pytest.fixture
def loop() -> Any:
    loop = InvocationLoop()
    yield loop
    loop.close()


def test_a_request_that_never_waits_runs_inside_a_real_task(loop: InvocationLoop) -> None:
    async def handler() -> tuple[bool, bool]:
        # asyncio.timeout (used by redis-py and httpx) needs the current task.
        async with asyncio.timeout(5):
            task = asyncio.current_task()
        return task is not None, asyncio.get_running_loop() is loop

    assert loop.run(handler()) == (True, True)
    assert asyncio.events._get_running_loop() is None  # nothing leaks out of the invocation


def test_a_request_that_waits_is_finished_by_the_loop(loop: InvocationLoop) -> None:
    async def handler() -> str:
        await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection(*server_address)
        writer.write(b"ping\n")
        answer = await reader.readline()
        writer.close()
        return answer.decode().strip()

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    server = loop.run_until_complete(asyncio.start_server(echo, "127.0.0.1", 0))
    server_address = server.sockets[0].getsockname()[:2]
    try:
        assert loop.run(handler()) == "ping"
        assert loop.run(handler()) == "ping"  # the loop is reusable after a suspended run
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())


def test_errors_and_cancellation_reach_the_caller(loop: InvocationLoop) -> None:
    async def fails() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        loop.run(fails())

    async def times_out() -> None:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(5)

    with pytest.raises(TimeoutError):
        loop.run(times_out())


def test_background_work_started_by_a_request_gets_its_turn(loop: InvocationLoop) -> None:
    ran: list[str] = []

    async def note() -> None:
        ran.append("background")

    async def handler() -> str:
        asyncio.get_running_loop().create_task(note())
        return "answered"

    assert loop.run(handler()) == "answered"
    assert ran == ["background"]


def test_context_variables_do_not_leak_between_invocations(loop: InvocationLoop) -> None:
    async def handler(value: str) -> str:
        before = request_var.get()
        request_var.set(value)
        return before

    assert loop.run(handler("a")) == "none"
    assert loop.run(handler("b")) == "none"
    assert request_var.get() == "none"


def test_timers_left_behind_are_cleaned_up_not_accumulated(loop: InvocationLoop) -> None:
    async def handler() -> None:
        async with asyncio.timeout(30):  # schedules a timer, cancelled on exit
            pass

    for _ in range(500):
        loop.run(handler())
    assert len(loop._scheduled) < 50  # type: ignore[attr-defined]


def test_async_generators_are_finalized_by_the_loop(loop: InvocationLoop) -> None:
    closed: list[bool] = []

    async def numbers() -> Any:
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)

    async def handler() -> int:
        async for n in numbers():
            return n  # leaves the generator suspended
        return 0

    assert loop.run(handler()) == 1
    gc.collect()
    loop.run_until_complete(asyncio.sleep(0))
    loop.run_until_complete(loop.shutdown_asyncgens())
    assert closed == [True]


def test_background_work_that_falls_due_runs_during_a_later_invocation(
    loop: InvocationLoop,
) -> None:
    ticks: list[int] = []

    async def ticker() -> None:  # what an app's lifespan may start: a periodic refresh
        while True:
            ticks.append(len(ticks))
            await asyncio.sleep(0.02)

    async def start() -> None:
        asyncio.get_running_loop().create_task(ticker())

    async def handler() -> str:
        return "answered"

    loop.run(start())
    first = len(ticks)
    import time

    time.sleep(0.05)  # the ticker's next wake-up is now due
    assert loop.run(handler()) == "answered"
    assert len(ticks) > first
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
