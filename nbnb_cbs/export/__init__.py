"""The export: tables built from the release frame and protected as one release, the bundle,
figures and report."""

from __future__ import annotations

from nbnb_cbs.export.tables import ExportTable, Release, build_release

__all__ = ["ExportTable", "Release", "build_release"]
