"""The person-level release frame: one row per analysis record with every membership an export
table uses (the columns of ``disclosure.catalogue``) and the values behind its means.

It stays in memory: it is built from the work folder's results and never written to the export.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from nbnb_cbs.disclosure.catalogue import (
    OTHER_LEVEL,
    SNAPSHOT_CATEGORIES,
    Domains,
    release_destinations,
)
from nbnb_cbs.durability import DurabilityResult
from nbnb_cbs.schemas import EXIT_DESTINATIONS, exit_destination_expr

__all__ = ["distribution_bins", "release_frame"]

_STATE = (
    pl.when(pl.col("observed_12m"))
    .then(pl.lit("o12"))
    .when(pl.col("worked_1m"))
    .then(pl.lit("w1"))
    .when(pl.col("exit_work"))
    .then(pl.lit("ew"))
    .otherwise(pl.lit("none"))
)


def _klass(state: str) -> pl.Expr:
    d = pl.col("durability")
    return (
        pl.when(pl.col(state) == "none")
        .then(pl.lit("none"))
        .when(d >= 1.0)
        .then(pl.lit("one"))
        .when(d >= 0.9)
        .then(pl.lit("ge90"))
        .otherwise(pl.lit("lt90"))
    )


def _anchor(persons: pl.DataFrame, prefix: str) -> pl.DataFrame:
    return (
        persons.select(
            "record_id",
            _STATE.alias(prefix),
            pl.col("durability"),
            pl.col("worked"),
            pl.col("observable"),
        )
        .with_columns(_klass(prefix).alias("d" + prefix))
        .select(
            "record_id",
            prefix,
            "d" + prefix,
            pl.col("durability").alias(f"dur_{prefix}"),
            pl.col("worked").alias(f"wk_{prefix}"),
            pl.col("observable").alias(f"ob_{prefix}"),
        )
    )


# Fixed bins: merging bins until each holds enough records (as an earlier version did) makes
# the labels themselves say that every bin holds at least the threshold.
BINS = ("[0.0, 0.5)", "[0.5, 0.8)", "[0.8, 0.9)", "[0.9, 1.0)", "1.0")
_RAW = ("[0.0, 0.5)",) * 5 + ("[0.5, 0.8)",) * 3 + ("[0.8, 0.9)", "[0.9, 1.0)", "1.0")


def distribution_bins() -> tuple[list[str], list[str]]:
    """The published bins, and for each of the eleven raw bins (tenths, then exactly 1.0) its bin."""
    return list(BINS), list(_RAW)


def release_frame(
    analysis: pl.DataFrame,
    linked_ids: pl.Series,
    durability: dict[str, DurabilityResult],
    by: tuple[str, ...],
    end_month: tuple[int, int],
    threshold: int,
    project: str | None = "project",
    samples: Sequence[Sequence[str]] = (),
    covariates: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (),
    levels: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, Domains]:
    """The release frame and the domains of every dimension the export publishes (``samples``:
    the exit destinations each published model keeps; ``covariates``: their categorical
    covariates with the finest levels, and ``levels`` the records of their samples with theirs,
    ``models.run.release_levels``)."""
    frame = analysis.select(
        "record_id",
        *[pl.col(c).cast(pl.String).fill_null("unknown").alias(f"b{i}") for i, c in enumerate(by)],
        *(
            [pl.col(project).cast(pl.String).fill_null("unknown").alias("project")]
            if project and project in analysis.columns
            else []
        ),
        *([pl.col("entry_date")] if "entry_date" in analysis.columns else []),
        *(
            [exit_destination_expr().alias("_dest")]
            if {"exit_destination", "exit_date"} <= set(analysis.columns)
            else [pl.lit("unknown").alias("_dest")]
        ),
    ).with_columns(linked=pl.col("record_id").is_in(linked_ids.implode()))
    first = next(iter(durability.values()), None)
    # With enrolments the export publishes every linked record's enrolment at the end by exit
    # destination (education_enrolment): the enrol factor (ed, en), every destination a class.
    enrolment = (
        first is not None
        and first.education_persons is not None
        and "enrolled_at_end" in first.persons.columns
    )
    destinations = release_destinations(samples, EXIT_DESTINATIONS, enrolment)
    label = {d: c for c in destinations for d in c.split("+")}
    frame = frame.with_columns(
        dest=pl.when(pl.col("linked") & pl.lit(bool(destinations)))
        .then(pl.col("_dest").replace_strict(label, default="none", return_dtype=pl.String))
        .otherwise(pl.lit("none"))
    ).drop("_dest")
    anchors = tuple(durability)
    columns = {"exit": "x", "first-job": "f"}
    for anchor, result in durability.items():
        frame = frame.join(
            _anchor(result.persons, columns[anchor]),
            on="record_id",
            how="left",
            maintain_order="left",
        )
    for prefix in ("x", "f"):
        if prefix not in frame.columns:
            frame = frame.with_columns(
                pl.lit("none").alias(prefix), pl.lit("none").alias("d" + prefix)
            )
    frame = frame.with_columns(pl.col("x", "f", "dx", "df").fill_null("none"))
    both = {"exit", "first-job"} <= set(anchors)
    # The late factor (catalogue.LATE): the exit group w1 / o12 and whether the first job came
    # after the month following the exit (the exit window is the longer one).
    in_late = pl.col("x").is_in(["w1", "o12"]) & pl.lit(both)
    frame = frame.with_columns(
        lx=pl.when(in_late).then(pl.col("x")).otherwise(pl.lit("none")),
        lt=pl.when(in_late)
        .then(
            pl.when(pl.col("ob_x") > pl.col("ob_f")).then(pl.lit("yes")).otherwise(pl.lit("no"))
            if both
            else pl.lit("none")
        )
        .otherwise(pl.lit("none")),
    )
    # Distribution of the first anchor's worked_1m group, bins merged to the threshold.
    bins: list[str] = []
    frame = frame.with_columns(bin=pl.lit("none"))
    if anchors:
        prefix = columns[anchors[0]]
        in_w1 = pl.col(prefix).is_in(["w1", "o12"])
        d = frame.filter(in_w1)[f"dur_{prefix}"]
        bins, raw = distribution_bins() if d.len() else ([], [])
        tenth = (pl.col(f"dur_{prefix}") * 10).floor().clip(0, 9).cast(pl.Int32)
        index = pl.when(pl.col(f"dur_{prefix}") >= 1.0).then(10).otherwise(tenth)
        frame = frame.with_columns(
            bin=pl.when(in_w1)
            .then(index.replace_strict(dict(enumerate(raw)), return_dtype=pl.String))
            .otherwise(pl.lit("none"))
        )
    # Working at the end month, with the largest job's categories and the amounts.
    working = first.working_at_end if first is not None else None
    cats = list(SNAPSHOT_CATEGORIES)
    if working is not None:
        frame = frame.join(working, on="record_id", how="left", maintain_order="left")
    else:
        frame = frame.with_columns(
            *[pl.lit(None, pl.String).alias(c) for c in cats],
            *[pl.lit(None, pl.Float64).alias(c) for c in ("hours", "fulltime_days", "base_wage")],
        )
    at_work = pl.col("linked") & pl.col("jobs").is_not_null()
    frame = frame.with_columns(
        ls=pl.when(~pl.col("linked"))
        .then(pl.lit("u"))
        .when(at_work)
        .then(pl.lit("w"))
        .otherwise(pl.lit("n")),
        **{c: pl.when(at_work).then(pl.col(c)).otherwise(pl.lit("none")) for c in cats},
    )
    # Education cohort.
    education = first.education_persons if first is not None else None
    if education is not None:
        edu = education.select(
            "record_id",
            e=pl.when(_STATE == "none").then(pl.lit("coh")).otherwise(_STATE),
            de=pl.when(~pl.col("exit_work").fill_null(False))
            .then(pl.lit("none"))
            .when(pl.col("durability") >= 1.0)
            .then(pl.lit("one"))
            .when(pl.col("durability") >= 0.9)
            .then(pl.lit("ge90"))
            .otherwise(pl.lit("lt90")),
            ee=pl.when(pl.col("enrolled_at_end")).then(pl.lit("yes")).otherwise(pl.lit("no")),
            dur_e=pl.col("durability"),
            wk_e=pl.col("worked"),
            ob_e=pl.col("observable"),
        )
        frame = frame.join(edu, on="record_id", how="left", maintain_order="left").with_columns(
            pl.col("e", "de", "ee").fill_null("none")
        )
        if enrolment and first is not None:  # every linked record's enrolment at the end
            enrolled = first.persons.select(
                "record_id", _enrolled=pl.col("enrolled_at_end").fill_null(False)
            )
            frame = (
                frame.join(enrolled, on="record_id", how="left", maintain_order="left")
                .with_columns(
                    ed=pl.col("dest"),
                    en=pl.when(~pl.col("linked"))
                    .then(pl.lit("none"))
                    .when(pl.col("_enrolled").fill_null(False))
                    .then(pl.lit("yes"))
                    .otherwise(pl.lit("no")),
                )
                .drop("_enrolled")
            )
    else:
        frame = frame.with_columns(e=pl.lit("none"), de=pl.lit("none"), ee=pl.lit("none"))
    # Month of entry for the series (linked records only).
    year, month = end_month
    e_no = year * 12 + month - 1
    months: list[str] = []
    if "entry_date" in frame.columns:
        entry_no = pl.col("entry_date").dt.year() * 12 + pl.col("entry_date").dt.month() - 1
        linked_entries = frame.filter(pl.col("linked") & pl.col("entry_date").is_not_null())
        if linked_entries.height:
            lo = int(linked_entries.select(entry_no.min()).item())
            months = [f"{m // 12}-{m % 12 + 1:02d}" for m in range(lo, e_no + 1)]
        frame = frame.with_columns(
            entry=pl.when(~pl.col("linked"))
            .then(pl.lit("none"))
            .when(pl.col("entry_date").is_null() | (entry_no > e_no))
            .then(pl.lit("later"))
            .otherwise(
                (entry_no // 12).cast(pl.String)
                + "-"
                + (entry_no % 12 + 1).cast(pl.String).str.zfill(2)
            )
        )
    else:
        frame = frame.with_columns(
            entry=pl.when(pl.col("linked")).then(pl.lit("later")).otherwise(pl.lit("none"))
        )
    breakdowns = tuple(
        (column, tuple(sorted(frame[f"b{i}"].unique().to_list()))) for i, column in enumerate(by)
    )
    if covariates:
        # The cov factor (catalogue.universe): linked records by destination class, enrolment
        # at the end and the models' covariate levels; a record of no model's sample holds the
        # last level (the other values), which no model's level counts.
        other = {f"c{i}": OTHER_LEVEL for i in range(len(covariates))}
        if levels is not None and levels.height:
            frame = frame.join(levels, on="record_id", how="left", maintain_order="left")
        else:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(c) for c in other)
        frame = frame.with_columns(
            cd=pl.when(pl.col("linked")).then(pl.col("dest")).otherwise(pl.lit("none")),
            ce=pl.when(pl.col("linked") & pl.lit(enrolment))
            .then(pl.col("en") if enrolment else pl.lit("none"))
            .otherwise(pl.lit("none")),
            **{
                c: pl.when(pl.col("linked")).then(pl.col(c).fill_null(o)).otherwise(pl.lit("none"))
                for c, o in other.items()
            },
        )
    domains = Domains(
        breakdowns=breakdowns,
        anchors=anchors,
        bins=tuple(bins),
        months=tuple(months),
        education=education is not None,
        snapshot=working is not None,
        net_wage=working is not None and "net_wage" in working.columns,
        destinations=destinations,
        enrolment=enrolment,
        covariates=covariates,
    )
    return frame, domains
