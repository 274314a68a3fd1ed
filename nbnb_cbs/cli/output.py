"""Output through one place: results to stdout, errors and progress to stderr.

Consoles are created on first use so that ``--quiet`` and test settings (NO_COLOR, COLUMNS) apply.
Messages are printed with soft wrapping, so an error stays one line however narrow the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

__all__ = ["err", "error", "info", "out", "state", "warn"]


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


def error(message: str) -> None:
    err().print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


def warn(message: str) -> None:
    if not state.quiet:
        err().print(f"[yellow]note:[/] {escape(message)}", soft_wrap=True)


def info(message: str) -> None:
    if not state.quiet:
        err().print(escape(message), soft_wrap=True)
