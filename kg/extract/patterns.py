"""The grammar of numeric statements in trial reports: values, intervals, p-values, counts.

Every match keeps the text of each number as the document writes it and its offsets, so a draft
can state nothing its span does not hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "NUMBER",
    "Interval",
    "Number",
    "Tail",
    "count_of",
    "hazard_ratios",
    "intervals",
    "numbers",
    "percents",
    "read_tail",
]

# a number as written: 12.7, 3,6 (decimal comma), −18 (unicode minus), .03; not part of a word,
# an identifier (NCT01234567) or a longer number
NUMBER = r"(?<![\w.,/])(?:[-−–](?=\d))?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?![\w]|[.,]\d)"
_NUM = re.compile(NUMBER)
_OPEN = r"(?:not\s+reached|not\s+estimable|not\s+evaluable|NR|NE|NA)"
_DASH = r"(?:\s*(?:to|[-‐–—−]|,|;|and)\s*)"


@dataclass(frozen=True)
class Number:
    """A number as written and where: ``text`` is ``document[start:end]``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Interval:
    """A confidence interval (``level`` in percent) or a range/IQR, each bound as written."""

    low: Number
    high: Number | None  # None: not reached / not estimable (written as ``open``)
    level: Number | None = None
    open: str | None = None
    kind: str = "ci"  # ci, iqr, range


@dataclass(frozen=True)
class Tail:
    """What follows a value: its interval, p-value and count, and where the statement ends."""

    ci: Interval | None
    dispersion: Interval | None
    p_value: str | None
    p_at: tuple[int, int] | None
    count: Number | None
    denominator: Number | None
    end: int


def numbers(text: str, start: int = 0, end: int | None = None) -> list[Number]:
    """Every number in ``text[start:end]``."""
    stop = len(text) if end is None else end
    return [Number(m.group(), m.start(), m.end()) for m in _NUM.finditer(text, start, stop)]


def _n(match: re.Match[str], group: str) -> Number | None:
    if match.group(group) is None:
        return None
    return Number(match.group(group), match.start(group), match.end(group))


_B = r"[\[(]?\s*"
_E = r"\s*[\])]?"
_LEVEL = r"(?P<level>\d{2}(?:[.,]\d+)?)\s*%"
_CI_WORD = r"(?:confidence\s+interval|CI|C\.I\.|CrI|IC)"
# "95% CI, 0.21 to 0.47", "95% confidence interval [CI], 58 to 83", "95%CI 14-NA", "IC 95%
# [2,7-5,1]", "95% CI: 0.61, 0.88", "( 95% 22-NA )"
_CI = re.compile(
    rf"(?:{_LEVEL}\s*(?:{_CI_WORD})?(?:\s*[\[(]CI[\])])?"
    rf"|{_CI_WORD}\s*{_LEVEL.replace('level', 'level2')}|{_CI_WORD})\s*[:,=]?\s*{_B}"
    rf"(?P<low>{NUMBER})%?{_DASH}(?:(?P<high>{NUMBER})%?|(?P<open>{_OPEN})){_E}",
    re.I,
)
_DISPERSION = re.compile(
    rf"(?P<kind>interquartile\s+range|IQR|range)\s*[:,=]?\s*{_B}(?P<low>{NUMBER}){_DASH}"
    rf"(?P<high>{NUMBER}){_E}",
    re.I,
)
_P = re.compile(
    r"(?<![A-Za-z])[Pp](?:\s*[-‐]?\s*value)?\s*(?P<rel><=|>=|[=<>≤≥])\s*(?P<p>0?[.,]\d+|1(?:\.0+)?)"
    r"(?![\d])"
)
_COUNT = re.compile(
    rf"(?P<count>{NUMBER})\s*(?:of|/|out\s+of)\s*(?P<den>{NUMBER})(?!\s*%)",
)
# what may stand between a value and its interval: a unit, a word or two, an opening bracket
_GAP = re.compile(r"(?:\s*(?:(?:months?|mo|years?|weeks?|days?|percent)\b|%))?[\s,;:(\[]*")


