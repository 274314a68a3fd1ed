"""nbnb-cbs: linkage keys, durability of work and disclosure control for CBS Remote Access."""

from __future__ import annotations

from nbnb_cbs import _allocators

_allocators.tune()

__version__ = "0.2.0"

__all__ = ["__version__"]
