"""Progress and an estimate for long commands, and the one-line summary they end with.

Every long command (``lrs evidence rebuild``, ``lrs review rebuild``, ``lrs reclassify``, ``lrs demo``'s loading,
``bench/run.py``'s phases, ``lrs import``, ``lrs agents erase``, ``lrs retention apply``,
``lrs db backup|restore``) reports through this module, so they look alike:

    from lrs.cli.progress import progress

    with progress("Rebuilding evidence links", total=count, unit="statements") as meter:
        for batch in batches:
            ...
            meter.advance(len(batch))          # or meter.update(completed=n), meter.total = n
    click.echo(meter.summary(f"examined {n} statements, {links} evidence links"))
    # -> "examined 12,000 statements, 800 evidence links in 3.4 s"

- ``progress(description, total=None, *, unit="items", console=None)`` is a context manager yielding a
  :class:`Meter`. On a terminal it draws a bar (rich.progress) on standard error with the count, the rate, the
  time elapsed and an estimate of the time left; ``total=None`` shows a spinner and the count only.
  When standard error is not a terminal (a pipe, a file, cron, CI) it draws nothing at all, so logs stay clean.
- ``Meter.advance(n=1)``, ``Meter.update(completed=None, total=None, description=None)`` move it on.
- ``Meter.stage(description)`` renames the line (for a command with several steps under one bar).
- ``Meter.report(description, completed, total)`` is the ``on_progress`` callback a service or store function
  takes (``erase``, ``retention.apply``, ``store.backup.backup|restore``): they call it, knowing nothing of rich.
- ``Meter.elapsed`` is the seconds since the ``with`` began; ``Meter.summary(text)`` appends " in 1.2 s".
- ``Meter.completed`` is the count so far.
- ``console=`` takes a ``rich.console.Console`` (tests pass one with ``force_terminal=True`` or a file).

Progress goes to standard error and the summary is the caller's to print (``click.echo``) on standard output,
so ``lrs evidence rebuild > report.txt`` keeps the summary and a terminal still sees the bar.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["Meter", "format_seconds", "progress"]


def format_seconds(seconds: float) -> str:
    """A duration for a summary: "0.42 s", "3.4 s", "2 min 05 s"."""
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


class Meter:
    """One long job's progress: counts, and a bar when there is a terminal to draw it on."""

    def __init__(self, bar: Progress | None, task: TaskID | None, total: int | None) -> None:
        self._bar = bar
        self._task = task
        self._total = total
        self.completed = 0
        self.started = time.perf_counter()

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int | None) -> None:
        self.update(total=value)

    def advance(self, n: int = 1) -> None:
        self.completed += n
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)

    def update(self, *, completed: int | None = None, total: int | None = None, description: str | None = None) -> None:
        if completed is not None:
            self.completed = completed
        if total is not None:
            self._total = total
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=completed, total=total, description=description)

    def stage(self, description: str) -> None:
        self.update(description=description)

    def report(self, description: str, completed: int, total: int | None) -> None:
        """The ``on_progress(description, completed, total)`` callback that services and store functions take
        (they know no click or rich): pass ``on_progress=meter.report``."""
        self.update(completed=completed, total=total, description=description)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def summary(self, text: str) -> str:
        return f"{text} in {format_seconds(self.elapsed)}"


@contextmanager
def progress(
    description: str, total: int | None = None, *, unit: str = "items", console: Console | None = None
) -> Iterator[Meter]:
    """A progress bar with an estimate on a terminal (standard error), nothing elsewhere; see the module doc."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield Meter(None, None, total)
        return
    columns = [
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TextColumn("[progress.percentage]{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),
        TimeRemainingColumn(),
        TextColumn("left"),
    ]
    # transient: the bar gives way to the command's one-line summary when the work is done.
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield Meter(bar, task, total)
