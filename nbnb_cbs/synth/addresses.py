"""Addresses, the population register and the registration export as projects really send it.

Every address is held canonically (postcode, huisnummer, huisletter, huisnummertoevoeging) as BAG
does; the registration writes it the way people type it ("1234 ab", "12A-4", "12 bis"). Each typed
form is one that the linkage normaliser reads back to the canonical parts, so a registration row
fails to link only for a reason we planted (and record in truth.parquet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from nbnb_cbs.synth.people import DESTINATIONS, Participants

__all__ = ["Addresses", "make_addresses", "registration_frame"]

OPEN_END = np.datetime64("2050-12-31")
PEILDATUM = np.datetime64("2022-03-31")
_LETTERS = np.array(list("ABCDEFGHJKLMNPRTUVWXYZ"))
_ADDITIONS = np.array(["1", "2", "3", "II", "BIS", "HS", "A", "4"])


@dataclass
class Addresses:
    """Canonical address parts per address row, with the person (row in the population) living there."""

    person: np.ndarray
    postcode: np.ndarray
    number: np.ndarray
    letter: np.ndarray
    addition: np.ndarray
    start: np.ndarray
    end: np.ndarray


def _postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    digits = rng.integers(1000, 10000, size=n).astype(str)
    first = rng.choice(_LETTERS, size=n)
    second = rng.choice(_LETTERS, size=n)
    pair = np.char.add(first, second)
    bad = np.isin(pair, ["SA", "SD", "SS"])
    pair = np.where(bad, "AB", pair)
    return np.char.add(digits, pair)


def _address_parts(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    postcode = _postcodes(rng, n)
    number = rng.integers(1, 250, size=n)
    letter = np.where(rng.random(n) < 0.10, rng.choice(_LETTERS[:6], size=n), "")
    addition = np.where(rng.random(n) < 0.10, rng.choice(_ADDITIONS, size=n), "")
    return postcode, number, letter, addition


def make_addresses(
    rng: np.random.Generator, n_part: int, housemate_of: np.ndarray, n_total: int
) -> tuple[Addresses, np.ndarray]:
    """Current addresses for everyone; housemates share their participant's address.

    Returns the addresses and, per participant, the index of the address row the registration
    was filled in from (usually the current one; for some who moved, the old one).
    """
    n_mates = housemate_of.size
    n_rest = n_total - n_part - n_mates
    pc, num, let, add = _address_parts(rng, n_part + n_rest)
    own = np.r_[np.arange(n_part), np.arange(n_part + n_mates, n_total)]
    # Everyone lives at their current address since before the programme started.
    moved_in = np.datetime64("2010-01-01") + rng.integers(0, 3000, size=n_total).astype(
        "timedelta64[D]"
    )
    # Participants who moved: an old address until some months before the reference date.
    movers = np.flatnonzero(rng.random(n_part) < 0.08)
    move_date = PEILDATUM - rng.integers(30, 400, size=movers.size).astype("timedelta64[D]")
    opc, onum, olet, oadd = _address_parts(rng, movers.size)
    person = np.r_[own, n_part + np.arange(n_mates), movers]
    postcode = np.r_[pc, pc[housemate_of], opc]
    number = np.r_[num, num[housemate_of], onum]
    letter = np.r_[let, let[housemate_of], olet]
    addition = np.r_[add, add[housemate_of], oadd]
    start = np.r_[moved_in[own], moved_in[housemate_of], moved_in[movers]]
    end = np.r_[np.full(n_part + n_rest + n_mates, OPEN_END), move_date - 1]
    # A mover's current address starts on the move date; the old one ran until the day before.
    start[movers] = move_date
    n_old = movers.size
    start[-n_old:] = np.minimum(start[-n_old:], move_date - 30) if n_old else start[-n_old:]
    addresses = Addresses(person, postcode, number, letter, addition, start, end)
    registered = np.arange(n_part)
    # Half of the movers were registered with their old address (a real source of lost links).
    stale = movers[rng.random(movers.size) < 0.5]
    old_rows = n_part + n_rest + n_mates + np.searchsorted(movers, stale)
    registered[stale] = old_rows
    return addresses, registered


def _house_field(
    rng: np.random.Generator, number: np.ndarray, letter: np.ndarray, addition: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Write canonical parts as people type them: (number field, separate addition field)."""
    n = number.size
    num = number.astype(str)
    low = np.char.lower(letter)
    style = rng.integers(0, 4, size=n)
    letter_forms = np.select(
        [style == 0, style == 1, style == 2],
        [
            np.char.add(num, low),
            np.char.add(np.char.add(num, " "), letter),
            np.char.add(num, letter),
        ],
        np.char.add(np.char.add(num, "-"), low),
    )
    base = np.where(letter == "", num, letter_forms)
    add_low = np.char.lower(addition)
    sep = np.where(np.isin(addition, ["BIS", "HS"]), " ", np.where(rng.random(n) < 0.5, "-", "/"))
    sep = np.where(np.isin(addition, ["II"]), "-", sep)
    joined = np.char.add(np.char.add(base, sep), np.where(rng.random(n) < 0.5, add_low, addition))
    in_field = rng.random(n) < 0.7
    field = np.where((addition != "") & in_field, joined, base)
    separate = np.where((addition != "") & ~in_field, add_low, "")
    pad = rng.random(n) < 0.05
    field = np.where(pad, np.char.add(np.char.add(" ", field), " "), field)
    return field, separate


