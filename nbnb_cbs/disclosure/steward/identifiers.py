"""Identifier-like content and names of projects or organisations, found by pattern.

Patterns look at what a value is, whatever its column is called: person numbers (RINPERSOON,
9 digits), citizen numbers (BSN, the 11-test), PC6 postcodes, full dates (a date of birth),
record ids as ``linkage prepare`` writes them (K + 11 digits) and hashed ids (long hex strings).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Sequence

__all__ = [
    "identifier_in_name",
    "identifier_in_text",
    "organisation_in_name",
    "organisation_in_text",
]

_DIGITS = re.compile(r"(?<!\d)(?<!\d\.)\d{8,9}(?!\d|\.\d)")
_LONG_NUMBER = re.compile(r"(?<!\d)(?<!\d\.)\d{10,}(?!\d|\.\d)")
_PC6 = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{3} ?[A-Za-z]{2}(?![A-Za-z0-9])")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_EU_DATE = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_RECORD_ID = re.compile(r"(?<![0-9A-Za-z])K\d{11}(?!\d)", re.IGNORECASE)
_HEX = re.compile(r"(?<![0-9A-Za-z.])(?=[0-9]*[a-fA-F])[0-9a-fA-F]{16,}(?![0-9A-Za-z])")
_TOKEN = re.compile(r"[a-z]+|\d+")

# Column-name tokens that name a person, a key or a linkage id (compared after lower-casing
# and splitting on anything but letters and digits).
_ID_TOKENS = {
    "rin", "rinpersoon", "rinpersoons", "rinadres", "bsn", "burgerservicenummer", "sofinummer",
    "persoonsnummer", "persoonsnr", "anummer", "id", "ids", "key", "keys", "sleutel", "hash",
    "hashed", "crypt", "pseudonym", "pseudoniem", "recordid", "participantid", "personid",
    "deelnemer", "deelnemerid", "deelnemernummer", "geboortedatum", "birthdate", "dob",
    "postcode", "postcode6", "pc6", "huisnummer", "adres", "address", "ikvid", "beid", "sbeid",
}  # fmt: skip
_ID_JOINED = ("rinpersoon", "persoonsnummer", "burgerservicenummer", "anummer", "bsn")
_ORG_TOKENS = {
    "project", "projects", "projectcode", "projectnaam", "projectnummer", "projectid",
    "organisation", "organisations", "organization", "organizations", "organisatie",
    "organisaties", "org", "orgs", "gemeente", "gemeenten", "gemeentecode", "municipality",
    "instelling", "stichting", "uitvoerder", "aanbieder", "provider", "site", "sites",
    "locatie", "locaties", "location", "locations", "vestiging", "vestigingen",
}  # fmt: skip
_ORG_TEXT = re.compile(
    r"\b(project|projects|projectcode|organi[sz]ation|organisatie|gemeente|stichting|"
    r"municipality)\b",
    re.IGNORECASE,
)


_STANDALONE_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])")


def small_number_in(text: str, threshold: int) -> str | None:
    """A number below the threshold standing on its own in a label ('true (4)', "'woman: 5, in
    work 3'"); labels such as '30-39', '<25', '40+', 'worked_1m' or '2019-01' hold none."""
    for match in _STANDALONE_NUMBER.finditer(text.replace("-", " ")):
        if 0 < float(match.group(0).replace(",", ".")) < threshold:
            return f"the number {match.group(0)}"
    return None


# A number spelled out (titles say "at least one month": one is the tool's own word); "_" bounds
# a word here too ("in_work_six_of_fifteen", red team 23). A group of so many is one too
# ("zestal deelnemers, viertal gekoppeld" and a model named "vrouw_viertal" passed steward
# check 58): the Dutch -tal and -ling words, and trio..nonet.
_NUMBER_WORD = re.compile(
    r"(?<![A-Za-z])(?:(?:two|three|four|five|six|seven|eight|nine|twee|drie|vier|vijf|zes|zeven|"
    r"acht|negen)(?:tal(?:len)?)?|(?:drie|vier|vijf|zes|zeven|acht|negen)ling(?:en)?|trio|"
    r"quartet|quintet|sextet|septet|octet|nonet|half[ _-]?(?:a[ _-]?)?(?:dozen|dozijn))"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)


def number_in_name(text: str) -> str | None:
    """A number spelled out in a name, label or text ('age_group: 40+ six in work'), if any."""
    if match := _NUMBER_WORD.search(text):
        return f"the number {match.group(0)!r}"
    return None


def non_latin(text: str) -> str | None:
    """A letter from another script ('Prоject' with a Cyrillic o), if any: names are written
    in Latin letters (accents allowed), so a look-alike letter only hides a name from the checks."""
    for char in text:
        if char.isalpha() and not unicodedata.name(char, "").startswith("LATIN"):
            return f"the letter {char!r} ({unicodedata.name(char, 'unnamed').title()})"
    return None


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()
    return _TOKEN.findall(spaced)


def identifier_in_name(name: str) -> bool:
    """Whether a column name says it holds an identifier (rinpersoon_id, RIN, bsn, anummer...)."""
    tokens = _tokens(name)
    joined = "".join(tokens)
    return bool(set(tokens) & _ID_TOKENS) or joined in _ID_TOKENS or joined.startswith(_ID_JOINED)


def organisation_in_name(name: str) -> bool:
    """Whether a column name says it holds projects or organisations."""
    tokens = _tokens(name)
    return bool(set(tokens) & _ORG_TOKENS) or "".join(tokens) in _ORG_TOKENS


def _eleven_test(digits: str) -> bool:
    number = digits.zfill(9)
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return (
        sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11 == 0 and int(number) > 0
    )


def _real_date(year: str, month: str, day: str) -> bool:
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return 1900 <= int(year) <= 2100


@functools.lru_cache(maxsize=4096)
def identifier_in_text(text: str, *, prose: bool = False) -> str | None:
    """What kind of identifier ``text`` holds, if any (a short phrase for the finding). In
    ``prose`` (titles, notes) a postcode counts only as the whole text: "in 2021 by" is none."""
    for found in _DIGITS.finditer(text):
        digits = found.group()
        if _eleven_test(digits):
            return f"a citizen number (BSN, passes the 11-test): {digits}"
        if len(digits) == 9:
            return f"a 9-digit person number (like RINPERSOON): {digits}"
        if _real_date(digits[:4], digits[4:6], digits[6:]):
            return f"a full date (yyyymmdd, could be a date of birth): {digits}"
    if match := _LONG_NUMBER.search(text):
        return f"a long number (an identifier?): {match.group()}"
    if match := _RECORD_ID.search(text):
        return f"a record id as linkage prepare writes them: {match.group()}"
    if match := _HEX.search(text):
        return f"a hashed id (long hex string): {match.group()[:20]}"
    if (match := _ISO_DATE.search(text)) and _real_date(*match.groups()):
        return f"a full date (could be a date of birth): {match.group()}"
    if (match := _EU_DATE.search(text)) and _real_date(*reversed(match.groups())):
        return f"a full date (could be a date of birth): {match.group()}"
    match = _PC6.fullmatch(text.strip()) if prose else _PC6.search(text)
    if match:
        return f"a PC6 postcode: {match.group()}"
    return None


def _compact(text: str) -> str:
    """Letters and digits only, numbers without leading zeros: 'Project 08' -> 'project8'."""
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", re.sub(r"[^0-9a-z]", "", text.lower()))


def organisation_in_text(text: str, projects: Sequence[str], *, generic: bool = True) -> str | None:
    """Which project or organisation ``text`` names, if any: a name from the review's project
    list, or (``generic``) a word such as project, organisation or gemeente."""
    return _organisation(text, tuple(projects), generic)


@functools.lru_cache(maxsize=4096)
def _organisation(text: str, projects: tuple[str, ...], generic: bool) -> str | None:
    low = text.strip().lower()
    compact = _compact(low)
    for name in projects:
        plain = name.strip().lower()
        if plain and re.search(rf"(?<![a-z0-9]){re.escape(plain)}(?![a-z0-9])", low):
            return f"the project {name!r} (export-review/projects.json)"
        # A name with a number, written together or with leading zeros ('project08' for
        # 'Project 8', red team 27), and not the start of a longer number.
        joined = _compact(plain)
        if any(c.isdigit() for c in joined) and re.search(
            rf"{re.escape(joined)}(?![0-9])", compact
        ):
            return f"the project {name!r} (export-review/projects.json)"
    if generic and (match := _ORG_TEXT.search(text)):
        return f"a project or organisation ({match.group()!r})"
    return None
