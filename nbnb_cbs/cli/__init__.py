"""Command-line interface: thin commands over the library.

``app`` holds the root options and the error boundary; each command module owns its own Typer
app, and they are assembled here (top-level commands merged in, groups under their name).
"""

from __future__ import annotations

from nbnb_cbs.cli import (
    convert_cmd,
    disclosure_cmd,
    durability_cmd,
    linkage_cmd,
    model_cmd,
    pipeline_cmd,
    synth_cmd,
)
from nbnb_cbs.cli.app import app

__all__ = ["app", "main"]

for _module in (
    synth_cmd, linkage_cmd, durability_cmd, convert_cmd, disclosure_cmd, pipeline_cmd, model_cmd,
):  # fmt: skip
    _group = {linkage_cmd: "linkage", disclosure_cmd: "disclosure"}.get(_module)
    app.add_typer(_module.app, name=_group)


def main() -> None:
    """Console-script entry point."""
    app()
