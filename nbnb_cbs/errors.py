"""One error hierarchy for the whole toolkit.

Every error a user can cause is an ``NbnbError`` whose message says what was wrong, where (file,
row, column) and what to do; the CLI prints it on one line and exits with ``exit_code``. Anything
else that escapes is a bug in nbnb-cbs and is reported as an internal error (exit 3).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_VIOLATIONS",
    "ColumnError",
    "ConfigError",
    "DisclosureError",
    "InputFileError",
    "InternalError",
    "NbnbError",
    "ValueParseError",
]

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class NbnbError(Exception):
    """Base class: a problem the user can fix. Exit code 2 unless a subclass says otherwise."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputFileError(NbnbError):
    """A file is missing, unreadable, empty or of the wrong kind."""

    @classmethod
    def missing(cls, path: Path, what: str = "input file") -> InputFileError:
        return cls(
            f"{path}: {what} not found; check the path (relative paths start at {Path.cwd()})"
        )

    @classmethod
    def not_a_file(cls, path: Path) -> InputFileError:
        return cls(f"{path}: is a directory, expected a file; give the path of the file itself")

    @classmethod
    def unsupported(cls, path: Path, hint: str) -> InputFileError:
        return cls(f"{path}: cannot read this kind of file; {hint}")


class ColumnError(NbnbError):
    """A required column is missing or duplicated."""

    @classmethod
    def missing(
        cls, path: Path | str, column: str, available: Iterable[str], aliases: Iterable[str] = ()
    ) -> ColumnError:
        available = list(available)
        close = difflib.get_close_matches(column, available, n=1, cutoff=0.6)
        hint = f" - did you mean {close[0]!r}?" if close else ""
        alias_text = ", ".join(sorted(set(aliases) - {column}))
        also = f" (also accepted: {alias_text})" if alias_text else ""
        shown = ", ".join(available[:12]) + (" ..." if len(available) > 12 else "")
        return cls(
            f"{path}: required column {column!r}{also} not found{hint}; "
            f"columns present: {shown or '(none)'}; rename the column, or map it in project.toml "
            f'([columns] {column} = ["your column"]) and give --config project.toml'
        )

    @classmethod
    def duplicated(cls, path: Path | str, column: str, sources: Iterable[str]) -> ColumnError:
        return cls(
            f"{path}: column {column!r} appears more than once ({', '.join(sources)}); "
            "keep one of them and remove or rename the others"
        )

    @classmethod
    def pattern(cls, where: Path | str, column: str, rename: str) -> ColumnError:
        return cls(
            f"{where}: column {column!r} cannot be used: the table engine reads that name as a "
            f"pattern of column names; rename it: {rename}"
        )

    @classmethod
    def shadowing(cls, where: Path | str, column: str, rename: str) -> ColumnError:
        return cls(
            f"{where}: column {column!r} would shadow the published column {column!r} "
            f"(a name nbnb-cbs gives its own meaning); rename it: {rename}"
        )


class ValueParseError(NbnbError):
    """A value cannot be parsed where the file contract requires it."""

    column: str | None = None

    @classmethod
    def at(
        cls, path: Path | str, row: int, column: str, value: object, expected: str
    ) -> ValueParseError:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        error = cls(
            f"{path}: row {row}, column {column!r}: cannot read {shown} as {expected}; "
            "correct the value in the file (or remove the row) and run again"
        )
        error.column = column
        return error


class ConfigError(NbnbError):
    """The project file or an option is wrong."""


class DisclosureError(NbnbError):
    """A table cannot be disclosure-controlled as asked (bad counts, non-additive margins...)."""


class InternalError(NbnbError):
    """An invariant of nbnb-cbs itself broke: a bug, not a user error."""

    exit_code = EXIT_INTERNAL
