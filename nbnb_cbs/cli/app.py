"""The Typer app: the root options and the error boundary shared by every command."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from typer.core import TyperGroup

from nbnb_cbs import __version__
from nbnb_cbs.cli import output
from nbnb_cbs.errors import EXIT_INTERNAL, NbnbError
from nbnb_cbs.io.writers import forget_inputs

__all__ = ["app", "guarded"]

P = ParamSpec("P")
R = TypeVar("R")

_GLOBAL_FLAGS = frozenset({"-q", "--quiet", "-v", "--verbose", "--debug"})


class _RootGroup(TyperGroup):
    """Global options are accepted after the command too (``nbnb-cbs run project.toml -v``),
    as users type them; they are moved in front before the arguments are parsed."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # click's Context (vendored)
        end = args.index("--") if "--" in args else len(args)
        head, tail = args[:end], args[end:]
        flags = [a for a in head if a in _GLOBAL_FLAGS]
        rest = [a for a in head if a not in _GLOBAL_FLAGS]
        return super().parse_args(ctx, [*flags, *rest, *tail])


app = typer.Typer(
    name="nbnb-cbs",
    cls=_RootGroup,
    help=(
        "Link a project's participant registration to CBS microdata, measure how durable the work "
        "found is, and export only disclosure-checked results.\n\n"
        "Start with [bold]nbnb-cbs demo[/bold] to see every step on synthetic data."
    ),
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Map the library's errors to exit codes: users never see a traceback for bad input."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except NbnbError as exc:
            if output.state.debug:
                output.err().print_exception()
            output.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            output.error("interrupted; outputs that were being written were not replaced")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if output.state.debug:
                raise
            output.error(
                f"internal error in nbnb-cbs ({type(exc).__name__}: {exc}); this is a bug, not "
                "your data's fault: run again with --debug and send the traceback to the developers"
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        output.out().print(f"nbnb-cbs {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print more detail.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks (for reporting a bug).")
    ] = False,
) -> None:
    """Link a registration to CBS microdata, measure durable work, export checked results."""
    output.reset(quiet=quiet, verbose=verbose, debug=debug)
    forget_inputs()
