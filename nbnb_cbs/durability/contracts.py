"""Contract classes of a job as the study reported them (Figures 6.37 and 6.38 of the report).

Employment type ("soort arbeidsverhouding"), first rule that applies:

- ``temp_agency``: SSOORTBAAN 4 (uitzendkracht);
- ``other``: SSOORTBAAN 2 (intern), or a payroll, opting-in or not-yet-signed BBL job
  (the indicators ``payroll``, ``opting_in``, ``bbl_unsigned``);
- ``employment_contract``: SSOORTBAAN 1 (DGA), 3 (WSW), 5 (on-call) or 9 (other);
- ``unknown``: SSOORTBAAN missing or not a SPOLISBUS code, and no indicator says ``other``.

Relation ("soort arbeidsrelatie"), first rule that applies:

- ``permanent``: SSOORTBAAN 1 (DGA), 2 (intern) or 3 (WSW);
- ``flexible``: SSOORTBAAN 4 (agency) or 5 (on-call), or a payroll job;
- then SCONTRACTSOORT: O (open-ended) ``permanent``, B (fixed-term) ``flexible``;
- ``unknown``: none of these (SCONTRACTSOORT N "not applicable" or missing, with SSOORTBAAN 9 or
  missing, and no payroll indicator): the data cannot decide.

The indicators are not in every SPOLISBUS year; map a file's own variable under ``[columns]``
(``payroll = ["..."]``). Read as yes/no (1/0, J/N, ja/nee, true/false); a column the file does not
have counts as "no", so those jobs take the class their SSOORTBAAN and SCONTRACTSOORT give.
"""

from __future__ import annotations

import polars as pl

from nbnb_cbs.schemas import yes_no_expr

__all__ = ["INDICATORS", "employment_type", "relation"]

INDICATORS = ("payroll", "opting_in", "bbl_unsigned")
_EMPLOYMENT_CONTRACT = ("1", "3", "5", "9")


def _yes(column: str) -> pl.Expr:
    return yes_no_expr(column).fill_null(False)


def employment_type(soortbaan: str = "soortbaan") -> pl.Expr:
    """The employment type from the (upper-cased, stripped) SSOORTBAAN and the indicators."""
    code = pl.col(soortbaan)
    other = (code == "2").fill_null(False) | pl.any_horizontal(*(_yes(c) for c in INDICATORS))
    return (
        pl.when(code == "4")
        .then(pl.lit("temp_agency"))
        .when(other)
        .then(pl.lit("other"))
        .when(code.is_in(_EMPLOYMENT_CONTRACT))
        .then(pl.lit("employment_contract"))
        .otherwise(pl.lit("unknown"))
    )


def relation(soortbaan: str = "soortbaan", contract: str = "contract") -> pl.Expr:
    """Permanent or flexible from SSOORTBAAN, the payroll indicator and SCONTRACTSOORT."""
    code = pl.col(soortbaan)
    return (
        pl.when(code.is_in(["1", "2", "3"]))
        .then(pl.lit("permanent"))
        .when(code.is_in(["4", "5"]) | _yes("payroll"))
        .then(pl.lit("flexible"))
        .when(pl.col(contract) == "O")
        .then(pl.lit("permanent"))
        .when(pl.col(contract) == "B")
        .then(pl.lit("flexible"))
        .otherwise(pl.lit("unknown"))
    )