def read_tail(text: str, at: int, limit: int = 160) -> Tail:
    """The interval, dispersion, p-value and count that follow a value ending at ``at``."""
    stop = min(len(text), at + limit)
    ci = dispersion = count = denominator = None
    p_value = p_at = None
    position = _GAP.match(text, at, stop).end()  # type: ignore[union-attr]
    progressed = True
    while progressed and position < stop:
        progressed = False
        for kind, pattern in (("ci", _CI), ("disp", _DISPERSION), ("p", _P), ("count", _COUNT)):
            match = pattern.match(text, position, stop)
            if match is None:
                continue
            if kind == "ci" and ci is None:
                level = _n(match, "level") or _n(match, "level2")
                low, high = _n(match, "low"), _n(match, "high")
                between = text[low.end : high.start if high else match.end()] if low else ""
                if low is not None and "," in low.text and "," in between:
                    break  # "[2,4,9]": a decimal comma and a comma between bounds: unreadable
                ci = Interval(low, high, level, match["open"])  # type: ignore[arg-type]
            elif kind == "disp" and dispersion is None:
                word = match["kind"].lower()
                kind_ = "range" if word == "range" else "iqr"
                dispersion = Interval(_n(match, "low"), _n(match, "high"), kind=kind_)  # type: ignore[arg-type]
            elif kind == "p" and p_value is None:
                p_value = f"{match['rel']}{match['p']}"
                p_at = (match.start(), match.end())
            elif kind == "count" and count is None:
                count, denominator = _n(match, "count"), _n(match, "den")
            else:
                continue
            position = match.end()
            gap = re.compile(r"[\s,;:)\]]*(?:\s*(?:patients|participants)\b)?[\s,;:(\[]*")
            position = gap.match(text, position, stop).end()  # type: ignore[union-attr]
            progressed = True
            break
    return Tail(ci, dispersion, p_value, p_at, count, denominator, position)


_HR = re.compile(
    rf"(?:hazard\s+ratio|\bHR)(?:\s+(?:for|of)\s+[^\d=;:()\[\]]{{1,60}}?)?\s*(?:\)\s*)?"
    rf"(?:[,:=]|\bwas\b|\bof\b|\bwere\b)?\s*(?:[\[(]HR[\])]\s*)?(?:\(\s*)?(?P<v>{NUMBER})(?!\s*%)",
    re.I,
)


def hazard_ratios(text: str, start: int, end: int) -> list[Number]:
    """The hazard ratios stated in ``text[start:end]`` (the value only; see :func:`read_tail`)."""
    return [_n(m, "v") for m in _HR.finditer(text, start, end)]  # type: ignore[misc]


_PERCENT = re.compile(rf"(?P<v>{NUMBER})\s*(?:%|\s+percent\b)")


def intervals(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where the intervals (CI, range, IQR) of ``text[start:end]`` stand: their numbers are
    bounds, not statements of their own."""
    found = []
    for pattern in (_CI, _DISPERSION):
        position = start
        while (match := pattern.search(text, position, end)) is not None:
            found.append((match.start(), match.end()))
            position = match.end()
    return found


def percents(text: str, start: int, end: int) -> list[Number]:
    """The percentages in ``text[start:end]``, not the level or a bound of an interval."""
    inside = intervals(text, start, end)
    found = []
    for match in _PERCENT.finditer(text, start, end):
        if any(s <= match.start() < e for s, e in inside):
            continue
        before = text[max(0, match.start() - 6) : match.start()]
        if re.search(r"(?:IC|CI)\s*$", before):  # "IC 95%": the level
            continue
        if re.match(r"\s*(?:confidence\s+intervals?|CIs?\b|C\.I\.)", text[match.end() : end]):
            continue  # "with its 95% confidence interval": a level without bounds
        found.append(_n(match, "v"))
    return found  # type: ignore[return-value]


def count_of(text: str, start: int, end: int) -> tuple[Number, Number] | None:
    """The first "12 of 40" or "12/40" in ``text[start:end]``."""
    match = _COUNT.search(text, start, end)
    return (_n(match, "count"), _n(match, "den")) if match else None  # type: ignore[return-value]
