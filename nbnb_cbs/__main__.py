"""``python -m nbnb_cbs``: the same as the ``nbnb-cbs`` command (for when scripts are not on PATH)."""

from __future__ import annotations

from nbnb_cbs.cli import main

if __name__ == "__main__":
    main()
