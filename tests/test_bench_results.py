"""benchmarks/perf.py keeps RESULTS.md's goals table and reasons up to date in place when
issue 15's section is written again from saved runs (``python -m benchmarks.perf report``)."""

from benchmarks.perf import _update_goals

SUITE = """# Benchmark results

## Goals

| goal | met | measured |
|---|---|---|
| synth in 180 s | yes | 64 s |
| durability 2x | NO | 1.5x |
| convert fast | NO | 0.7 M rows/s |

## Why goals were missed

- **durability 2x**: old reason
- **convert fast**: the machine

## Issue 15: convert
"""


def test_rows_replaced_added_and_reasons_follow_the_verdicts() -> None:
    rows = {
        "durability 2x": "| durability 2x | yes | 2.1x |",
        "convert fast": "| convert fast | NO | 0.8 M rows/s |",
        "national": "| national | yes | 40 M rows |",
    }
    text = _update_goals(SUITE, rows, {"convert fast": "- **convert fast**: still the machine"})
    lines = text.split("\n")
    table = lines[lines.index("## Goals") + 2 : lines.index("## Goals") + 7]
    assert table == [
        "| goal | met | measured |",
        "|---|---|---|",
        "| synth in 180 s | yes | 64 s |",
        "| durability 2x | yes | 2.1x |",
        "| convert fast | NO | 0.8 M rows/s |",
    ]
    assert lines[lines.index("## Goals") + 7] == "| national | yes | 40 M rows |"
    assert "- **durability 2x**: old reason" not in lines  # met now: no reason
    assert "- **convert fast**: still the machine" in lines
    assert text.endswith("## Issue 15: convert\n")


def test_a_reason_for_a_newly_missed_goal_is_added() -> None:
    met = SUITE.replace("| durability 2x | NO |", "| durability 2x | yes |")
    rows = {"durability 2x": "| durability 2x | NO | 1.9x |"}
    text = _update_goals(met, rows, {"durability 2x": "- **durability 2x**: new reason"})
    assert "- **durability 2x**: new reason" in text.split("\n")
    assert "- **durability 2x**: old reason" not in text
