"""Prepare CBS linkage keys from a participant registration.

Every registration row ends up in exactly one of two places: ``keys.csv`` (a key CBS can try to
link) or ``rejects.csv`` (with every reason it cannot, and the raw values that caused them). The
research variables go to ``analysis.parquet`` under a random record id, and the only bridge back
to participant ids, ``crosswalk.csv``, stays with the researcher.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from nbnb_cbs.dates import parse_date_column
from nbnb_cbs.errors import InternalError
from nbnb_cbs.io.readers import Table, read_table
from nbnb_cbs.linkage.normalise import (
    house_number_parts,
    postcode_expr,
    postcode_valid_expr,
    sex_expr,
    sex_label_expr,
)
from nbnb_cbs.schemas import ANALYSIS_DROP, REGISTRATION, destination_expr, yes_no_expr
from nbnb_cbs.text import ascii_digits_expr, per_distinct

__all__ = ["KEY_COLUMNS", "REASONS", "PrepareResult", "prepare_frames"]

KEY_COLUMNS = (
    "record_id",
    "geslacht",
    "geboortejaar",
    "geboortemaand",
    "geboortedag",
    "postcode",
    "huisnummer",
    "huisletter",
    "huisnummertoevoeging",
    "peildatum",
)
# In order of precedence: the first that applies is a row's primary reason.
REASONS = (
    "no_consent",
    "sex_unknown",
    "birth_year_missing",
    "birth_year_implausible",
    "postcode_missing",
    "postcode_invalid",
    "house_number_missing",
    "house_number_invalid",
    "reference_date_missing",
    "duplicate_participant",
    "ambiguous_key",
)
_RAW_FOR = {
    "no_consent": ["consent"],
    "sex_unknown": ["sex"],
    "birth_year_missing": ["birth_date", "birth_year"],
    "birth_year_implausible": ["birth_date", "birth_year"],
    "postcode_missing": ["postcode"],
    "postcode_invalid": ["postcode"],
    "house_number_missing": ["house_number", "house_number_addition"],
    "house_number_invalid": ["house_number", "house_number_addition"],
    "reference_date_missing": ["reference_date", "entry_date"],
    "duplicate_participant": ["participant_id"],
    "ambiguous_key": [],
}


@dataclass
class PrepareResult:
    keys: pl.DataFrame
    rejects: pl.DataFrame
    analysis: pl.DataFrame
    crosswalk: pl.DataFrame
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _optional(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


_DATE_COLUMNS = ("birth_date", "reference_date", "entry_date", "exit_date")


def _normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """Add normalised key parts and one boolean column per reason."""
    today_year = dt.date.today().year
    # Every date column parsed once (distinct values looked up), here and for the analysis file.
    frame = frame.with_columns(
        parse_date_column(frame, name).alias(f"_date_{name}")
        for name in _DATE_COLUMNS
        if name in frame.columns
    )
    birth = pl.col("_date_birth_date") if "birth_date" in frame.columns else pl.lit(None, pl.Date)
    # SPSS stores years as doubles (2001.0); digits of any script count as digits.
    year_text = (
        ascii_digits_expr(_optional(frame, "birth_year"))
        .str.strip_chars()
        .str.replace(r"\.0+$", "")
    )
    year_given = year_text.cast(pl.Int32, strict=False)
    reference = pl.col("_date_reference_date") if "reference_date" in frame.columns else None
    entry = pl.col("_date_entry_date") if "entry_date" in frame.columns else None
    peildatum = pl.coalesce(*(e for e in (reference, entry) if e is not None))
    ref_source = (
        pl.when(reference.is_not_null() if reference is not None else pl.lit(False))
        .then(pl.lit("reference_date"))
        .when(entry.is_not_null() if entry is not None else pl.lit(False))
        .then(pl.lit("entry_date"))
    )
    # A registration has far fewer distinct house-number strings than rows: parse each once.
    raw_house = {
        "_hn_raw": pl.col("house_number").cast(pl.String),
        "_ha_raw": _optional(frame, "house_number_addition").cast(pl.String),
    }
    frame = per_distinct(
        frame.with_columns(**raw_house),
        {"_house": house_number_parts(pl.col("_hn_raw"), pl.col("_ha_raw"))},
        list(raw_house),
    )
    out = frame.with_columns(
        _sex=sex_expr(pl.col("sex")),
        _birth=birth,
        _year_given=year_given,
        _postcode=postcode_expr(pl.col("postcode")),
        _peildatum=peildatum,
        _ref_source=ref_source,
        _consent=yes_no_expr("consent"),
    ).with_columns(
        geboortejaar=pl.coalesce(pl.col("_birth").dt.year().cast(pl.Int32), pl.col("_year_given")),
        geboortemaand=pl.col("_birth").dt.month().cast(pl.Int8),
        geboortedag=pl.col("_birth").dt.day().cast(pl.Int8),
        _birth_raw_present=(
            _optional(frame, "birth_date").cast(pl.String).str.strip_chars().fill_null("") != ""
        )
        | (year_text.fill_null("") != ""),
    )
    ref_year = pl.coalesce(pl.col("_peildatum").dt.year(), pl.lit(today_year)).cast(pl.Int32)
    house = pl.col("_house")
    return out.with_columns(
        no_consent=pl.col("_consent").fill_null(False).not_(),
        sex_unknown=pl.col("_sex").is_null(),
        birth_year_missing=~pl.col("_birth_raw_present"),
        birth_year_implausible=pl.col("_birth_raw_present")
        & (
            pl.col("geboortejaar").is_null()
            | (pl.col("geboortejaar") < 1900)
            | (pl.col("geboortejaar") > ref_year)
        ),
        postcode_missing=pl.col("_postcode").is_null(),
        postcode_invalid=pl.col("_postcode").is_not_null()
        & ~postcode_valid_expr(pl.col("_postcode")).fill_null(False),
        house_number_missing=house.struct.field("empty"),
        house_number_invalid=~house.struct.field("empty")
        & house.struct.field("huisnummer").is_null(),
        reference_date_missing=pl.col("_peildatum").is_null(),
        duplicate_participant=~pl.col("participant_id").is_first_distinct(),
    )


def _record_ids(participants: pl.Series, known: pl.DataFrame, seed: int | None) -> pl.Series:
    """Random ids ``K`` + 11 digits, unrelated to the participant id; known participants (the
    crosswalk's ``participant_id`` and ``record_id``) keep theirs. The letter keeps spreadsheets
    from dropping leading zeros."""
    rng = np.random.default_rng(seed if seed is not None else secrets.randbits(64))
    last = known.unique("participant_id", keep="last", maintain_order=True)  # listed twice: last
    frame = pl.DataFrame({"participant_id": participants}).with_columns(
        record_id=pl.col("participant_id").replace_strict(
            last["participant_id"], last["record_id"], default=None, return_dtype=pl.String
        )
    )
    n_new = int(frame["record_id"].null_count())
    used = known["record_id"].cast(pl.String).implode()
    fresh = pl.Series("record_id", [], dtype=pl.String)
    while fresh.len() < n_new:
        draw = pl.Series(rng.integers(0, 10**11, size=n_new - fresh.len() + 8, dtype=np.int64))
        ids = ("K" + draw.cast(pl.String).str.zfill(11)).alias("record_id")
        fresh = pl.concat([fresh, ids]).unique(maintain_order=True)
        fresh = fresh.filter(~fresh.is_in(used))
    fresh = fresh.head(n_new)
    slot = frame["record_id"].is_null().cast(pl.Int64).cum_sum() - 1
    return frame.select(
        pl.when(pl.col("record_id").is_null())
        .then(fresh.gather(slot.clip(0, None)) if n_new else pl.lit(None, pl.String))
        .otherwise(pl.col("record_id"))
        .alias("record_id")
    )["record_id"]


def prepare_frames(
    table: Table,
    *,
    keep_ambiguous: bool = False,
    crosswalk: pl.DataFrame | None = None,
    seed: int | None = None,
) -> PrepareResult:
    """The whole of ``linkage prepare`` on an already-read registration table."""
    frame = table.frame.with_row_index("_i")
    rows_read = frame.height
    work = _normalise(frame)
    key_fields = ["_sex", "geboortejaar", "geboortemaand", "geboortedag", "_postcode"]
    key_fields += ["_hn", "_hl", "_ht", "_peildatum"]
    work = work.with_columns(
        _hn=pl.col("_house").struct.field("huisnummer"),
        _hl=pl.col("_house").struct.field("huisletter"),
        _ht=pl.col("_house").struct.field("huisnummertoevoeging"),
    )
    pre = [r for r in REASONS if r != "ambiguous_key"]
    clean = ~pl.any_horizontal(pl.col(pre))
    work = work.with_columns(
        ambiguous_key=clean & pl.struct(key_fields).is_duplicated().over(clean.cast(pl.Int8))
    )
    work = work.with_columns(
        ambiguous_key=pl.col("ambiguous_key") & clean,
    )
    rejected_mask = pl.any_horizontal(pl.col(pre)) | (
        pl.col("ambiguous_key") & pl.lit(not keep_ambiguous)
    )
    work = work.with_columns(_rejected=rejected_mask)
    rejected_mask = pl.col("_rejected")

    # Record ids for each consenting participant (first row of each participant id).
    participants = work.filter(~pl.col("no_consent") & ~pl.col("duplicate_participant"))
    known = (
        crosswalk
        if crosswalk is not None
        else pl.DataFrame(schema={"participant_id": pl.String, "record_id": pl.String})
    )
    ids = _record_ids(participants["participant_id"].cast(pl.String), known, seed)
    id_map = pl.DataFrame({"participant_id": participants["participant_id"], "record_id": ids})
    work = work.join(id_map, on="participant_id", how="left", maintain_order="left").rechunk()
    work = work.with_columns(
        record_id=pl.when(pl.col("duplicate_participant") | pl.col("no_consent"))
        .then(pl.lit(None, pl.String))
        .otherwise(pl.col("record_id"))
    )

    keys_rows = work.filter(~rejected_mask)
    keys = keys_rows.select(
        "record_id",
        geslacht=pl.col("_sex"),
        geboortejaar=pl.col("geboortejaar"),
        geboortemaand=pl.col("geboortemaand"),
        geboortedag=pl.col("geboortedag"),
        postcode=pl.col("_postcode"),
        huisnummer=pl.col("_hn"),
        huisletter=pl.col("_hl"),
        huisnummertoevoeging=pl.col("_ht"),
        peildatum=pl.col("_peildatum").dt.strftime("%Y%m%d"),
    )
    # Reasons and offending raw values, for rejected rows only (most rows pass). Each reason is
    # a boolean column, so no per-row lists are needed.
    reject_rows = work.filter(rejected_mask)
    raw_cols = [c for c in REGISTRATION.names if c in work.columns and c != "participant_id"]
    primary = pl.lit(None, pl.String)
    for reason in reversed(REASONS):
        primary = pl.when(pl.col(reason)).then(pl.lit(reason)).otherwise(primary)
    every = pl.concat_str(
        [pl.when(pl.col(r)).then(pl.lit(r)) for r in REASONS], separator="|", ignore_nulls=True
    )
    offending = pl.concat_str(
        [
            pl.when(pl.col(reason)).then(
                pl.concat_str(
                    [
                        pl.format("{}={}", pl.lit(c), pl.col(c).cast(pl.String).fill_null(""))
                        for c in cols
                        if c in raw_cols
                    ],
                    separator=" ",
                )
            )
            for reason, cols in _RAW_FOR.items()
            if any(c in raw_cols for c in cols)
        ],
        separator="; ",
        ignore_nulls=True,
    )
    rejects = reject_rows.select(
        source_row=(pl.col("_i") + table.first_data_row).cast(pl.Int64),
        participant_id=pl.col("participant_id"),
        reason=primary,
        all_reasons=every,
        raw_values=offending,
    )
    analysis, unrecognised = _analysis(work.filter(pl.col("record_id").is_not_null()))
    notes = list(table.notes)
    if unrecognised:
        notes.append(
            f"{unrecognised} exit destination value(s) were not recognised and count as unknown; "
            "accepted: werk, opleiding, leerwerktraject, werkervaringsplaats, uitval, overig, onbekend"
        )
    crosswalk_out = id_map.select("record_id", "participant_id")
    by_reason = rejects.group_by("reason").len().sort("reason")
    summary: dict[str, Any] = {
        "rows_read": rows_read,
        "keys": keys.height,
        "rejected": rejects.height,
        "rejected_by_reason": dict.fromkeys(REASONS, 0)
        | dict(zip(by_reason["reason"], by_reason["len"], strict=True)),
        "keys_birth_year_only": int(keys["geboortemaand"].is_null().sum()),
        "keys_ambiguous_kept": int(keys_rows["ambiguous_key"].sum()) if keep_ambiguous else 0,
        "peildatum_source": {
            "reference_date": int((keys_rows["_ref_source"] == "reference_date").sum()),
            "entry_date": int((keys_rows["_ref_source"] == "entry_date").sum()),
        },
        "participants_in_analysis": analysis.height,
        "exit_destination_unrecognised": unrecognised,
        "reconciled": rows_read == keys.height + rejects.height,
    }
    if not summary["reconciled"]:
        raise InternalError(
            f"reconciliation failed: {rows_read} rows read but {keys.height} keys + "
            f"{rejects.height} rejects; nothing was written (this is a bug in nbnb-cbs)"
        )
    return PrepareResult(keys, rejects, analysis, crosswalk_out, summary, notes)


def _analysis(rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """record_id + research variables, typed; no direct identifiers.

    Also returns how many exit destinations were not recognised (they become ``unknown``).
    """
    drop = {*ANALYSIS_DROP, *REASONS, "record_id", "geboortemaand", "geboortedag", "geboortejaar"}
    keep = [c for c in rows.columns if not c.startswith("_") and c not in drop]
    out = rows.select("record_id", *keep)
    typed: list[pl.Expr] = [
        pl.lit(rows[f"_date_{name}"]).alias(name)  # parsed once, in _normalise
        for name in ("reference_date", "entry_date", "exit_date")
        if name in out.columns
    ]
    unrecognised = 0
    if "birth_year" in out.columns or "birth_date" in rows.columns:
        typed.append(pl.lit(rows["geboortejaar"]).alias("birth_year"))
    if "exit_destination" in out.columns:
        dest = out.select(destination_expr("exit_destination"))["exit_destination"]
        unrecognised = int(dest.is_null().sum())
        typed.append(pl.lit(dest.fill_null("unknown")).alias("exit_destination"))
    for name in ("sectoral", "consent"):
        if name in out.columns:
            typed.append(yes_no_expr(name).alias(name))
    if "sex" in out.columns:
        typed.append(sex_label_expr(pl.col("sex")).alias("sex"))
    return out.with_columns(typed), unrecognised


def read_crosswalk(path: Path) -> pl.DataFrame | None:
    if not path.exists():
        return None
    # The crosswalk is read to be extended and written again: not a protected input.
    frame = read_table(path, protect=False).frame
    return frame.select(
        pl.col("record_id").cast(pl.String), pl.col("participant_id").cast(pl.String)
    )
