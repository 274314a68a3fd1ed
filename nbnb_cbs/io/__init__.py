"""Files in and out: readers, writers and convert. No domain knowledge lives here."""

from __future__ import annotations

__all__: list[str] = []
