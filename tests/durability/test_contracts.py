"""Contract classes as the report has them: 'other' = intern, payroll, opting-in, BBL; permanent =
DGA, intern, WSW (or open-ended); flexible = agency, on-call, payroll (or fixed-term)."""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from nbnb_cbs.disclosure.catalogue import SNAPSHOT_CATEGORIES
from nbnb_cbs.durability.contracts import INDICATORS, employment_type, relation

# SSOORTBAAN, SCONTRACTSOORT, payroll, opting_in, bbl_unsigned -> employment type, relation
CASES = [
    ("1", "N", None, None, None, "employment_contract", "permanent"),  # DGA
    ("2", "B", None, None, None, "other", "permanent"),  # intern
    ("3", "N", None, None, None, "employment_contract", "permanent"),  # WSW
    ("4", "O", None, None, None, "temp_agency", "flexible"),  # agency, whatever the contract
    ("5", "O", None, None, None, "employment_contract", "flexible"),  # on-call
    ("9", "O", None, None, None, "employment_contract", "permanent"),
    ("9", "B", None, None, None, "employment_contract", "flexible"),
    ("9", "O", "1", None, None, "other", "flexible"),  # payroll
    ("9", "O", "N", "J", None, "other", "permanent"),  # opting-in, open-ended
    ("9", "B", "0", None, "ja", "other", "flexible"),  # BBL not yet signed
    ("9", "N", None, None, None, "employment_contract", "unknown"),  # nothing decides
    (None, "B", None, None, None, "unknown", "flexible"),
    (None, "N", "1", None, None, "other", "flexible"),
    ("7", None, None, None, None, "unknown", "unknown"),  # not a SPOLISBUS code
]


def _classes(rows: list[tuple[str | None, ...]]) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows, schema=dict.fromkeys(["soortbaan", "contract", *INDICATORS], pl.String), orient="row"
    )
    return frame.with_columns(employment_type=employment_type(), relation=relation())


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(str(v) for v in c[:5]))
def test_classes_as_in_the_report(case: tuple[str | None, ...]) -> None:
    got = _classes([case[:5]]).row(0, named=True)
    assert (got["employment_type"], got["relation"]) == case[5:]


def test_every_combination_fits_the_catalogue() -> None:
    """Every class is a published category, and temp agency work is always flexible (a structural
    rule of the release model an attacker may use)."""
    codes = [None, "1", "2", "3", "4", "5", "9", "x"]
    flags = [None, "1", "0"]
    rows = list(itertools.product(codes, [None, "O", "B", "N"], flags, flags, flags))
    got = _classes(rows)
    assert set(got["employment_type"]) == set(SNAPSHOT_CATEGORIES["employment_type"])
    assert set(got["relation"]) == set(SNAPSHOT_CATEGORIES["relation"])
    agency = got.filter(pl.col("employment_type") == "temp_agency")
    assert agency.height and (agency["relation"] == "flexible").all()
    known = got.filter(pl.col("soortbaan").is_in(["1", "2", "3", "4", "5"]))
    assert (known["relation"] != "unknown").all()  # SSOORTBAAN alone decides these
