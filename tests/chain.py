"""The whole synthetic chain in memory: generate, prepare keys, simulated match, durability."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from nbnb_cbs import synth
from nbnb_cbs.durability import DurabilityOptions, DurabilityResult, Inputs, compute
from nbnb_cbs.io.readers import Table, _parse, _resolve
from nbnb_cbs.linkage.match import match_keys
from nbnb_cbs.linkage.prepare import prepare_frames
from nbnb_cbs.schemas import ENROLMENTS, JOBS, REGISTRATION


def _typed(frame: pl.DataFrame, contract: object) -> pl.DataFrame:
    table = Table(frame, Path(f"{contract.name}.parquet"), first_data_row=1)  # type: ignore[attr-defined]
    _resolve(table, contract, {}, None)  # type: ignore[arg-type]
    _parse(table, contract)  # type: ignore[arg-type]
    return table.frame


def run_chain(
    options: synth.SynthOptions, end: tuple[int, int] = (2021, 12)
) -> tuple[synth.SynthData, pl.DataFrame, DurabilityResult]:
    data = synth.build(options)
    reg = Table(data.registration, Path("registration.csv"))
    _resolve(reg, REGISTRATION, {}, None)
    prepared = prepare_frames(reg, seed=1)
    keys = prepared.keys
    persons = data.persons.with_columns(
        pl.col("GBAGEBOORTEJAAR", "GBAGEBOORTEMAAND", "GBAGEBOORTEDAG").cast(pl.Int64)
    )
    addresses = data.addresses.with_columns(
        pl.col("huisnummer").cast(pl.Int32),
        pl.col("GBADATUMAANVANGADRESHOUDING").str.to_date("%Y%m%d"),
        pl.col("GBADATUMEINDEADRESHOUDING").str.to_date("%Y%m%d"),
    )
    keys = keys.with_columns(
        pl.col("peildatum").str.to_date("%Y%m%d"),
        pl.col("geslacht").cast(pl.Int64),
        pl.col("geboortejaar", "geboortemaand", "geboortedag").cast(pl.Int64),
    )
    linked = match_keys(keys, persons, addresses).linked
    inputs = Inputs(
        prepared.analysis,
        linked,
        _typed(data.jobs, JOBS).lazy(),
        _typed(data.enrolments, ENROLMENTS).lazy(),
    )
    result = compute(inputs, DurabilityOptions(end, by=("sectoral",)))
    return data, linked.join(prepared.crosswalk, on="record_id"), result