def _dmy(column: str) -> pl.Expr:
    """Dates as Dutch exports write them: DD-MM-YYYY, empty when unknown."""
    return pl.col(column).dt.strftime("%d-%m-%Y").fill_null("")


_DUTCH_DESTINATIONS = {
    "work": ["betaald werk", "Betaald werk", "werk"],
    "education": ["opleiding", "reguliere opleiding"],
    "work_and_learn": ["leerwerktraject"],
    "work_experience": ["werkervaringsplaats"],
    "dropout": ["uitval", "niet afgerond"],
    "other": ["overig", "Overig"],
    "unknown": ["onbekend", ""],
}


def registration_frame(
    rng: np.random.Generator,
    people: Participants,
    addresses: Addresses,
    registered: np.ndarray,
    messiness: float,
) -> tuple[pl.DataFrame, np.ndarray]:
    """The projects' export (Dutch names and values) and what was corrupted, per participant."""
    n, m = people.n, messiness
    row = registered
    postcode = addresses.postcode[row]
    field, separate = _house_field(
        rng, addresses.number[row], addresses.letter[row], addresses.addition[row]
    )
    kind = np.full(n, "", dtype="<U24")
    u = rng.random(n)
    cuts = np.cumsum([0.015, 0.01, 0.015, 0.015, 0.01]) * m
    bad_pc = u < cuts[0]
    wrong_number = (u >= cuts[0]) & (u < cuts[1])
    no_year = (u >= cuts[1]) & (u < cuts[2])
    bad_sex = (u >= cuts[2]) & (u < cuts[3])
    bad_house = (u >= cuts[3]) & (u < cuts[4])
    field = np.where(wrong_number, (addresses.number[row] + 1).astype(str), field)
    separate = np.where(wrong_number, "", separate)
    field = np.where(bad_house, np.char.add("t/m ", field), field)
    kind[bad_pc] = "postcode_invalid"
    kind[wrong_number] = "wrong_house_number"
    kind[no_year] = "birth_year_missing"
    kind[bad_sex] = "sex_unknown"
    kind[bad_house] = "house_number_invalid"
    kind[(kind == "") & (row >= n)] = "moved"

    male_forms = rng.choice(np.array(["M", "man", "m", "1"]), size=n)
    female_forms = rng.choice(np.array(["V", "vrouw", "v", "2"]), size=n)
    sex = np.where(people.male, male_forms, female_forms)
    sex = np.where(bad_sex, rng.choice(np.array(["X", "onbekend", ""]), size=n), sex)
    full_date = (rng.random(n) < 0.25) & ~no_year

    c = rng.random(n)
    no_consent = c < 0.022
    consent = rng.choice(np.array(["ja", "Ja", "JA", "1"]), size=n)
    consent = np.where(no_consent, "nee", consent)
    consent = np.where((c >= 0.022) & (c < 0.022 + 0.004 * m), "", consent)
    kind[no_consent] = "no_consent"

    dest_forms = [_DUTCH_DESTINATIONS[d] for d in DESTINATIONS.tolist()]
    width = max(len(f) for f in dest_forms)
    table = np.array([[f[i % len(f)] for i in range(width)] for f in dest_forms])
    dest_text = table[people.destination, rng.integers(0, width, size=n)]
    style = rng.random(n)

    frame = pl.DataFrame(
        {
            "i": np.arange(1, n + 1),
            "project_no": people.project,
            "sectoral": people.sectoral,
            "consent": consent,
            "sex": sex,
            "birth": people.birth,
            "full_date": full_date,
            "no_year": no_year,
            "pc": postcode,
            "style": style,
            "bad_pc": bad_pc,
            "field": field,
            "separate": separate,
            "has_peil": rng.random(n) < 0.85,
            "entry": people.entry,
            "exit": people.exit,
            "dest": dest_text,
        }
    )
    spaced = pl.col("pc").str.slice(0, 4) + " " + pl.col("pc").str.slice(4, 2)
    shown = (
        pl.when(pl.col("bad_pc"))
        .then(pl.col("pc").str.slice(0, 4) + "S")
        .when(pl.col("style") < 0.4 * m)
        .then(spaced)
        .when(pl.col("style") > 1 - 0.1 * m)
        .then(pl.col("pc").str.to_lowercase())
        .otherwise(pl.col("pc"))
    )
    out = frame.select(
        deelnemer_id=pl.format("D{}", pl.col("i").cast(pl.String).str.zfill(5)),
        project=pl.format("Project {}", pl.col("project_no").cast(pl.String).str.zfill(2)),
        sectorale_insteek=pl.when(pl.col("sectoral")).then(pl.lit("ja")).otherwise(pl.lit("nee")),
        toestemming=pl.col("consent"),
        geslacht=pl.col("sex"),
        geboortedatum=pl.when(pl.col("full_date")).then(_dmy("birth")).otherwise(pl.lit("")),
        geboortejaar=pl.when(pl.col("no_year"))
        .then(pl.lit(""))
        .otherwise(pl.col("birth").dt.year().cast(pl.String)),
        postcode=shown,
        huisnummer=pl.col("field"),
        toevoeging=pl.col("separate"),
        peildatum=pl.when(pl.col("has_peil")).then(pl.lit("31-03-2022")).otherwise(pl.lit("")),
        instroomdatum=_dmy("entry"),
        uitstroomdatum=_dmy("exit"),
        uitstroom=pl.col("dest"),
    )
    return out, kind
