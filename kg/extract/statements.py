"""Statements without numbers: drug-target ("inhibits VEGFR, PDGFR and RAF kinases") and
approvals (agency, date, indication)."""

from __future__ import annotations

import re

from kg.extract.drafts import Draft, DraftSet
from kg.extract.entities import Lexicon
from kg.extract.patterns import Number
from kg.extract.text import Segment

__all__ = ["draft_statements"]

_ACTS = re.compile(r"\b(?:inhibit(?:s|ed|ing|or of)?|block(?:s|ing)?|target(?:s|ing)?)\b", re.I)
_APPROVE = re.compile(r"\bapprov(?:ed|al|es)\b", re.I)
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


def _approval(text: str, sentence: Segment, lex: Lexicon, drafts: DraftSet, drugs: list) -> None:
    agencies = lex.mentions("agency", text, sentence.start, sentence.end)
    diseases = lex.mentions("disease", text, sentence.start, sentence.end)
    if not agencies or not diseases:
        return
    date = _DATE.search(text, sentence.start, sentence.end)
    drug = drugs[0]
    for disease in diseases:
        record = {
            "type": "approval",
            "drug": drafts.name(drug.entity),
            "agency": agencies[0].entity.key,
            "indication": drafts.name(disease.entity),
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
