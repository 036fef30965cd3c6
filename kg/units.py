"""Codes for the words records use for units, dosing frequencies and routes.

Records keep writing what documents write (``unit: months``, ``frequency: once daily``,
``route: oral``, ``max_duration: 52 weeks``); the build adds, next to that text, the UCUM code of
a unit (case-sensitive form, system ``http://unitsofmeasure.org``) and the ontology individual
of a frequency or route (``cdek:OnceDaily``, ``cdek:OralRoute``), which carries its NCIt code
and, for a frequency, its FHIR-style timing (doses per period, period, period unit).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

__all__ = [
    "FREQUENCIES",
    "ROUTES",
    "TIME_CODES",
    "UCUM_SYSTEM",
    "UNITS",
    "UnknownTerm",
    "duration",
    "frequency",
    "route",
    "ucum",
]

UCUM_SYSTEM = "http://unitsofmeasure.org"

# word -> UCUM code. Sources: FHIR ValueSet units-of-time (s min h d wk mo a); the UCUM common
# units list (%, 1, mg, g, ug, mg/kg, mg/m2); UCUM §12: an annotation in curly braces such as
# {patients} means the unity 1 with a name, which is how counts of things are written.
UNITS: Mapping[str, str] = MappingProxyType(
    {
        "percent": "%",
        "%": "%",
        "pct": "%",
        "ratio": "1",
        "1": "1",
        "patients": "{patients}",
        "patient": "{patients}",
        "events": "{events}",
        "event": "{events}",
        "treatment lines": "{treatment-lines}",
        "lines": "{treatment-lines}",
        "days": "d",
        "day": "d",
        "d": "d",
        "weeks": "wk",
        "week": "wk",
        "wk": "wk",
        "months": "mo",
        "month": "mo",
        "mo": "mo",
        "years": "a",
        "year": "a",
        "a": "a",
        "hours": "h",
        "hour": "h",
        "h": "h",
        "mg": "mg",
        "g": "g",
        "ug": "ug",
        "µg": "ug",
        "mg/kg": "mg/kg",
        "mg/m2": "mg/m2",
        "mg/m²": "mg/m2",
    }
)

# the UCUM codes of lengths of time (a time point, a duration, the period of a frequency)
TIME_CODES = frozenset({"h", "d", "wk", "mo", "a"})

# word -> the cdek:DosingFrequency individual (ontology/cdek.ttl holds its codes and timing)
FREQUENCIES: Mapping[str, str] = MappingProxyType(
    {
        "once daily": "OnceDaily",
        "daily": "OnceDaily",
        "qd": "OnceDaily",
        "twice daily": "TwiceDaily",
        "bid": "TwiceDaily",
        "weekly": "OnceWeekly",
        "once weekly": "OnceWeekly",
        "qw": "OnceWeekly",
        "every 3 weeks": "EveryThreeWeeks",
        "q3w": "EveryThreeWeeks",
    }
)

# word -> the cdek:RouteOfAdministration individual
ROUTES: Mapping[str, str] = MappingProxyType(
    {
        "oral": "OralRoute",
        "po": "OralRoute",
        "intravenous": "IntravenousRoute",
        "iv": "IntravenousRoute",
        "subcutaneous": "SubcutaneousRoute",
        "sc": "SubcutaneousRoute",
    }
)


class UnknownTerm(ValueError):
    """A unit, frequency or route this module has no code for."""

    def __init__(self, kind: str, word: str, known: Mapping[str, str]) -> None:
        shown = ", ".join(sorted({k for k in known if not k.isdigit()}))
        super().__init__(
            f"unknown {kind} {word!r}; known: {shown} "
            "(a new one needs a verified code in kg/units.py)"
        )
        self.kind = kind
        self.word = word


def _key(word: str) -> str:
    return re.sub(r"[\s_\-]+", " ", word.strip()).casefold()


def _lookup(kind: str, word: str, table: Mapping[str, str]) -> str:
    found = table.get(_key(word)) if isinstance(word, str) else None
    if found is None:
        raise UnknownTerm(kind, str(word), table)
    return found


def ucum(word: str) -> str:
    """The UCUM code of a unit as records write it: ``months`` -> ``mo``, ``%`` -> ``%``."""
    if isinstance(word, str) and word.strip() in UNITS.values():
        return word.strip()  # already a code (case matters in UCUM: keep it as written)
    return _lookup("unit", word, UNITS)


def frequency(word: str) -> str:
    """The local name of the cdek:DosingFrequency: ``once daily`` -> ``OnceDaily``."""
    return _lookup("frequency", word, FREQUENCIES)


def route(word: str) -> str:
    """The local name of the cdek:RouteOfAdministration: ``oral`` -> ``OralRoute``."""
    return _lookup("route", word, ROUTES)


def duration(text: str) -> tuple[Decimal, str]:
    """A length of time as written, ``52 weeks``, as its number and UCUM unit: (52, ``wk``)."""
    pattern = r"\s*(\d+(?:[.,]\d+)?)\s*(\S.*?)\s*"
    found = re.fullmatch(pattern, text) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"not a duration: {text!r}; write a number and a unit, e.g. '52 weeks'")
    try:
        number = Decimal(found[1].replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise ValueError(f"not a duration: {text!r}") from None
    code = ucum(found[2])
    if code not in TIME_CODES:
        raise ValueError(f"{text!r} is not a length of time (its unit is {code!r})")
    return number, code
