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
    """On a terminal: rich's live display on stderr, uv-style. The current step spins and each
    transfer is a bar with its bytes and rate; once done, each becomes a plain line above, so the
    live part stays a few lines however long the work."""

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
            SpinnerColumn(),
            TextColumn("{task.description}"),
            _for_bytes(BarColumn(bar_width=24)),
            _for_bytes(DownloadColumn()),
            _for_bytes(TransferSpeedColumn()),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._step: tuple[Any, str] | None = None
        self._finished: tuple[str, str] | None = None  # a transfer's label and its rate
        self._started = False

    def _start(self) -> None:
        if not self._started:
            self.bars.start()
            self._started = True

    def _print_done(self, message: str) -> None:
        self.bars.console.print(f"[green]✓[/] {message}", markup=True, highlight=False)

    def step(self, message: str) -> None:
        self._start()
        self._finish_step()
        finished, self._finished = self._finished, None
        if finished and message.startswith(finished[0]):
            self._print_done(f"{message} [dim]({finished[1]})[/]")  # how the transfer ended
            return
        if finished:
            self._print_done(f"{finished[0]} [dim]({finished[1]})[/]")
        self._step = (self.bars.add_task(message, total=None, kind="step"), message)

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
            bars.remove_task(task)
            if moved.moved:  # none when the blob was there already, or mounted
                self._finished = (label, rate(moved.moved, time.monotonic() - started))

    def _finish_step(self) -> None:
        if self._step is not None:
            task, message = self._step
            self.bars.remove_task(task)
            self._print_done(message)
            self._step = None

    def done(self) -> None:
        if self._started:
            self._finish_step()
            if self._finished:
                self._print_done(f"{self._finished[0]} [dim]({self._finished[1]})[/]")
                self._finished = None
            self.bars.stop()
            self._started = False


def _rich_progress(*columns: Any, console: Any) -> Any:
    from rich.progress import Progress as RichProgress

    return RichProgress(*columns, console=console, transient=False, redirect_stdout=False)


def _for_bytes(column: Any) -> Any:
    """`column` for a transfer's line; nothing on a step's line (a step has no bytes)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class ForBytes(ProgressColumn):
        def render(self, task: Any) -> Any:
            return column.render(task) if task.fields.get("kind") == "bytes" else Text("")

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
