"""Calendar dates to the precision a source gives: a day, a month or only a year.

"From October 2008" is a month, not the first of October: a record writes ``2008-10`` and the
graph keeps it as ``"2008-10"^^xsd:gYearMonth`` (``2008`` as ``xsd:gYear``), never inventing
a day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rdflib is imported where a literal is made: checking records needs none
    from rdflib import Literal, URIRef

__all__ = ["PartialDate", "partial_date_of"]

_FORM = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class PartialDate:
    """A year, a year and month, or a full date (``month`` and ``day`` None when not given)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs its month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"no month {self.month} in {self.year}")
        if self.day is not None:
            dt.date(self.year, self.month or 1, self.day)  # raises on 2013-02-30

    @property
    def precision(self) -> str:
        """``day``, ``month`` or ``year``."""
        return "day" if self.day is not None else "month" if self.month is not None else "year"

    @property
    def datatype(self) -> URIRef:
        """``xsd:date``, ``xsd:gYearMonth`` or ``xsd:gYear``."""
        from rdflib import XSD

        return {"day": XSD.date, "month": XSD.gYearMonth, "year": XSD.gYear}[self.precision]

    def literal(self) -> Literal:
        """The RDF literal, typed to the precision given."""
        from rdflib import Literal

        return Literal(str(self), datatype=self.datatype)

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text


def partial_date_of(raw: Any) -> PartialDate:
    """``2014-03-21``, ``2008-10`` or ``2008`` (a YAML date, string or integer)."""
    if isinstance(raw, PartialDate):
        return raw
    if isinstance(raw, dt.datetime):
        raise ValueError(f"a date without a time of day, got {raw!r}")
    if isinstance(raw, dt.date):
        return PartialDate(raw.year, raw.month, raw.day)
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise ValueError(f"expected a date (YYYY-MM-DD, YYYY-MM or YYYY), got {raw!r}")
    found = _FORM.fullmatch(raw.strip())
    if found is None:
        raise ValueError(
            f"not a date: {raw!r}; write YYYY-MM-DD, or YYYY-MM or YYYY when the source gives "
            "no day (or no month)"
        )
    year, month, day = (int(part) if part else None for part in found.groups())
    return PartialDate(year, month, day)  # type: ignore[arg-type]
