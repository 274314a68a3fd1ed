"""Compare the default synthetic data with the NBNB report: ``python -m benchmarks.calibration``.

Runs the whole synthetic chain on the default options (seed 2022, 1,012 participants), prints
the comparison table and writes it into README.md between its calibration markers (the test
tests/synth/test_calibration.py checks that the README holds exactly this measurement).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from nbnb_cbs.synth import SynthOptions
from nbnb_cbs.synth.calibration import figures, markdown_table
from tests.chain import run_chain

README = Path(__file__).parents[1] / "README.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--no-write", action="store_true", help="only print the table")
    args = parser.parse_args()
    data, linked, result = run_chain(SynthOptions(seed=args.seed))
    table = markdown_table(figures(data.registration, linked, result))
    print(table)
    if args.no_write or args.seed != 2022:
        return
    text = README.read_text(encoding="utf-8")
    marked = re.compile(r"<!-- calibration -->.*?<!-- /calibration -->", re.S)
    if not marked.search(text):
        raise SystemExit("README.md has no <!-- calibration --> markers")
    README.write_text(
        marked.sub(lambda _: f"<!-- calibration -->\n{table}\n<!-- /calibration -->", text),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
