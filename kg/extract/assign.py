"""Which endpoint, arm and time point a number in a sentence belongs to.

Each function answers None when the text does not settle it: a number whose arm is unsure is
better left undrafted than drafted for the wrong arm.
"""

from __future__ import annotations

import re

from kg.extract.design import Arm, Study
from kg.extract.entities import Lexicon, Mention
from kg.extract.patterns import Number
from kg.extract.text import Segment

__all__ = ["ArmMention", "arm_mentions", "arm_of", "endpoint_before", "time_point_before"]

_NOT_RESULT_ENDPOINTS = {"crossover", "toxicity", "death", "progression"}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12}


class ArmMention(Mention):
    """A mention of an arm: a drug it received, placebo, observation."""


def arm_mentions(
    text: str, sentence: Segment, study: Study, lex: Lexicon
) -> list[tuple[Arm, int, int]]:
    """The arms a sentence names, in order: (arm, start, end)."""
    found: list[tuple[Arm, int, int]] = []
    for mention in lex.mentions("drug", text, sentence.start, sentence.end):
        arm = study.arm_of_drug(mention.entity.key)
        if arm is not None:
            found.append((arm, mention.start, mention.end))
    for arm in study.arms.values():
        if arm.placebo or arm.observation:
            word = "placebo" if arm.placebo else r"observation|control"
            for match in re.finditer(rf"\b(?:{word})\b", text[sentence.start : sentence.end], re.I):
                found.append((arm, sentence.start + match.start(), sentence.start + match.end()))
    return sorted(found, key=lambda item: item[1])


def arm_of(
    text: str,
    value: Number,
    arms: list[tuple[Arm, int, int]],
    *,
    after_limit: int,
    before_limit: int,
) -> Arm | None:
    """The arm named right after a value ("81% ... in the sorafenib group"), else the one named
    just before it within the same clause ("with sorafenib were 22%")."""
    for arm, start, _ in arms:
        if value.end <= start < after_limit:
            between = text[value.end : start]
            if re.search(
                r"\b(?:in|with|for|among|on|receiving|given|of)\b", between, re.I
            ) and not re.search(
                r"\bvs\.?\b|\bversus\b|\bcompared\b|\bwhile\b|\bwhereas\b", between, re.I
            ):
                return arm
            break
    for arm, _, end in reversed(arms):
        if before_limit <= end <= value.start:
            between = text[end : value.start]
            if (
                len(between) > 40
                or re.search(r"[;:,()]|\bwhile\b|\bwhereas\b", between)
                or "respectively" in text[value.end : value.end + 250].split(". ")[0]
            ):
                return None
            return arm
    return None


def endpoint_before(
    text: str, lex: Lexicon, sentence: Segment, at: int, *, rate: bool | None = None
) -> Mention | None:
    """The endpoint named last before ``at`` in the sentence (or, failing that, the first after
    it when the sentence names just one)."""
    mentions = [
        m
        for m in lex.mentions("endpoint", text, sentence.start, sentence.end)
        if m.entity.key not in _NOT_RESULT_ENDPOINTS
        and not _bracketed(text, sentence.start, m.start)
    ]
    before = [m for m in mentions if m.end <= at]
    if before:
        return before[-1]
    keys = {m.entity.key for m in mentions}
    return mentions[0] if len(keys) == 1 else None


_TIME = re.compile(
    r"(?P<n>\d+|one|two|three|four|five|six|twelve)[\s-]*(?P<unit>year|month|week)s?\b"
    r"(?![\s-]*(?:old|of age))",
    re.I,
)


def time_point_before(text: str, start: int, at: int) -> tuple[Number, str] | None:
    """The landmark time last named before ``at`` ("2-year", "at 12 months") and its unit."""
    last = None
    for match in _TIME.finditer(text, start, at):
        last = match
    if last is None:
        return None
    raw = last["n"]
    number = Number(raw, last.start("n"), last.end("n"))
    return number, last["unit"].lower() + "s"


def _bracketed(text: str, start: int, at: int) -> bool:
    """Whether ``at`` lies inside brackets opened after ``start``."""
    opened = text.count("(", start, at) + text.count("[", start, at)
    return opened > text.count(")", start, at) + text.count("]", start, at)
