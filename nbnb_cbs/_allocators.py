"""Memory allocator settings for this process, applied when nbnb_cbs is imported.

The durability command touches about a gigabyte of fresh memory per million participants, and
on our Linux virtual machine the kernel's work of mapping it (page faults, zeroed pages) took a
quarter to a third of the command's CPU time. Most of it was memory the process had just given
back and took again a moment later:

- polars' jemalloc (Linux) returns freed pages to the system after half a second; here it keeps
  them ten seconds, so a command's next step reuses them. A long command still gives back what
  it no longer uses (after ten seconds, not half of one). Its memory is also one pool instead of
  one per thread (up to eight) plus one for blocks over 8 MB: a block one thread freed serves the
  next thread's request instead of fresh pages.
- glibc's malloc (numpy's arrays) maps every block above its threshold (128 KB, rising to at
  most 32 MB: a million job rows' keys take 8 MB, the whole cohort's 95 MB) afresh and unmaps it
  on free; here blocks up to 1 GB come from, and return to, its heap, which gives memory back
  only when more than 512 MB lie free at its top.

Measured on the benchmark's 1,000,000 participants (whole durability command, fresh processes):
see benchmarks/RESULTS.md. A user's own ``_RJEM_MALLOC_CONF`` is left alone; on Windows polars
uses mimalloc and numpy the C runtime's allocator, and nothing is changed.

Polars reads ``_RJEM_MALLOC_CONF`` when it is first imported and appends it to its own defaults
(polars/__init__.py; pola-rs/polars#18088): only a setting made before then takes effect, so
``nbnb_cbs/__init__.py`` imports this module first.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["DEFAULTS", "JEMALLOC", "TRIM", "tune"]

# Set (to anything) to keep every allocator's own defaults (benchmarks compare both).
DEFAULTS = "NBNB_DEFAULT_MALLOC"

# How long freed pages stay with the process before they are returned (ms); one arena (pool).
JEMALLOC = "dirty_decay_ms:10000,muzzy_decay_ms:10000,narenas:1,oversize_threshold:0"
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
# Free memory at the top of glibc's heap beyond this is returned to the system.
TRIM = 512 << 20


def tune() -> None:
    """Apply the settings above (once per process; harmless when repeated)."""
    if os.environ.get(DEFAULTS):
        return
    if "polars" not in sys.modules:
        os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC)
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...): its defaults stay
        return
    mallopt(_M_MMAP_THRESHOLD, 1 << 30)
    mallopt(_M_TRIM_THRESHOLD, TRIM)
