"""Output through one place: results to stdout, errors and progress to stderr.

Consoles are created on first use so that ``--quiet`` and test settings (NO_COLOR, COLUMNS) apply.
Messages are printed with soft wrapping, so an error stays one line however narrow the terminal.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.status import Status
from rich.text import Text

__all__ = [
    "Steps",
    "err",
    "error",
    "info",
    "out",
    "rows_progress",
    "showing_progress",
    "state",
    "warn",
]


@dataclass
class _State:
    quiet: bool = False
    verbose: bool = False
    debug: bool = False
    _out: Console | None = None
    _err: Console | None = None


state = _State()


def out() -> Console:
    """Console for results (stdout)."""
    if state._out is None:
        state._out = Console(highlight=False, quiet=state.quiet)
    return state._out


def err() -> Console:
    """Console for errors, warnings and progress (stderr)."""
    if state._err is None:
        state._err = Console(stderr=True, highlight=False)
    return state._err


def reset(*, quiet: bool = False, verbose: bool = False, debug: bool = False) -> None:
    state.quiet, state.verbose, state.debug = quiet, verbose, debug
    state._out = state._err = None
    _configure_logging()


def error(message: str) -> None:
    err().print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


def warn(message: str) -> None:
    if not state.quiet:
        err().print(f"[yellow]note:[/] {escape(message)}", soft_wrap=True)


def info(message: str) -> None:
    if not state.quiet:
        err().print(escape(message), soft_wrap=True)


class _RowsPerSecond(ProgressColumn):
    """Rows per second, once rich has measured a speed."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s")


def showing_progress() -> bool:
    """Live progress only on a terminal, and never with --quiet (logs and pipes stay clean)."""
    return not state.quiet and err().is_terminal


@contextlib.contextmanager
def rows_progress(description: str) -> Iterator[Callable[[str, int, int | None], None]]:
    """A progress bar for reading rows: rows read, rows/s and, when the total is known, time
    left. Yields the callback computing modules call as ``(what, rows_read, expected_total)``."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        _RowsPerSecond(),
        TimeRemainingColumn(),
        console=err(),
        disable=not showing_progress(),
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=None)

        def update(what: str, rows: int, total: int | None = None) -> None:
            bar.update(task, description=f"{description} {what}", completed=rows, total=total)

        yield update


class Steps:
    """Named steps with their elapsed time: a spinner on the running step (on a terminal), and
    one line per finished step (unless --quiet). Call with the next step's name; ``close()``
    finishes the last one. Library modules receive it as a plain ``Callable[[str], None]``."""

    def __init__(self) -> None:
        self._name: str | None = None
        self._started = 0.0
        self._status: Status | None = None

    def __call__(self, name: str) -> None:
        self._finish()
        self._name, self._started = name, time.perf_counter()
        if showing_progress():
            self._status = err().status(name)
            self._status.start()

    def rows(self, what: str, rows: int, total: int | None = None) -> None:
        """Rows read so far in the running step (and rows/s), shown on its spinner; the same
        callback shape as ``rows_progress`` so library readers can report either way."""
        if self._status is None:
            return
        elapsed = time.perf_counter() - self._started
        rate = f", {rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
        of = f" of {total:,}" if total else ""
        self._status.update(f"{self._name}: {what} {rows:,}{of} rows read{rate}")

    def _finish(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        if self._name is not None:
            info(f"{self._name}: {time.perf_counter() - self._started:.1f} s")
            self._name = None

    def close(self) -> None:
        self._finish()

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        if exc[0] is None:
            self._finish()


class _DetailHandler(logging.Handler):
    """--verbose: the library's detail messages (logger ``nbnb_cbs``) on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        err().print(f"  {escape(record.getMessage())}", soft_wrap=True)


_HANDLER = _DetailHandler()


def _configure_logging() -> None:
    logger = logging.getLogger("nbnb_cbs")
    logger.removeHandler(_HANDLER)
    if state.verbose and not state.quiet:
        logger.addHandler(_HANDLER)
        logger.setLevel(logging.INFO)
        logger.propagate = False
