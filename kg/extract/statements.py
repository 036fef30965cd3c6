"""Statements without numbers: drug-target ("inhibits VEGFR, PDGFR and RAF kinases") and
approvals (agency, date, indication)."""

from __future__ import annotations

import re

from kg.extract.drafts import Draft, DraftSet
from kg.extract.entities import Entity, Lexicon
from kg.extract.patterns import Number
from kg.extract.text import Segment
from kg.normalize import slug

__all__ = ["draft_statements", "merge_approvals"]

_ACTS = re.compile(r"\b(?:inhibit(?:s|ed|ing|or of)?|block(?:s|ing)?|target(?:s|ing)?)\b", re.I)
_APPROVE = re.compile(r"\bapprov(?:ed|al|es)\b(?:\s+(?:of|to))?", re.I)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(
    rf"\b(?:(?P<month>{_MONTHS})\s+(?:(?P<day>\d{{1,2}}),\s*)?)?(?P<year>(?:19|20)\d\d)\b"
)


def draft_statements(text: str, sents: list[Segment], lex: Lexicon, drafts: DraftSet) -> None:
    """Drug-target and approval drafts, sentence by sentence."""
    for sentence in sents:
        acts = _ACTS.search(sentence.text)
        drugs = lex.mentions("drug", text, sentence.start, sentence.end)
        if not drugs:
            continue
        if acts:
            verb_at = sentence.start + acts.start()
            subject = [d for d in drugs if d.end <= verb_at]
            if subject and verb_at - subject[-1].end < 120:
                targets = lex.mentions("target", text, verb_at, sentence.end)
                for target in targets:
                    record = {
                        "type": "drug_target",
                        "drug": drafts.name(subject[-1].entity),
                        "target": drafts.name(target.entity),
                        "action": "inhibits",
                    }
                    drafts.add(
                        Draft(record, [(sentence.start, sentence.end)], "drug-verb-target", 0.7)
                    )
        if _APPROVE.search(sentence.text) and not re.search(
            r"\bnot\s+(?:been\s+)?approved\b", sentence.text, re.I
        ):
            _approval(text, sentence, lex, drafts, drugs)


_HISTOLOGY = (
    "anaplastic|medullary|papillary|follicular|differentiated|poorly differentiated|clear cell"
    "|squamous|non-squamous|small cell|non-small cell|triple-negative|serous|mucinous"
)
_EXTEND = re.compile(rf"(?:\b(?:{_HISTOLOGY})[\s-]+){{1,2}}$", re.I)
_HEAD = re.compile(
    r"\b(?P<name>(?:[a-z][a-z-]+\s+){1,3}(?:tumou?r|cancer|carcinoma|sarcoma|leuka?emia|lymphoma"
    r"|melanoma|myeloma|glioma|mesothelioma))s?\b"
)
_STAGE = re.compile(
    r"^(?:(?:locally|advanced|metastatic|unresectable|recurrent|refractory|relapsed|symptomatic"
    r"|progressive|previously|untreated|treated|adult|pediatric|patients|with|or|and|the|of|for"
    r"|first-line|second-line|resectable|inoperable|rare)\s+)+",
    re.I,
)


def _indications(
    text: str, start: int, end: int, lex: Lexicon, drafts: DraftSet
) -> list[tuple[Entity, int, int]]:
    """The diseases an approval names after its verb: curated names (widened by a histology
    word before them: "anaplastic thyroid cancer"), else a disease phrase, as a new entity."""
    found = []
    for mention in lex.mentions("disease", text, start, end):
        entity, begin = mention.entity, mention.start
        widened = _EXTEND.search(text[max(start, mention.start - 40) : mention.start])
        if widened:
            name = widened.group() + mention.text
            begin = mention.start - len(widened.group())
            entity = lex.find("disease", name) or Entity(
                "disease", slug(name), name.lower(), new=True
            )
        found.append((entity, begin, mention.end))
    if not found:
        for match in _HEAD.finditer(text, start, end):
            name = _STAGE.sub("", match["name"])
            if len(name.split()) >= 2:
                entity = Entity("disease", slug(name), name, new=True)
                found.append((entity, match.end() - len(name), match.end()))
                break
    return found


def _approval(text: str, sentence: Segment, lex: Lexicon, drafts: DraftSet, drugs: list) -> None:
    verb = _APPROVE.search(text, sentence.start, sentence.end)
    agencies = lex.mentions("agency", text, sentence.start, sentence.end)
    if verb is None or not agencies:
        return
    named = [
        d
        for d in drugs
        if d.start > verb.start() or not [x for x in drugs if x.start > verb.start()]
    ]
    after = re.compile(r"\b(?:for|to\s+treat|in)\b", re.I).search(text, verb.end(), sentence.end)
    if after is None:
        return
    named = [d for d in named if d.start < after.start()] or named[:1]
    diseases = _indications(text, after.end(), sentence.end, lex, drafts)
    if not diseases:
        return
    if len(diseases) > 1:  # a list ("kidney and liver cancer"), not the words after it
        first_end = diseases[0][2]
        diseases = [diseases[0]] + [
            d
            for d in diseases[1:]
            if re.fullmatch(r"[\s,]*(?:and|or)?\s*", text[first_end : d[1]])
            or re.fullmatch(r"[\s,]*(?:and|or)\s+\w+\s*", text[first_end : d[1]])
        ]
    date = _DATE.search(text, sentence.start, sentence.end)
    keys = {drafts.name(d.entity) for d in named}
    for key in sorted(keys):
        for disease, _, _ in diseases:
            record = {
                "type": "approval",
                "drug": key,
                "agency": agencies[0].entity.key,
                "indication": drafts.name(disease),
            }
            values = []
            if date is not None and len(diseases) == 1:
                months = _MONTHS.split("|")
                if date["month"]:
                    month = months.index(date["month"]) + 1
                    day = f"-{int(date['day']):02d}" if date["day"] else ""
                    record["date"] = f"{date['year']}-{month:02d}{day}"
                else:
                    record["date"] = date["year"]
                values.append(Number(date["year"], date.start("year"), date.end("year")))
            drafts.add(
                Draft(record, [(sentence.start, sentence.end)], "agency-approved-drug", 0.6, values)
            )


def merge_approvals(drafts: DraftSet) -> None:
    """An approval drafted without its date where a dated one says the same is the same."""
    dated = {
        (d.record["drug"], d.record["agency"], d.record["indication"]): d
        for d in drafts.drafts
        if d.record["type"] == "approval" and "date" in d.record
    }
    kept = []
    for draft in drafts.drafts:
        r = draft.record
        same = dated.get((r.get("drug"), r.get("agency"), r.get("indication")))
        if r["type"] == "approval" and "date" not in r and same is not None:
            same.spans += [s for s in draft.spans if s not in same.spans]
            continue
        kept.append(draft)
    drafts.drafts = kept
