"""The export: tables built from the work folder's results, the bundle, figures and report."""

from __future__ import annotations

from nbnb_cbs.export.tables import ExportTable, build_tables

__all__ = ["ExportTable", "build_tables"]
