"""Parse the many ways documents write numbers, intervals, p-values and names.

Every parser returns exact :class:`~decimal.Decimal` values (never floats), so a
"0.13" in a document stays "0.13" in the graph.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = [
    "Interval",
    "NameIndex",
    "PValue",
    "Valued",
    "decimal_of",
    "interval_of",
    "numbers_in_text",
    "p_value_of",
    "slug",
    "valued_of",
]

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"  # hyphens, en/em dash, minus sign
_MISSING = {"na", "n/a", "ne", "nr", "not reached", "not estimable", "none", ""}
_RELATIONS = {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "≤": "<=", "≥": ">=", "=": "=", "~": "~"}
_APPROX_WORDS = ("approximately", "nearly", "about", "almost", "around")


def _clean(text: str) -> str:
    for dash in _DASHES:
        text = text.replace(dash, "-")
    return text.strip()


def decimal_of(raw: object) -> Decimal:
    """A number written as ``4,1``, ``4.1``, ``73%``, ``−26`` or a YAML int/float."""
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, got {raw!r}")
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    if not isinstance(raw, str):
        raise ValueError(f"expected a number, got {raw!r}")
    text = _clean(raw).rstrip("%").strip()
    if re.fullmatch(r"-?\d+,\d+", text):  # decimal comma, as in "4,1"
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number: {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {raw!r}")
    return value


def _bound(raw: str) -> Decimal | None:
    return None if raw.strip().lower() in _MISSING else decimal_of(raw)


@dataclass(frozen=True)
class Interval:
    """A two-sided interval; a bound the document gives as NA is ``None``."""

    low: Decimal | None
    high: Decimal | None


_DEC = r"-?\d+(?:[.,]\d+)?"
_BOUND = rf"(?:{_DEC}|NA|NE|NR)"
_INTERVAL_PATTERNS = (
    # "3,2-4,8" with decimal commas on both sides
    re.compile(r"^\[?\s*(-?\d+,\d+)\s*-\s*(-?\d+,\d+)\s*\]?$"),
    # "69 to 96", "-100 to 7"
    re.compile(rf"^\[?\s*({_BOUND})\s+to\s+({_BOUND})\s*\]?$", re.I),
    # "46-84", "10-NA", "[10.6-20.2]"
    re.compile(rf"^\[?\s*({_BOUND})\s*-\s*({_BOUND})\s*\]?$", re.I),
    # "0.05, 0.31" or "[2.1; 4.6]"
    re.compile(rf"^\[?\s*({_DEC})\s*[;]\s*({_DEC})\s*\]?$"),
)


def interval_of(raw: object) -> Interval:
    """An interval from ``[low, high]``, ``"69 to 96"``, ``"3,2-4,8"`` or ``"10-NA"``."""
    if isinstance(raw, Interval):
        return raw
    if isinstance(raw, (list, tuple)):
        if len(raw) != 2:
            raise ValueError(f"an interval needs two bounds, got {raw!r}")
        low, high = (None if b is None else _bound(str(b)) for b in raw)
        return _checked(Interval(low, high), raw)
    if isinstance(raw, dict):
        return _checked(
            Interval(
                None if raw.get("low") is None else _bound(str(raw["low"])),
                None if raw.get("high") is None else _bound(str(raw["high"])),
            ),
            raw,
        )
    if not isinstance(raw, str):
        raise ValueError(f"not an interval: {raw!r}")
    text = re.sub(r"^(95|90|99)\s*%\s*(CI|IC)?\s*", "", _clean(raw), flags=re.I)
    for pattern in _INTERVAL_PATTERNS:
        match = pattern.match(text)
        if match:
            return _checked(Interval(_bound(match[1]), _bound(match[2])), raw)
    raise ValueError(f"not an interval: {raw!r}")


def _checked(interval: Interval, raw: object) -> Interval:
    if interval.low is not None and interval.high is not None and interval.low > interval.high:
        raise ValueError(f"interval low bound above its high bound: {raw!r}")
    return interval


@dataclass(frozen=True)
class PValue:
    """A p-value with its relation, as in ``P<0.001`` (relation ``<``)."""

    value: Decimal
    relation: str = "="


def p_value_of(raw: object) -> PValue:
    """A p-value from ``"P<0.001"``, ``"p = 0.04"``, ``0.04`` or ``"<.001"``."""
    if isinstance(raw, PValue):
        return raw
    if isinstance(raw, dict):
        value = decimal_of(raw["value"])
        relation = _RELATIONS.get(str(raw.get("relation", "=")))
        if relation is None:
            raise ValueError(f"unknown p-value relation in {raw!r}")
        return _p_checked(PValue(value, relation), raw)
    if not isinstance(raw, str):
        return _p_checked(PValue(decimal_of(raw)), raw)
    match = re.fullmatch(r"\s*(?:p\s*)?(<=|>=|[<>=≤≥])?\s*(\d*[.,]?\d+)\s*", raw, re.I)
    if not match:
        raise ValueError(f"not a p-value: {raw!r}")
    digits = match[2].replace(",", ".")
    if digits.startswith("."):
        digits = "0" + digits
    return _p_checked(PValue(Decimal(digits), _RELATIONS[match[1] or "="]), raw)


def _p_checked(p: PValue, raw: object) -> PValue:
    if not Decimal(0) <= p.value <= Decimal(1):
        raise ValueError(f"p-value outside 0..1: {raw!r}")
    return p


@dataclass(frozen=True)
class Valued:
    """A stated value with its relation: ``<1%`` is ``Valued(1, "<")``."""

    value: Decimal
    relation: str = "="


def valued_of(raw: object) -> Valued:
    """A value with an optional relation: ``"<1"``, ``"approximately 37"``, ``"4,1"``."""
    if isinstance(raw, Valued):
        return raw
    if not isinstance(raw, str):
        return Valued(decimal_of(raw))
    text = _clean(raw)
    lowered = text.lower()
    for word in _APPROX_WORDS:
        if lowered.startswith(word):
            return Valued(decimal_of(text[len(word) :]), "~")
    match = re.fullmatch(r"(<=|>=|[<>=~≤≥])\s*(.+)", text)
    if match:
        return Valued(decimal_of(match[2]), _RELATIONS[match[1]])
    return Valued(decimal_of(text))


@functools.lru_cache(maxsize=1 << 16)  # a build slugs the same few thousand keys ~25 times each
def slug(text: str) -> str:
    """A lower-case, hyphenated, IRI-safe form of a label or key."""
    text = _clean(text).lower().replace("+", " plus ").replace("%", " pct ")
    text = re.sub(r"[^a-z0-9.]+", "-", text)
    return re.sub(r"-{2,}", "-", text).strip("-.") or "x"


# not inside a word ("VEGFR2"), but a version after a lone v ("RECIST v1.1")
_NUMBER_IN_TEXT = re.compile(r"(?:(?<![\w.])|(?<=\b[vV]))[-−]?\d+(?:[.,]\d+)?")
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
_UNITS += " fifteen sixteen seventeen eighteen nineteen"
_WORDS = {w: i for i, w in enumerate(_UNITS.split())} | {"no": 0, "none": 0, "single": 1}
_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    )
    if i > 1
}
_NUMBER_WORD = re.compile(
    r"\b("
    + "|".join(_TENS)
    + r")(?:-("
    + "|".join(list(_WORDS)[1:10])
    + r"))?\b|\b("
    + "|".join(_WORDS)
    + r")\b",
    re.I,
)


_FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4}
_FRACTIONS |= {"fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5}
_FRACTION_WORD = re.compile(r"\b(" + "|".join(_FRACTIONS) + r")\b", re.I)


def numbers_in_text(text: str) -> set[Decimal]:
    """Every number a span of text states, in digits or words, reading decimal commas too.

    ``"4,1"`` yields both 4.1 and the pair 4 and 1, since a comma may also
    separate two integers in a table cell.
    """
    found: set[Decimal] = set()
    for match in _NUMBER_IN_TEXT.finditer(_clean(text)):
        token = match.group().replace("−", "-")
        found.add(decimal_of(token))
        if "," in token:
            found.update(decimal_of(part) for part in token.split(",") if part.strip("-"))
    for match in _NUMBER_WORD.finditer(text):
        tens, unit, word = (g.lower() if g else None for g in match.groups())
        found.add(Decimal(_WORDS[word] if word else _TENS[tens] + (_WORDS[unit] if unit else 0)))
    # the denominator of a fraction in words: "two-thirds" states 2 and 3, "a quarter" 4
    found.update(Decimal(_FRACTIONS[m.group(1).lower()]) for m in _FRACTION_WORD.finditer(text))
    found |= {abs(n) for n in found}
    return found


class NameIndex:
    """Resolves names, synonyms, abbreviations and near-misspellings to entity keys."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._exact: dict[str, str] = {}

    @staticmethod
    def fold(name: str) -> str:
        """The form names are compared in: lower case, dashes, spaces and quotes alike."""
        return re.sub(r"[\s\-_'’]+", " ", _clean(name).lower()).strip()

    def add(self, key: str, *names: str) -> None:
        """Register ``key`` under its own name and each synonym."""
        for name in (key, *names):
            folded = self.fold(name)
            known = self._exact.get(folded)
            if known is not None and known != key:
                raise ValueError(f"{self.kind} name {name!r} is used by both {known!r} and {key!r}")
            self._exact[folded] = key

    def __contains__(self, name: str) -> bool:
        return self.fold(name) in self._exact

    def resolve(self, name: str) -> tuple[str, str | None]:
        """The key for ``name`` and, when only a close spelling matched, a warning."""
        folded = self.fold(name)
        if folded in self._exact:
            return self._exact[folded], None
        if len(folded) < 5:  # short names (KIT, AS, SS) must match exactly
            raise KeyError(f"unknown {self.kind} {name!r}")
        close = difflib.get_close_matches(folded, list(self._exact), n=2, cutoff=0.8)
        if len(close) == 1 or (close and self._exact[close[0]] == self._exact[close[-1]]):
            key = self._exact[close[0]]
            return key, f"{self.kind} name {name!r} read as {key!r} (close spelling)"
        raise KeyError(f"unknown {self.kind} {name!r}")
