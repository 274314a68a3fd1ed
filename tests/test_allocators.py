"""The allocator settings (nbnb_cbs/_allocators.py) reach polars when nbnb_cbs is imported first,
as the command imports it; a user's own jemalloc setting and the opt-out are respected."""

from __future__ import annotations

import os
import subprocess
import sys

from nbnb_cbs import _allocators

_PROBE = "import nbnb_cbs, os, polars; print(os.environ.get('_RJEM_MALLOC_CONF', ''))"


def _conf(**env: str) -> str:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("_RJEM_MALLOC_CONF", _allocators.DEFAULTS)
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=clean | env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_polars_gets_the_longer_decay() -> None:
    # polars puts its own defaults first and the setting after them: the later one counts.
    assert _conf().endswith(_allocators.JEMALLOC)


def test_a_users_own_setting_and_the_opt_out_are_kept() -> None:
    assert _conf(_RJEM_MALLOC_CONF="narenas:2").endswith(",narenas:2")
    assert _allocators.JEMALLOC not in _conf(**{_allocators.DEFAULTS: "1"})
