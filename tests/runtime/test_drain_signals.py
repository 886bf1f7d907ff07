"""The master's drain: which SIGTERMs start it, repeat it, or end it at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aloft.runtime import drain as drain_mod
from aloft.runtime import health


@pytest.fixture
def drain(tmp_path: Path) -> Iterator[drain_mod.Drain]:
    stops: list[float] = []
    d = drain_mod.Drain(str(tmp_path), delay=30.0, stop=lambda: stops.append(time.monotonic()))
    d.stops = stops  # type: ignore[attr-defined]
    yield d


@pytest.fixture(autouse=True)
def _not_draining_afterwards() -> Iterator[None]:
    yield
    health._draining_here.clear()  # this test process is not a server


def test_a_repeated_sigterm_during_the_delay_is_the_same_request(drain: drain_mod.Drain) -> None:
    assert drain.begin() is True  # the first starts the delay
    assert drain.begin() is True  # uv's forwarded copy: still draining
    assert drain.begin() is True  # a third at once is still the same burst
    assert (Path(drain.run_dir) / "draining").exists()
    assert not (Path(drain.run_dir) / drain_mod.STOPPING).exists()


def test_a_third_sigterm_after_the_grace_stops_now(drain: drain_mod.Drain) -> None:
    assert drain.begin() is True
    assert drain.begin() is True
    assert drain.started is not None
    drain.started -= drain_mod.TERM_GRACE + 0.1  # as if the grace had passed
    assert drain.begin() is False
    assert (Path(drain.run_dir) / drain_mod.STOPPING).exists()


def test_the_masters_own_sigterm_after_the_delay_stops(drain: drain_mod.Drain) -> None:
    assert drain.begin() is True
    drain._elapsed()
    assert drain.stops  # type: ignore[attr-defined]
    assert drain.begin() is False


def test_without_a_delay_sigterm_stops_at_once(tmp_path: Path) -> None:
    assert drain_mod.Drain(str(tmp_path), delay=0, stop=lambda: None).begin() is False
