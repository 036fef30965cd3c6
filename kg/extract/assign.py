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

__all__ = [
    "ArmMention",
    "arm_mentions",
    "assign_arms",
    "endpoint_before",
    "respectively_clause",
    "time_point_before",
]

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
        words = ["placebo"] if arm.placebo else ["observation"] if arm.observation else []
        if arm.role == "control":  # "the control arm", "the control group"
            words.append(r"control(?=\s+(?:arm|group))")
        for word in words:
            for match in re.finditer(rf"\b(?:{word})\b", text[sentence.start : sentence.end], re.I):
                found.append((arm, sentence.start + match.start(), sentence.start + match.end()))
    return sorted(found, key=lambda item: item[1])


_CONNECT = re.compile(r"\b(?:in|with|for|among|on|receiving|given|of)\b", re.I)
_CONTRAST = re.compile(r"\bvs\.?\b|\bversus\b|\bcompared\b|\bwhile\b|\bwhereas\b", re.I)


def _direct(text: str, value: Number, arms: list[tuple[Arm, int, int]], limit: int) -> Arm | None:
    """The arm named right after a value ("41% ... in the study-drug group"), unless it opens a
    list of arms ("in the X and Y arms, respectively")."""
    for i, (arm, start, end) in enumerate(arms):
        if value.end <= start < limit:
            between = text[value.end : start]
            if not _CONNECT.search(between) or _CONTRAST.search(between):
                return None
            if i + 1 < len(arms) and arms[i + 1][0] is not arm:
                gap = text[end : arms[i + 1][1]]
                if re.fullmatch(r"[\s\w-]{0,15}?(?:,|\band\b|\bor\b)\s*(?:the\s+)?", gap, re.I):
                    return None
            return arm
    return None


def _distinct(arms: list[tuple[Arm, int, int]]) -> list[Arm]:
    found: list[Arm] = []
    for arm, _, _ in arms:
        if arm not in found:
            found.append(arm)
    return found


def respectively_clause(sentence: Segment) -> tuple[int, int] | None:
    """Where the list a "respectively" pairs stands: from the clause's start to the word."""
    at = sentence.text.find("respectively")
    if at < 0:
        return None
    begin = max(sentence.text.rfind(":", 0, at), sentence.text.rfind(";", 0, at), 0)
    return sentence.start + begin, sentence.start + at


def assign_arms(
    text: str,
    sentence: Segment,
    values: list[Number],
    arms: list[tuple[Arm, int, int]],
    carried: list[tuple[Arm, int, int]] | None = None,
) -> list[Arm | None]:
    """The arm of each value of a sentence, None where the text does not settle it.

    An arm named right after a value is its arm. With "respectively", the values left are
    paired in order with the arms the sentence lists after them (or, failing that, before
    them), when the counts agree. Otherwise an arm named just before a value within a short
    clause is its arm ("with drug X were 31%"). A sentence naming no arm pairs "A versus B"
    with the two arms ``carried`` from the sentence before it, in their order, when that
    sentence names exactly two."""
    found: list[Arm | None] = []
    for i, value in enumerate(values):
        limit = values[i + 1].start if i + 1 < len(values) else sentence.end
        found.append(_direct(text, value, arms, limit))
    clause = respectively_clause(sentence)
    if clause is not None:
        begin, at = clause
        left = [i for i, v in enumerate(values) if found[i] is None and begin <= v.start < at]
        if left:
            last, first = values[left[-1]], values[left[0]]
            after = _distinct([a for a in arms if last.end <= a[1] < at + 12])
            before = _distinct([a for a in arms if a[2] <= first.start])
            for group in (after, before[-len(left) :] if len(before) >= len(left) else []):
                if len(group) == len(left) > 1:
                    for i, arm in zip(left, group, strict=True):
                        found[i] = arm
                    break
        return found
    named = _distinct(arms)
    if not arms and carried:
        named = _distinct(carried)
    for i in range(len(values) - 1):  # "A versus B" in a sentence naming the two arms in order
        a, b = values[i], values[i + 1]
        joined = re.fullmatch(
            r"\s*(?:%|percent|months?|weeks?|years?)?\s*(?:[(\[][^()\[\]]{0,60}[)\]]\s*)?,?\s*"
            r"(?:vs\.?|versus|compared\s+with)\s*",
            text[a.end : b.start],
            re.I,
        )
        if joined and found[i] is None and found[i + 1] is None and len(named) == 2:
            found[i], found[i + 1] = named
    previous = sentence.start
    for i, value in enumerate(values):
        if found[i] is None:
            for arm, _, end in reversed(arms):
                if previous <= end <= value.start:
                    between = text[end : value.start]
                    if len(between) <= 40 and not re.search(
                        r"[;:,()]|\bwhile\b|\bwhereas\b", between
                    ):
                        found[i] = arm
                    break
        previous = value.end
    return found


