"""The cohort factor's states: the pruned enumeration gives the states, in the order, of testing
every rule on every combination of the dimensions (the atoms' order is the LP's columns)."""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from nbnb_cbs.disclosure.catalogue import (
    _CLASSES,
    _RANK,
    COHORT,
    Domains,
    _bin_fits,
    _cohort_states,
    _dest_has,
)

BINS = ("[0.0, 0.5)", "[0.5, 0.9)", "[0.9, 1.0)", "1.0")


def _every_combination(domains: Domains) -> pl.DataFrame:
    """The cohort states as first written: every rule tested on every combination."""
    has_x = "exit" in domains.anchors
    has_f = "first-job" in domains.anchors
    xs = ("none", "ew", "w1", "o12") if has_x else ("none",)
    fs = ("none", "w1", "o12") if has_f else ("none",)
    classes = ("none", *_CLASSES)
    bins = ("none", *domains.bins)
    es = ("none", "coh", "ew", "w1", "o12") if domains.education else ("none",)
    ees = ("none", "no", "yes") if domains.education else ("none",)
    first = domains.anchors[0] if domains.anchors else None
    dests = domains.destinations or ("none",)
    states = []
    for x, f, dx, df, b, e, de, ee, dest in itertools.product(
        xs, fs, classes, classes, bins, es, classes, ees, dests
    ):
        # Leavers to work (either anchor's groups) and to education (its cohort) by definition.
        if domains.destinations and (
            ((x != "none" or f != "none") and not _dest_has(dest, "work"))
            or (e != "none" and not _dest_has(dest, "education"))
        ):
            continue
        if (x == "none") != (dx == "none") or (x == "ew" and dx != "lt90"):
            continue
        if (f == "none") != (df == "none"):
            continue
        if has_x and has_f:
            if (f != "none") != (x in ("w1", "o12")) or (f == "o12" and x != "o12"):
                continue
            if f != "none" and _RANK[df] < _RANK[dx]:
                continue
            # Worked every month after the exit: the first job starts the month after it, so
            # both windows are one (same group, durability 1 from the first job too).
            if dx == "one" and (f != x or df != "one"):
                continue
        anchor_state, anchor_class = (x, dx) if first == "exit" else (f, df)
        if (b != "none") != (anchor_state in ("w1", "o12") and bool(domains.bins)):
            continue
        if b != "none" and not _bin_fits(b, anchor_class):
            continue
        if e != "none" and (x != "none" or f != "none"):
            continue
        if (e == "none") != (ee == "none"):  # enrolment at the end of the education cohort
            continue
        # With every destination a class of its own, leavers to education are that cohort.
        if dest == "education" and e == "none" and domains.education:
            continue
        if (e in ("none", "coh")) != (de == "none") or (e == "ew" and de != "lt90"):
            continue
        if (e == "ew" and ee == "yes") or (de == "one" and ee != "yes"):
            continue
        states.append((x, f, dx, df, b, e, de, ee, dest))
    return pl.DataFrame(states, schema=list(COHORT), orient="row")


@pytest.mark.parametrize(
    "anchors", [("exit", "first-job"), ("first-job", "exit"), ("exit",), ("first-job",), ()]
)
@pytest.mark.parametrize("bins", [(), BINS])
@pytest.mark.parametrize("education", [False, True])
@pytest.mark.parametrize(
    "destinations",
    [
        (),
        ("education", "other", "work"),
        ("dropout+other+work", "education"),
        ("education+work", "other"),
    ],
)
def test_cohort_states_equal_every_combination_tested(
    anchors: tuple[str, ...], bins: tuple[str, ...], education: bool, destinations: tuple[str, ...]
) -> None:  # fmt: skip
    domains = Domains(anchors=anchors, bins=bins, education=education, destinations=destinations)
    expected = _every_combination(domains)
    assert expected.height > 0
    assert _cohort_states(domains).equals(expected)
