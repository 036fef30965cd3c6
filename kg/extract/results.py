"""Outcome and adverse-event statements in running text: medians, rates, hazard ratios,
counts and adverse-event frequencies, each assigned to its endpoint, arm and time point."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from kg.extract.assign import (
    arm_mentions,
    assign_arms,
    endpoint_before,
    respectively_clause,
    time_point_before,
)
from kg.extract.design import Study
from kg.extract.drafts import Draft, DraftSet
from kg.extract.entities import Lexicon, Mention
from kg.extract.patterns import NUMBER, Number, Tail, hazard_ratios, percents, read_tail
from kg.extract.text import Segment
from kg.normalize import numbers_in_text

__all__ = ["draft_results"]

_RATE_ENDPOINTS = {"orr", "dcr", "cbr", "pcr", "complete-response", "partial-response"}
_TIMED_ENDPOINTS = {"pfs", "os", "rfs", "dfs", "efs", "mfs", "dmfs", "pfs2"}
# an endpoint stated to be a duration: "PFS was", "overall survival of", "survival: "
_STATED = re.compile(r"\b(?:was|were|of)\b|:")
_AT_TIME = re.compile(
    r"\s*%?\s*(?:rate\s+)?at\s+(?P<n>\d+|one|two|three|four|five|six|eight|nine|twelve)[\s-]*"
    r"(?P<unit>week|month|year)s?\b",
    re.I,
)


def _count_value_of(raw: str) -> int | None:
    """A time point in digits or words ("two")."""
    found = numbers_in_text(raw)
    return int(max(found)) if found else None


# shares of patients with an event of treatment (not an efficacy rate): a proportion
_PROPORTION_ENDPOINTS = {
    "dose-interruption",
    "dose-reduction",
    "dose-interruption-or-reduction",
    "discontinuation-due-to-ae",
    "full-dose",
    "still-on-treatment",
}
# "(12 of 40)" within the clause after a percentage and its arm
_LATER_COUNT = re.compile(
    r"(?:\s*(?:%|percent\b))?[^%;]{0,60}?\(\s*(?P<n>\d+)\s+of\s+(?P<of>\d+)\s*\)"
)
_DURATION = re.compile(rf"(?P<v>{NUMBER})\s*(?P<unit>months?|mo|years?|weeks?)\b", re.I)
_PAIR = re.compile(
    rf"(?P<a>{NUMBER})\s*(?:months?\s*)?(?:vs\.?|versus|compared\s+with|and)\s*(?P<b>{NUMBER})\s*"
    r"(?P<unit>months?|years?|weeks?)\b",
    re.I,
)
_AE_CONTEXT = re.compile(r"adverse|toxicit|side effect|reaction|grade\s*[1-5≥]", re.I)
_GRADE = re.compile(
    r"grade(?:s)?\s*(?:(?P<ge>≥|>=)\s*(?P<g0>[1-5])|(?P<g1>[1-5])\s*(?:or|and|to|[-–])\s*(?:grade\s*)?"
    r"(?P<g2>[1-5])|(?P<g3>[1-5])(?P<higher>\s*or\s+(?:higher|greater|above|more|worse))?)"
    r"|(?P<any>\bany[\s-]grade\b|\ball\s+grades\b)",
    re.I,
)
# a study plan, or results of other studies the text cites: not this document's results
_NOT_RESULTS = re.compile(
    r"\b(?:power|would\s+provide|to\s+detect|assum\w+|expected|sample\s+size|et\s+al"
    r"|previously\s+(?:reported|published)|(?:a|the)\s+previous\s+(?:study|trial|report)"
    r"|reported\s+by|in\s+a\s+retrospective\s+(?:analysis|study|series))\b",
    re.I,
)
_CITATION = re.compile(r"\[\d+(?:[,–-]\d+)*\]")


def _cites(text: str) -> bool:
    """Whether a sentence cites references ("[12]", "[3,5-7]"), not an interval in brackets."""
    return any(
        not re.search(r"(?:CI|IC|%)\s*$", text[max(0, m.start() - 12) : m.start()])
        for m in _CITATION.finditer(text)
    )


_RELATION = re.compile(
    r"(?P<lt><|less\s+than|fewer\s+than|under)\s*$|(?P<gt>>|more\s+than|over)\s*$"
    r"|(?P<approx>~|approximately|about|around|nearly|almost|roughly)\s*$",
    re.I,
)
# the count written before a percentage: "131 (64%)", "39 of 41 patients (95%)", "(70 patients,
# 35%)", "(44, 21%)"
_COUNTED = re.compile(
    r"(?<![\d.,])(?P<n>\d+)(?:\s+of\s+(?P<of>\d+))?\s*(?:patients?|participants?)?\s*[(,]\s*$"
)
_AE_AGGREGATE = re.compile(r"\b(?:adverse\s+events?|toxicit(?:y|ies)|adverse\s+reactions?)\b", re.I)


def _arms_of(
    text: str,
    sentence: Segment,
    values: list[Number],
    arms: list,
    study: Study,
    carried: list | None = None,
) -> list[Any]:
    """Each value's arm; a single-arm study's one arm for every value; None where unsure, and
    for each value of a "respectively" list the sentence does not pair with arms. ``carried``:
    the arms the sentence before names, in the same paragraph."""
    if study.single:
        found: list[Any] = list(study.arms.values()) * len(values)
    else:
        found = assign_arms(text, sentence, values, arms, carried)
    pair = study.two_arms()
    respective = re.search(r"\bin\s+the\s+respective\s+(?:\w+\s+)?(?:arms|groups)\b", sentence.text)
    if respective and pair and len(values) == 2 and found == [None, None]:
        return list(pair)  # "A and B months in the respective arms": in the order arms were given
    clause = respectively_clause(sentence)
    listed = [i for i, v in enumerate(values) if clause and clause[0] <= v.start < clause[1]]
    if len(listed) > 1:
        # a list the sentence does not pair with arms pairs it with endpoints or times: unsure
        paired = not study.single and all(found[i] is not None for i in listed)
        for i in listed:
            found[i] = found[i] if paired else False
    return found


def _distinct_arms(arms: list) -> list[Any]:
    found: list[Any] = []
    for arm, _, _ in arms:
        if arm not in found:
            found.append(arm)
    return found


_PROGRESSION_FREE = re.compile(
    r"\s*%\s*(?:[(\[][^()\[\]]{0,60}[)\]]\s*)?of\s+(?:the\s+)?(?:patients|participants)\s+"
    r"(?:(?:in|on)\s+the\s+[\w-]+\s+(?:group|arm)\s+)?(?:were|remained)\s+(?P<name>(?:alive\s+and\s+)?progression[-\s]free)\s+at\s+"
    r"(?P<n>\d+)[\s-]*(?P<unit>week|month|year)s?\b",
    re.I,
)
# events patients "had": the share of patients with one is a proportion
_EVENT_ENDPOINTS = {"progression", "stable-disease"}
_HAD = re.compile(r"\b(?:had|experienced|developed)\s+(?:an?\s+)?\[?\s*$", re.I)


def _event_of(
    text: str, lex: Lexicon, sentence: Segment, value: Number, values: list[Number]
) -> Mention | None:
    """The event a percentage of patients had: named right after it ("41% of the patients
    (98 of 240) had disease progression", "47 percent in the X group had stable disease"), or
    in the list a colon opens after it ("had disease progression: 30% of the patients in
    the X group and 52% in the Y group")."""
    events = [
        m
        for m in lex.mentions("endpoint", text, sentence.start, sentence.end)
        if m.entity.key in _EVENT_ENDPOINTS and _HAD.search(text[max(0, m.start - 30) : m.start])
    ]
    later = [v for v in values if v.start > value.end]
    for event in events:
        if event.start >= value.end:
            if later and later[0].start < event.start:
                return None  # another value stands between
            between = text[value.end : event.start]
            if re.fullmatch(
                r"\s*(?:%|percent)\s*(?:of\s+(?:the\s+)?(?:patients|those))?[^%.;:]{0,60}?"
                r"\b(?:had|experienced|developed)\s+(?:an?\s+)?\[?\s*",
                between,
                re.I,
            ):
                return event
            return None
        earlier = [v for v in values if v.end <= event.start]
        if (
            earlier
            and event.end <= value.start
            and _event_of(text, lex, sentence, earlier[-1], values) is event
            and re.search(r"\b(?:compared\s+with|versus|vs\.?)\s*$", _words_before(text, value))
            and not lex.mentions("endpoint", text, event.end, value.start)
        ):
            return event  # "47 percent ... had stable disease, compared with 28 percent ..."
        if re.match(r"\s*:", text[event.end : event.end + 3]) and not re.search(
            r"[.;]", text[event.end : value.start]
        ):
            listed = text[event.end : value.start]
            if not lex.mentions("endpoint", text, event.end, value.start) and len(listed) < 120:
                return event
    return None


def _words_before(text: str, value: Number) -> str:
    """The words right before a value, its relation ("nearly") left out."""
    before = text[max(0, value.start - 40) : value.start]
    return _RELATION.sub("", before).rstrip()


def _share_of_patients(text: str, endpoint: Mention, value: Number) -> bool:
    """Whether a percentage is a share of patients given with a count of events ("19 PRs were
    seen (21% of patients treated with X)"), not a rate the text names as one: a
    proportion."""
    if endpoint.end > value.start or re.search(
        r"\brates?\b", text[endpoint.start : value.start], re.I
    ):
        return False
    if not re.match(r"[A-Z]{2,4}s\b", text[endpoint.start : endpoint.end + 1]):
        return False  # the endpoint counted: "PRs", "CRs"
    share = r"%\s*of\s+(?:the\s+)?pa(?:-\s*)?tients\b"
    if re.match(rf"\s*{share}", text[value.end :]):
        return True
    # a list continuing one: "(21% of patients treated with A, 12% with B)"
    return bool(
        re.search(share, text[endpoint.end : value.start])
        and re.match(r"\s*%\s*with\b", text[value.end :])
        and re.search(r"(?:,|\band)\s*$", text[endpoint.end : value.start])
    )


def _whole_cohort(text: str, sentence: Segment, lex: Lexicon) -> bool:
    """Whether a registry's sentence states a result of its whole cohort: it opens on the
    endpoint ("The DCR was ...") and names no drug, disease or subgroup."""
    if not re.match(
        r"(?:the\s+)?(?:median\s+)?[\w-]+(?:\s+[\w-]+){0,3}\s+(?:was|were)\b", sentence.text, re.I
    ):
        return False
    if re.search(r"\b(?:in|among|for|with)\b", sentence.text.split(" was")[0], re.I):
        return False
    return not any(
        lex.mentions(kind, text, sentence.start, sentence.end) for kind in ("drug", "disease")
    )


def _unit(word: str) -> str:
    word = word.lower()
    return "months" if word.startswith("mo") else "years" if word.startswith("y") else "weeks"


def _ci_fields(tail: Tail) -> tuple[dict[str, Any], list[Number]]:
    fields: dict[str, Any] = {}
    values: list[Number] = []
    if tail.ci is not None and tail.ci.level is not None:
        high = tail.ci.high.text if tail.ci.high else "NA"
        fields["ci"] = f"{tail.ci.low.text} to {high}".replace(",", ".")
        fields["ci_level"] = tail.ci.level.text.replace(",", ".")
        values += [tail.ci.low, tail.ci.level] + ([tail.ci.high] if tail.ci.high else [])
    if tail.p_value is not None:
        fields["p_value"] = tail.p_value.replace(",", ".")
    return fields, values


def _value(raw: str, text: str = "", at: int = 0) -> str:
    """A value as a record states it: a decimal point, and the relation the words before it
    give ("less than 2" is <2, "nearly 37" is ~37)."""
    value = raw.replace("−", "-").replace("–", "-").replace(",", ".")
    match = _RELATION.search(text[max(0, at - 20) : at]) if text else None
    if match:
        value = ("<" if match["lt"] else ">" if match["gt"] else "~") + value
    return value


def draft_results(
    text: str, sents: list[Segment], lex: Lexicon, drafts: DraftSet, study: Study
) -> None:
    """Outcome and adverse-event drafts from every sentence."""
    previous: tuple[Segment, list] | None = None
    for sentence in sents:
        # the arms the sentence before names, when it stands in the same paragraph
        carried = None
        if previous is not None and "\n\n" not in text[previous[0].end : sentence.start]:
            carried = previous[1]
        arms = arm_mentions(text, sentence, study, lex)
        previous = (sentence, arms)
        if _NOT_RESULTS.search(sentence.text) or _cites(sentence.text):
            continue
        _response_counts(text, sentence, lex, drafts, study, arms)
        if not re.search(r"\d", sentence.text):
            continue
        if _cites(sentence.text):
            continue
        pair = study.two_arms()
        named = [a.id for a in _distinct_arms(carried or [])]
        if arms or pair is None or len(named) != 2 or set(named) != {a.id for a in pair}:
            carried = None
        used: set[int] = set()
        _hazard_ratios(text, sentence, lex, drafts, study, used)
        _medians(text, sentence, lex, drafts, study, arms, used, carried)
        if _AE_LIST.search(sentence.text):
            _adverse_event_list(text, sentence, lex, drafts, study, arms)
        elif _AE_CONTEXT.search(sentence.text) or lex.mentions(
            "ae_term", text, sentence.start, sentence.end
        ):
            _adverse_events(text, sentence, lex, drafts, study, arms, used, carried)
        _rates(text, sentence, lex, drafts, study, arms, used, carried)


def _hazard_ratios(
    text: str, sentence: Segment, lex: Lexicon, drafts: DraftSet, study: Study, used: set[int]
) -> None:
    pair = study.two_arms()
    for value in hazard_ratios(text, sentence.start, sentence.end):
        used.add(value.start)
        endpoint = endpoint_before(text, lex, sentence, value.start)
        if pair is None or endpoint is None:
            continue
        tail = read_tail(text, value.end)
        fields, values = _ci_fields(tail)
        record = {
            "type": "outcome",
            "study": study.id,
            "endpoint": drafts.name(endpoint.entity),
            "statistic": "hazard-ratio",
            "arm": pair[0].id,
            "comparator": pair[1].id,
            "value": _value(value.text),
            "unit": "ratio",
            **fields,
        }
        drafts.add(
            Draft(record, [(sentence.start, sentence.end)], "hazard-ratio", 0.85, [value, *values])
        )


def _medians(
    text: str,
    sentence: Segment,
    lex: Lexicon,
    drafts: DraftSet,
    study: Study,
    arms: list,
    used: set[int],
    carried: list | None = None,
) -> None:
    lower = sentence.text.lower()
    implied = "median" not in lower  # "PFS was 7.1 vs 4.0 months": a time to event is a median
    if implied and not re.search(
        r"surviv|progression|\bPFS\b|\bOS\b|\bDFS\b|\bTTP\b", sentence.text
    ):
        return
    found: list[tuple[Number, str]] = []
    for match in _PAIR.finditer(text, sentence.start, sentence.end):
        for group in ("a", "b"):
            found.append(
                (Number(match[group], match.start(group), match.end(group)), match["unit"])
            )
    for match in _DURATION.finditer(text, sentence.start, sentence.end):
        if not any(n.start == match.start("v") for n, _ in found):
            found.append((Number(match["v"], match.start("v"), match.end("v")), match["unit"]))
    found.sort(key=lambda item: item[0].start)
    assigned = _arms_of(text, sentence, [n for n, _ in found], arms, study, carried)
    medians = [sentence.start + m.start() for m in re.finditer("median", lower)]
    if implied:
        medians = [sentence.start]
    for i, (value, unit) in enumerate(found):
        median_at = max((m for m in medians if m < value.start), default=None)
        if median_at is None or (not implied and re.search(r"[;:]", text[median_at : value.start])):
            continue
        if value.start in used or "-" in text[value.end : value.end + 1]:
            continue
        before = text[max(sentence.start, value.start - 25) : value.start].lower()
        if re.search(r"(?:range|iqr|interquartile|ci|to|\d)\W*$", before) or (
            re.search(r"\b(?:at|after|of)\s*$", before) and "median" not in before
        ):
            continue
        used.add(value.start)
        endpoint = endpoint_before(text, lex, sentence, value.start)
        if endpoint is None:
            continue
        key = endpoint.entity.key
        if implied and (
            key not in _TIMED_ENDPOINTS or not _STATED.search(text, endpoint.end, value.start)
        ):
            continue
        arm = assigned[i]
        if key == "follow-up":
            arm = None
        elif arm is False or (
            (study.arms or study.randomized or study.registry)
            and arm is None
            and not (study.registry and _whole_cohort(text, sentence, lex))
        ):
            continue  # whose median? not drafted
        tail = read_tail(text, value.end)
        fields, values = _ci_fields(tail)
        if tail.dispersion is not None:
            fields["dispersion"] = tail.dispersion.kind
            high = tail.dispersion.high.text if tail.dispersion.high else "NA"
            fields["dispersion_span"] = f"{tail.dispersion.low.text} to {high}".replace(",", ".")
            values += [tail.dispersion.low, tail.dispersion.high]  # type: ignore[list-item]
        record: dict[str, Any] = {
            "type": "outcome",
            "study": study.id,
            "endpoint": drafts.name(endpoint.entity),
            "statistic": "median",
            "value": _value(value.text, text, value.start),
            "unit": _unit(unit),
        }
        if arm is not None:
            record["arm"] = arm.id
        record |= fields
        drafts.add(
            Draft(
                record,
                [(sentence.start, sentence.end)],
                "duration-of-time-to-event" if implied else "median-duration",
                0.6 if implied else 0.8,
                [value, *values],
            )
        )


# a list of time points: "12 and 24 months", "at 6, 12 and 24 months"
_TIME_LIST = re.compile(
    r"(?<![\w.,])(?P<list>\d+(?:\s*,\s*\d+)*\s*(?:,\s*)?(?:and|&)\s*\d+)[\s-]*"
    r"(?P<unit>week|month|year)s?\b(?![\s-]*(?:old|of\s+age))",
    re.I,
)
# what joins the values of one run of a time-point list: "58% (95% CI 49-66) and 37%"
_RUN_JOIN = re.compile(r"[\s,;)\]]*(?:and\s+)?")


def _time_lists(
    text: str, sentence: Segment, values: list[Number], assigned: list[Any], study: Study
) -> dict[int, tuple[Number, str, Any]]:
    """Values paired in order with a list of time points named before them: "6 and 12 months
    rates were 58% and 37% in the X group, whereas 31% and 12% in the Y group". Each run of as
    many values as times, joined by "and" alone, is one arm's (the arm named right after the
    run's last value, or a single-arm study's arm); nothing when the counts or arms do not
    settle it. The index of each value paired, with its time, unit and arm."""
    found: dict[int, tuple[Number, str, Any]] = {}
    for match in _TIME_LIST.finditer(text, sentence.start, sentence.end):
        times = [
            Number(m.group(), match.start("list") + m.start(), match.start("list") + m.end())
            for m in re.finditer(r"\d+", match["list"])
        ]
        after = [i for i, v in enumerate(values) if v.start >= match.end()]
        later = _TIME_LIST.search(text, match.end(), sentence.end)
        if later is not None:
            after = [i for i in after if values[i].start < later.start()]
        if (
            not after
            or len(after) % len(times)
            or _AT_TIME.search(text, match.end(), values[after[-1]].end)
        ):
            continue
        runs = [after[k : k + len(times)] for k in range(0, len(after), len(times))]
        paired: dict[int, tuple[Number, str, Any]] = {}
        arms_seen = []
        for run in runs:
            joined = all(
                _RUN_JOIN.fullmatch(text, read_tail(text, values[a].end).end, values[b].start)
                for a, b in pairwise(run)
            )
            arm = (
                next(iter(study.arms.values()))
                if study.single and study.arms
                else assigned[run[-1]]
            )
            if (
                not joined
                or arm in (None, False)
                or arm in arms_seen
                or any(assigned[i] not in (None, arm) for i in run[:-1])
            ):
                paired = {}
                break
            arms_seen.append(arm)
            for i, time in zip(run, times, strict=True):
                paired[i] = (time, _unit(match["unit"]), arm)
        found |= paired
    return found


def _rates(
    text: str,
    sentence: Segment,
    lex: Lexicon,
    drafts: DraftSet,
    study: Study,
    arms: list,
    used: set[int],
    carried: list | None = None,
) -> None:
    values = [v for v in percents(text, sentence.start, sentence.end) if v.start not in used]
    assigned = _arms_of(text, sentence, values, arms, study, carried)
    listed = _time_lists(text, sentence, values, assigned, study)
    for i, value in enumerate(values):
        endpoint = endpoint_before(text, lex, sentence, value.start, value_end=value.end)
        event = _event_of(text, lex, sentence, value, values)
        if event is not None:
            endpoint = event
        free = _PROGRESSION_FREE.match(text, value.end, sentence.end)
        pfs = lex.find("endpoint", "progression-free survival")
        if free is not None and pfs is not None and i not in listed:
            # "44% (95% CI 35-53) of patients were progression-free at 9 months"
            endpoint = Mention(pfs, free.start("name"), free.end("name"), free["name"])
            listed[i] = (Number(free["n"], free.start("n"), free.end("n")), _unit(free["unit"]))
            listed[i] += (assigned[i],)
        if endpoint is None:
            continue
        key = endpoint.entity.key
        timed = time_point_before(text, max(sentence.start, endpoint.start - 30), value.start)
        if i in listed:
            timed = listed[i][:2]
            assigned[i] = listed[i][2]
        if timed is False or (key in _TIMED_ENDPOINTS and timed is None):
            continue
        if key not in _RATE_ENDPOINTS | _TIMED_ENDPOINTS | _PROPORTION_ENDPOINTS and not event:
            continue
        before = text[max(sentence.start, value.start - 20) : value.start].lower()
        if re.search(
            r"(?:lower|higher|reduction|decrease|increase)\s+(?:risk\s+)?(?:of\s+)?$", before
        ) or re.search(
            r"(?:superior|greater|higher|inferior)\s+(?:to|than)\s+$|exceeding\s+$", before
        ):
            continue  # a relative change or a threshold ("superior to 20%"), not a rate
        arm = assigned[i]
        if study.registry and lex.mentions("disease", text, sentence.start, value.start):
            continue  # a histotype subgroup of a registry cohort: whose rate is unsure
        # "41% of the patients in the trial had ...": the whole trial's, no arm's
        whole_trial = re.match(
            r"\s*(?:%|percent)\s*of\s+(?:all\s+)?(?:the\s+)?patients\s+in\s+the\s+(?:trial|study)\b",
            text[value.end : value.end + 80],
            re.I,
        )
        if arm is False or (
            (study.arms or study.randomized)
            and arm is None
            and not study.registry
            and not whole_trial
        ):
            continue
        whole = re.search(r"\b(?:overall|entire|whole|all\s+patients|total)\b", sentence.text, re.I)
        if study.registry and arm is None and not whole and not _whole_cohort(text, sentence, lex):
            continue
        tail = read_tail(text, value.end)
        fields, numbers = _ci_fields(tail)
        record: dict[str, Any] = {
            "type": "outcome",
            "study": study.id,
            "endpoint": drafts.name(endpoint.entity),
            "statistic": "proportion"
            if key in _PROPORTION_ENDPOINTS
            or event is not None
            or _share_of_patients(text, endpoint, value)
            else "rate",
            "value": _value(value.text, text, value.start),
            "unit": "percent",
        }
        if arm is not None:
            record["arm"] = arm.id
        later = _AT_TIME.match(text, endpoint.end, sentence.end)
        if key not in _TIMED_ENDPOINTS and (later is None or endpoint.start < value.start):
            # "the disease control rate at 2 months was 59%", "59% at two months"
            later = _AT_TIME.match(text, value.end, sentence.end) or later
            timed = None
        if i in listed:
            later = None
        if not timed and later is not None and _count_value_of(later["n"]) is not None:
            # "29 patients (63%) had disease control at 16 weeks": the time after the endpoint
            record["time_point"] = _count_value_of(later["n"])
            record["time_unit"] = later["unit"].lower() + "s"
            numbers.append(Number(later["n"], later.start("n"), later.end("n")))
        if i in listed:
            number, unit = listed[i][:2]
            record["time_point"], record["time_unit"] = int(number.text), unit
            numbers.append(number)
        elif timed and key in _TIMED_ENDPOINTS:
            number, unit = timed  # type: ignore[misc]
            if not number.text.isdigit():
                continue
            record["time_point"] = int(number.text)
            record["time_unit"] = unit
            numbers.append(number)
        if (
            tail.count is not None
            and tail.denominator is not None
            and tail.count.text.isdigit()
            and tail.denominator.text.isdigit()
        ):
            record["count"], record["denominator"] = (
                int(tail.count.text),
                int(tail.denominator.text),
            )
            numbers += [tail.count, tail.denominator]
        else:
            counted = _count_near(
                text, value, sentence, values[i + 1].start if i + 1 < len(values) else sentence.end
            )
            if counted is not None:
                record["count"] = int(counted[0].text)
                numbers.append(counted[0])
                if counted[1] is not None:
                    record["denominator"] = int(counted[1].text)
                    numbers.append(counted[1])
        record |= fields
        used.add(value.start)
        drafts.add(
            Draft(record, [(sentence.start, sentence.end)], "rate-percent", 0.75, [value, *numbers])
        )


def _count_near(
    text: str, value: Number, sentence: Segment, limit: int
) -> tuple[Number, Number | None] | None:
    """The count (and denominator) of a percentage written before it ("11 of 40 patients
    (28%)") or in brackets later in its clause ("27% of the patients in the X group (11 of
    41)")."""
    window = max(sentence.start, value.start - 40)
    before = _COUNTED.search(text[window : value.start])
    if before is not None:
        n = Number(before["n"], window + before.start("n"), window + before.end("n"))
        if not before["of"]:
            return n, None
        of = Number(before["of"], window + before.start("of"), window + before.end("of"))
    else:
        later = _LATER_COUNT.match(text, value.end, min(limit, sentence.end))
        if later is None:
            return None
        n = Number(later["n"], later.start("n"), later.end("n"))
        of = Number(later["of"], later.start("of"), later.end("of"))
    if int(n.text) > int(of.text):
        return None
    return n, of


# "the most common adverse reactions (>=20%) were ...", "most frequent grade 3-4 events (>5%)
# included ..."
_AE_LIST = re.compile(
    r"\bmost\s+(?:common|frequent(?:ly\s+reported)?)\b[^.;]{0,80}?\(\s*(?P<rel>≥|>=|>|more\s+than)\s*"
    rf"(?P<v>{NUMBER})\s*%\s*\)[^.;]{{0,40}}?\b(?:were|was|included|includ\w+)\b",
    re.I,
)


def _adverse_event_list(
    text: str, sentence: Segment, lex: Lexicon, drafts: DraftSet, study: Study, arms: list
) -> None:
    """Each term of a list of the most common adverse events above a threshold, with the
    threshold as its percentage (">=20"): the arm the sentence names, else the one arm given
    the drug (a single-arm study, or the experimental arm a summary reports on)."""
    match = _AE_LIST.search(text, sentence.start, sentence.end)
    if match is None or not _AE_CONTEXT.search(match.group()):
        return
    named = {arm for arm, _, _ in arms}
    experimental = [a for a in study.arms.values() if a.role == "experimental"]
    arm = (
        named.pop()
        if len(named) == 1
        else experimental[0]
        if len(experimental) == 1 and not named
        else None
    )
    if study.arms and arm is None:
        return
    relation = {"≥": ">=", ">=": ">=", ">": ">"}.get(match["rel"], ">")
    grade = _grade(text, sentence.start, match.end()) or "any"
    value = Number(match["v"], match.start("v"), match.end("v"))
    for term in lex.mentions("ae_term", text, match.end(), sentence.end):
        record: dict[str, Any] = {"type": "adverse_event", "study": study.id}
        if arm is not None:
            record["arm"] = arm.id
        record |= {
            "term": drafts.name(term.entity),
            "grade": grade,
            "percent": f"{relation}{value.text}",
        }
        drafts.add(
            Draft(record, [(sentence.start, sentence.end)], "ae-most-common-list", 0.5, [value])
        )


def _grade(text: str, start: int, at: int) -> str | None:
    last = None
    for match in _GRADE.finditer(text, start, at):
        last = match
    if last is None:
        return None
    if last["any"]:
        return "any"
    if last["ge"] or last["higher"]:
        return f">={last['g0'] or last['g3']}"
    if last["g1"]:
        return f"{last['g1']}-{last['g2']}"
    return last["g3"]


def _adverse_events(
    text: str,
    sentence: Segment,
    lex: Lexicon,
    drafts: DraftSet,
    study: Study,
    arms: list,
    used: set[int],
    carried: list | None = None,
) -> None:
    terms = lex.mentions("ae_term", text, sentence.start, sentence.end)
    values = [v for v in percents(text, sentence.start, sentence.end) if v.start not in used]
    assigned = _arms_of(text, sentence, values, arms, study, carried)
    previous_end = sentence.start
    sentence_arm = None
    if arms and len({a.id for a, _, _ in arms}) == 1:
        sentence_arm = arms[0][0]
    for i, value in enumerate(values):
        term = _term_for(text, value, terms, previous_end)
        rule = "ae-term-percent"
        if term is None:
            aggregate = None
            for match in _AE_AGGREGATE.finditer(text, sentence.start, value.start):
                aggregate = match
            endpoint = endpoint_before(text, lex, sentence, value.start)
            other = any(
                aggregate is not None and aggregate.end() <= t.start < value.start for t in terms
            )
            late = (
                endpoint is not None and aggregate is not None and endpoint.start > aggregate.end()
            )
            if aggregate is None or late or other:
                previous_end = value.end
                continue
            term_key = "any-adverse-event"
            rule = "ae-aggregate-percent"
            aggregate_at = max(sentence.start, aggregate.start() - 12)
        else:
            term_key = drafts.name(term.entity)
        grade = _grade(text, sentence.start, value.start)
        if assigned[i] is False:
            continue
        arm = assigned[i] or sentence_arm
        previous_end = value.end
        if (study.two_arms() is not None or study.randomized) and arm is None:
            continue
        serious = rule == "ae-aggregate-percent" and bool(
            re.search(r"\bserious\b", text[aggregate_at : value.start], re.I)
        )
        if rule == "ae-aggregate-percent" and (grade is None and not serious):
            continue
        used.add(value.start)
        record: dict[str, Any] = {"type": "adverse_event", "study": study.id}
        if arm is not None:
            record["arm"] = arm.id
        window = max(sentence.start, value.start - 40)
        counted = _COUNTED.search(text[window : value.start])
        extra = []
        if counted is not None:
            record["count"] = int(counted["n"])
            extra.append(
                Number(counted["n"], window + counted.start("n"), window + counted.end("n"))
            )
            if counted["of"] and int(counted["of"]) >= int(counted["n"]):
                record["denominator"] = int(counted["of"])
                extra.append(
                    Number(counted["of"], window + counted.start("of"), window + counted.end("of"))
                )
        if serious:
            record["serious"] = True
        record |= {
            "term": term_key,
            "grade": grade or "any",
            "percent": _value(value.text, text, value.start),
        }
        drafts.add(Draft(record, [(sentence.start, sentence.end)], rule, 0.7, [value, *extra]))


# what may stand between a term and its percentage: "rash (31%)", "rash: 12%", "rash
# occurred in 6%", "rash was reported in 12%"
_TERM_TO_VALUE = (
    r"\s*(?:[(:\[]\s*)?(?:of\s+grade\s+[1-5]\s+)?(?:(?:was|were)\s+)?"
    r"(?:observed|reported|occurred|seen|noted)?\s*(?:in\s+)?"
    r"(?:\d+(?:\s+of\s+\d+)?\s*(?:patients?|participants?)?\s*[(,]\s*)?"
)


def _term_for(text: str, value: Number, terms: list[Mention], previous_end: int) -> Mention | None:
    """The term right before a percentage ("rash (31%)", "diarrhea 18%") or right after it
    ("18% patients had diarrhea", "7% mucositis")."""
    for term in reversed(terms):
        if previous_end <= term.end <= value.start:
            between = text[term.end : value.start]
            if re.fullmatch(_TERM_TO_VALUE, between, re.I):
                return term
            break
    for term in terms:
        if term.start >= value.end:
            between = text[value.end : term.start]
            if re.fullmatch(
                r"\s*%?\s*\)?\s*(?:of\s+)?(?:the\s+)?(?:patients\s+)?"
                r"(?:had\s+|with\s+|developed\s+|experienced\s+)?",
                between,
            ):
                return term
            break
    return None


# a count written in digits or words: "3", "Four", "Thirty-one"
_COUNT_WORD = (
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen"
    r"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-[a-z]+)?)"
)
_RESPONSE_NAME = r"(?:CRs?|PRs?|complete\s+responses?|partial\s+responses?)"
# "Four CRs and 27 PRs were observed", "4 complete responses were seen"
_RESPONSES_SEEN = re.compile(
    rf"(?<![\w.,])(?P<n1>{_COUNT_WORD})\s+(?P<e1>{_RESPONSE_NAME})"
    rf"(?:\s*(?:,|and)\s*(?P<n2>{_COUNT_WORD})\s+(?P<e2>{_RESPONSE_NAME}))?"
    r"\s+(?:were|was)\s+(?:observed|seen|recorded|noted)\b",
    re.I,
)
# "None of the patients had a partial response", "5 patients on X had a complete response"
_RESPONSE_HAD = re.compile(
    rf"(?<![\w.,])(?P<n1>none|{_COUNT_WORD})\s+(?:of\s+the\s+)?(?:patients?|participants?)"
    r"(?P<who>\s+(?:on|receiving|treated\s+with|in\s+the)\s+[\w-]+(?:\s+(?:group|arm))?)?"
    rf"\s+(?:had|achieved)\s+an?\s+(?P<e1>{_RESPONSE_NAME})\b",
    re.I,
)


def _response_counts(
    text: str, sentence: Segment, lex: Lexicon, drafts: DraftSet, study: Study, arms: list
) -> None:
    """Counts of complete and partial responses a sentence states: the arm the statement
    names, or, where the sentence names no arm, drug or disease, the whole study's."""
    for pattern in (_RESPONSES_SEEN, _RESPONSE_HAD):
        for match in pattern.finditer(text, sentence.start, sentence.end):
            # the clause of the statement: between semicolons
            begin = text.rfind(";", sentence.start, match.start()) + 1 or sentence.start
            end = text.find(";", match.end(), sentence.end)
            end = sentence.end if end < 0 else end
            clause = [a for a in arms if begin <= a[1] < end]
            inside = [a for a in clause if match.start() <= a[1] < match.end()]
            if len(clause) != len(inside) or len({a[0].id for a in inside}) > 1:
                continue  # an arm named elsewhere in the clause: whose count is unsure
            if pattern is _RESPONSE_HAD and bool(match["who"]) != bool(inside):
                continue
            arm = inside[0][0] if inside else None
            if arm is None and (
                study.single
                or any(
                    lex.mentions(kind, text, sentence.start, sentence.end)
                    for kind in ("drug", "disease")
                )
            ):
                continue
            for n, name in (("n1", "e1"), ("n2", "e2")):
                if match.groupdict().get(n) is None:
                    continue
                endpoint = lex.find("endpoint", re.sub(r"\s+", " ", match[name]))
                found = numbers_in_text(match[n])
                if endpoint is None or len(found) != 1:
                    continue
                value = int(next(iter(found)))
                record: dict[str, Any] = {
                    "type": "outcome",
                    "study": study.id,
                    "endpoint": drafts.name(endpoint),
                    "statistic": "count",
                }
                if arm is not None:
                    record["arm"] = arm.id
                record |= {"value": value, "unit": "patients", "count": value}
                number = Number(match[n], match.start(n), match.end(n))
                drafts.add(
                    Draft(record, [(sentence.start, sentence.end)], "response-count", 0.6, [number])
                )