def endpoint_before(
    text: str, lex: Lexicon, sentence: Segment, at: int, *, value_end: int | None = None
) -> Mention | None:
    """The endpoint of a value at ``at``: one named right after it ("15% complete response
    rate", "29 patients (63%) had disease control"), else the one named last before it in the
    sentence, else the sentence's only endpoint."""
    mentions = [
        m
        for m in lex.mentions("endpoint", text, sentence.start, sentence.end)
        if m.entity.key not in _NOT_RESULT_ENDPOINTS
        and not _closed(text, m.end, at)
        and not re.search(r"\b(?:no|without|non)[\s-]+$", text[max(0, m.start - 9) : m.start], re.I)
    ]
    if value_end is not None:
        for m in mentions:
            if m.start >= value_end:
                between = text[value_end : m.start]
                if re.fullmatch(_VALUE_TO_ENDPOINT, between, re.I):
                    return m
                break
    before = [m for m in mentions if m.end <= at]
    if before:
        return before[-1]
    keys = {m.entity.key for m in mentions}
    return mentions[0] if len(keys) == 1 else None


# what may stand between a value and the endpoint it is of: "% complete response", "%) had
# disease control", "% of patients achieved an objective response"
_VALUE_TO_ENDPOINT = (
    r"\s*(?:%|percent)?\s*\)?\s*(?:an?\s+)?(?:(?:of\s+)?(?:the\s+)?(?:patients|participants)\s+)?"
    r"(?:in\s+the\s+[\w-]+\s+(?:group|arm)\s+)?(?:(?:had|achieved|showed|with)\s+(?:an?\s+)?)?\[?"
)


_TIME = re.compile(
    r"(?P<n>\d+|one|two|three|four|five|six|twelve)[\s-]*(?P<unit>year|month|week)s?\b"
    r"(?![\s-]*(?:old|of age))",
    re.I,
)


def time_point_before(text: str, start: int, at: int) -> tuple[Number, str] | bool | None:
    """The landmark time last named before ``at`` ("2-year", "at 12 months") and its unit;
    False when it is one of a list ("6 and 18 months": which one is unsure)."""
    last = None
    for match in _TIME.finditer(text, start, at):
        last = match
    if last is None:
        return None
    if re.search(r"\d\s*(?:,|and|or|to)\s*$", text[max(0, last.start() - 8) : last.start()]):
        return False
    raw = last["n"]
    number = Number(raw, last.start("n"), last.end("n"))
    return number, last["unit"].lower() + "s"


def _closed(text: str, start: int, at: int) -> bool:
    """Whether a bracket open at ``start`` closes before ``at``: a name inside brackets that
    close before a value is an aside ("(9 patients [2 with a complete response])"), not what
    the value is of."""
    if start >= at:
        return False
    closing = text.count(")", start, at) + text.count("]", start, at)
    return closing > text.count("(", start, at) + text.count("[", start, at)
