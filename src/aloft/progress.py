"""Progress of long work: what the library reports, and the three ways the CLI shows it.

A library stage takes a `Progress` (or any `Callable[[str], None]`; default: silent) and reports
steps (`progress("dependencies")`) and bytes (`with progress.transfer(label, size) as moved:
moved.advance(n)`). It never imports rich: only `LiveProgress` does, when a terminal shows it.

The CLI picks the sink with `for_output(output)`: live bars on a terminal's stderr (rich), plain
lines off a terminal (CI logs), nothing for `--output json` or ALOFT_NO_PROGRESS=1, so stdout
holds only the result.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import IO, Any


class Transfer:
    """The bytes of one transfer (a blob push) as they move."""

    def __init__(self) -> None:
        self.moved = 0

    def advance(self, nbytes: int) -> None:
        self.moved += nbytes


class Progress:
    """Silent: the default of every library call. The subclasses below show it.

    Callable with a step's message, so a stage typed `Callable[[str], None]` takes one as is.
    """

    def __call__(self, message: str) -> None:
        self.step(message)

    def step(self, message: str) -> None:
        """A new step began (or a step reports where it is)."""

    @contextlib.contextmanager
    def transfer(self, label: str, total: int) -> Iterator[Transfer]:
        """Bytes of `label` (`total` of them) moving; the body calls `advance(n)` as they go."""
        yield Transfer()

    def done(self) -> None:
        """The work ended (ok or not): settle the display."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.done()


SILENT = Progress()


class _Callback(Progress):
    """A plain `Callable[[str], None]` seen as a Progress: steps only."""

    def __init__(self, callback: Callable[[str], None]) -> None:
        self.callback = callback

    def step(self, message: str) -> None:
        self.callback(message)


def as_progress(sink: Callable[[str], None] | None) -> Progress:
    """What a stage calls on the `progress` it was given, whichever shape it came in."""
    if sink is None:
        return SILENT
    return sink if isinstance(sink, Progress) else _Callback(sink)


def human_size(nbytes: float) -> str:
    """`780 B`, `4.7 kB`, `15.7 MB`: decimal units, as registries and uv print them."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes:.0f} B"


def rate(nbytes: int, seconds: float) -> str:
    """`12.3 MB in 1.2 s, 10.1 MB/s`."""
    speed = nbytes / seconds if seconds > 0 else 0.0
    return f"{human_size(nbytes)} in {seconds:.1f} s, {human_size(speed)}/s"


class LineProgress(Progress):
    """Off a terminal: one plain line per step on stderr. A step that reports a finished transfer
    (its message starts with the transfer's label) carries its bytes and rate."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self._finished: tuple[str, str] | None = None

    def step(self, message: str) -> None:
        if self._finished and message.startswith(self._finished[0]):
            message = f"{message} ({self._finished[1]})"
        self._finished = None
        self.stream.write(f"  {message}\n")
        self.stream.flush()

    @contextlib.contextmanager
    def transfer(self, label: str, total: int) -> Iterator[Transfer]:
        moved = Transfer()
        started = time.monotonic()
        yield moved
        if moved.moved:
            self._finished = (label, rate(moved.moved, time.monotonic() - started))


class LiveProgress(Progress):
    """On a terminal: rich's live display on stderr, uv-style. The current step spins; each step
    done stays as a line; each transfer is a bar with its bytes and rate."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )

        self.console = Console(file=stream or sys.stderr)
        self.bars = _rich_progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description}"),
            _for_bytes(BarColumn(bar_width=24)),
            _for_bytes(DownloadColumn()),
            _for_bytes(TransferSpeedColumn(), finished="speed"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._step: Any = None
        self._finished: tuple[str, Any] | None = None
        self._started = False

    def _start(self) -> None:
        if not self._started:
            self.bars.start()
            self._started = True

    def step(self, message: str) -> None:
        self._start()
        self._finish_step()
        finished, self._finished = self._finished, None
        if finished and message.startswith(finished[0]):
            self.bars.update(finished[1], description=message)  # the transfer's own line
            return
        self._step = self.bars.add_task(message, total=None, kind="step")

    @contextlib.contextmanager
    def transfer(self, label: str, total: int) -> Iterator[Transfer]:
        self._start()
        task = self.bars.add_task(label, total=total or None, kind="bytes")
        bars = self.bars

        class _Live(Transfer):
            def advance(self, nbytes: int) -> None:
                super().advance(nbytes)
                bars.advance(task, nbytes)

        moved = _Live()
        started = time.monotonic()
        try:
            yield moved
        finally:
            # One figure measured over the whole transfer: rich's own speed needs many samples.
            speed = human_size(moved.moved / max(time.monotonic() - started, 1e-6)) + "/s"
            bars.update(task, total=max(moved.moved, 1), completed=max(moved.moved, 1), speed=speed)
            if moved.moved:
                self._finished = (label, task)
            else:  # already there, or mounted: nothing moved, no bar to keep
                bars.remove_task(task)

    def _finish_step(self) -> None:
        if self._step is not None:
            self.bars.update(self._step, total=1, completed=1)
            self._step = None

    def done(self) -> None:
        if self._started:
            self._finish_step()
            self.bars.stop()
            self._started = False


def _rich_progress(*columns: Any, console: Any) -> Any:
    from rich.progress import Progress as RichProgress

    return RichProgress(*columns, console=console, transient=False, redirect_stdout=False)


def _for_bytes(column: Any, finished: str = "") -> Any:
    """`column` for a transfer's line; nothing on a step's line (a step has no bytes). Once the
    transfer ends, the task's `finished` field (if named) is shown instead."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class ForBytes(ProgressColumn):
        def render(self, task: Any) -> Any:
            if task.fields.get("kind") != "bytes":
                return Text("")
            if finished and task.fields.get(finished):
                return Text(task.fields[finished], style="progress.data.speed")
            return column.render(task)

    return ForBytes()


def for_output(output: str = "text", stream: IO[str] | None = None) -> Progress:
    """The sink for a verb: silent for JSON (or ALOFT_NO_PROGRESS=1), live on a terminal (not
    TERM=dumb), plain lines otherwise."""
    if output == "json" or os.environ.get("ALOFT_NO_PROGRESS"):
        return SILENT
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty() and os.environ.get("TERM") != "dumb":
        return LiveProgress(stream)
    return LineProgress(stream)
