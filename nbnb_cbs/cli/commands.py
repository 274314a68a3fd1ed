"""Registers every command group on the app; each group lives in its own module."""

from __future__ import annotations

import typer

from nbnb_cbs.cli.app import app

linkage_app = typer.Typer(
    help="Prepare CBS linkage keys, simulate CBS's match, report the linkage yield.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
disclosure_app = typer.Typer(
    help="Apply disclosure control to tables; re-check an export folder (for data stewards).",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
app.add_typer(linkage_app, name="linkage")
app.add_typer(disclosure_app, name="disclosure")


def _register_modules() -> None:
    from nbnb_cbs.cli import (  # noqa: F401, PLC0415
        convert_cmd,
        disclosure_cmd,
        durability_cmd,
        linkage_cmd,
        pipeline_cmd,
        synth_cmd,
    )


_register_modules()
