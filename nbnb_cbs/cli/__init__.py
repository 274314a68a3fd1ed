"""Command-line interface: thin commands over the library (see ``nbnb_cbs.cli.app``)."""

from __future__ import annotations

from nbnb_cbs.cli import commands as _commands  # noqa: F401  (registers the commands)
from nbnb_cbs.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
