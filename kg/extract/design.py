"""Document metadata, the study, its arms and regimens, and participant counts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kg.extract.drafts import Draft, DraftSet
from kg.extract.entities import Lexicon, Mention
from kg.extract.patterns import NUMBER, Number
from kg.extract.text import Segment
from kg.normalize import slug

__all__ = ["Arm", "Study", "draft_design", "draft_metadata"]


@dataclass
class Arm:
    """An arm the text describes: who got what, and the words that name it in results."""

    id: str
    label: str
    role: str
    drugs: list[str] = field(default_factory=list)
    placebo: bool = False
    observation: bool = False


@dataclass
class Study:
    """The study a document reports, as far as the text has shown it."""

    id: str
    kind: str = "journal-article"
    arms: dict[str, Arm] = field(default_factory=dict)
    randomized: bool = False
    registry: bool = False
    single: bool = False  # one arm: every result of the study is the arm's

    def arm_of_drug(self, key: str) -> Arm | None:
        return next((a for a in self.arms.values() if key in a.drugs), None)

    def two_arms(self) -> tuple[Arm, Arm] | None:
        """(experimental, control) when the study compares exactly two arms."""
        experimental = [a for a in self.arms.values() if a.role == "experimental"]
        control = [a for a in self.arms.values() if a.role == "control"]
        if len(experimental) == 1 and len(control) == 1:
            return experimental[0], control[0]
        return None


_NCT = re.compile(r"\bNCT\d{8}\b")
_PMID = re.compile(r"\bPMID:?\s*(\d{5,9})\b")
_DOI = re.compile(r"\bdoi:?\s*(10\.\d{4,9}/[^\s\"<>]+[^\s\"<>.,;)])", re.I)
_ACRONYM = re.compile(
    r"\b([A-Z][A-Z0-9’'\-]{2,15})\s+(?:phase\s+\w+\s+)?(?:trial|study|registry)\b"
)
_NOT_ACRONYM = {"THE", "THIS", "PHASE", "RECIST", "CTCAE", "FDA", "NCI", "RCT", "AND", "ASCO"}


def draft_metadata(text: str, drafts: DraftSet) -> None:
    """Title, identifiers (PMID, DOI, NCT) and the kind of document."""
    front = re.match(r"---\n(.*?)\n---\n", text, re.S)
    named = re.search(r"^title:\s*(.+)$", front[1], re.M) if front else None
    body = text[front.end() :] if front else text
    title = named[1].strip() if named else ""
    title = title or next(
        (ln.strip(" #*") for ln in body.splitlines() if len(ln.strip(" #*-")) > 8), ""
    )
    meta = drafts.metadata
    meta["title"] = title[:300] if title else None
    ids = []
    if match := _PMID.search(text):
        ids.append(f"pubmed:{match[1]}")
    if match := _DOI.search(text):
        ids.append(f"doi:{match[1]}")
    meta["identifiers"] = ids
    head = text[:3000].lower()
    if re.search(r"^PMID:\s*\d+\s*$", text[-300:], re.M):  # an abstract kg extract wrote out
        meta["kind"] = "bibliographic-record"
    elif "cancer.gov" in head or "audiencelevel: patient" in head:
        meta["kind"] = "patient-summary"
    elif "pubmed" in head or ("abstract" in head and "mesh terms" in text.lower()):
        meta["kind"] = "bibliographic-record"
    elif "registry" in head and "trial" not in head[:300]:
        meta["kind"] = "registry-report"
    elif "asco" in text.lower()[-400:] or "congress" in head or "meeting" in head[:500]:
        meta["kind"] = "conference-report"
    elif "cancer.gov" in head or "nci" in head[:600]:
        meta["kind"] = "patient-summary"
    else:
        meta["kind"] = "journal-article"


_RANDOM = re.compile(r"(?<!non-)(?<!non )\brandom(?:ly|i[sz]ed|i[sz]ation|i[sz]e)\b", re.I)
_SINGLE = re.compile(
    r"\bsingle[\s-]*arm\b|\bnon[\s-]*randomi[sz]ed\b|\bopen[\s-]*label,?\s+(?:multicent\w+,?\s+)?"
    r"phase\s*(?:1|2|I|II)\b(?!\s*/)",
    re.I,
)
_PHASE = re.compile(r"\bphase\s*(?P<p>I{1,3}/I{1,3}|I{1,3}V?|IV|[1-4](?:/[1-4])?)\b", re.I)
_BLIND = re.compile(r"\b(double|single)[\s-]*blind(?:ed)?\b|\bopen[\s-]*label\b", re.I)
_RATIO = re.compile(r"(?<![\d.:])\(?\s*(?P<r>[1-4]\s*:\s*[1-4])\s*\)?(?![\d:])")
_MULTI = re.compile(r"\bmulti[\s-]*(?:cent(?:er|re)|institution)", re.I)
_CONTROL = re.compile(r"\b(placebo|observation|best supportive care)\b", re.I)
_DOSE = re.compile(
    rf"(?P<dose>{NUMBER})\s*[-‐]?\s*(?P<unit>mg/m2|mg/m²|mg/kg|mg|µg|ug|g)\b"
    r"(?:[\s\w-]{0,20}?\b(?P<freq>once daily|twice daily|twice a day|once a day|daily|bid"
    r"|b\.i\.d\.|qd|weekly|every 3 weeks|every three weeks))?"
    r"(?:[\s,]*(?:taken\s+)?(?P<route>orally|oral|by mouth|intravenously|intravenous"
    r"|subcutaneously))?",
    re.I,
)
_FREQ = {
    "once daily": "once daily",
    "once a day": "once daily",
    "daily": "once daily",
    "qd": "once daily",
    "twice daily": "twice daily",
    "twice a day": "twice daily",
    "bid": "twice daily",
    "b.i.d.": "twice daily",
    "weekly": "weekly",
    "every 3 weeks": "every 3 weeks",
    "every three weeks": "every 3 weeks",
}
_ROUTE = {"orally": "oral", "oral": "oral", "by mouth": "oral", "intravenously": "intravenous"}
_ROUTE |= {"intravenous": "intravenous", "subcutaneously": "subcutaneous"}


def _design_words(sentence: Segment) -> dict[str, Any]:
    text = sentence.text
    found: dict[str, Any] = {}
    if _RANDOM.search(text):
        found["randomized"] = True
    if match := _PHASE.search(text):
        roman = {"I": "1", "II": "2", "III": "3", "IV": "4", "I/II": "1/2", "II/III": "2/3"}
        found["phase"] = roman.get(match["p"].upper(), match["p"])
    if match := _BLIND.search(text):
        word = match.group().lower()
        found["blinding"] = (
            "open-label"
            if word.startswith("open")
            else "double-blind"
            if word.startswith("double")
            else "single-blind"
        )
    if match := _CONTROL.search(text):
        found["control"] = {"placebo": "placebo"}.get(match[1].lower(), "observation")
    if _MULTI.search(text):
        found["multicenter"] = True
    return found


def draft_design(text: str, sents: list[Segment], lex: Lexicon, drafts: DraftSet) -> Study:
    """The study record, its arms and the participant counts the text states."""
    study = Study(id=f"{drafts.doc_id}-study", kind=drafts.metadata.get("kind", ""))
    study.registry = study.kind == "registry-report" or bool(
        re.search(r"\bregistry\b", text[:3000], re.I)
    )
    record: dict[str, Any] = {"type": "study", "id": study.id}
    spans: list[tuple[int, int]] = []
    design: dict[str, Any] = {}
    nct = sorted(set(_NCT.findall(text)))
    if nct:
        record["registry_ids"] = [f"clinicaltrials:{n}" for n in nct[:3]]
        m = _NCT.search(text)
        spans.append((m.start(), m.end()))  # type: ignore[union-attr]
    acronyms = [
        m
        for m in _ACRONYM.finditer(text[:20000])
        if m[1] not in _NOT_ACRONYM
        and not re.fullmatch(r"[IVX]+", m[1])
        and len(re.findall(rf"\b{re.escape(m[1])}\b", text)) >= 2
    ]
    if acronyms:
        record["acronym"] = acronyms[0][1]
        spans.append((acronyms[0].start(1), acronyms[0].end(1)))
    design_sentences = [
        s
        for s in sents[:400]
        if _RANDOM.search(s.text) or _PHASE.search(s.text) or _BLIND.search(s.text)
    ]
    for sentence in design_sentences[:6]:
        words = _design_words(sentence)
        new = {k: v for k, v in words.items() if k not in design}
        if new:
            design.update(new)
            spans.append((sentence.start, sentence.end))
    study.randomized = bool(design.get("randomized")) and not study.registry
    single = None if study.randomized or study.registry else _SINGLE.search(text[:20000])
    kind = (
        "randomized-controlled-trial"
        if study.randomized
        else "registry"
        if study.registry
        else "single-arm-trial"
        if single
        else None
    )
    if single:
        design["randomized"] = False
        spans.append((single.start(), single.end()))
    if kind is not None:
        record["design"] = {
            "kind": kind,
            **{k: v for k, v in design.items() if kind != "registry" or k in ("multicenter",)},
        }
        if kind == "registry":
            record["design"]["randomized"] = False
    _arms(sents, lex, drafts, study)
    if single:
        _single_arm(sents, lex, drafts, study)
    for sentence in design_sentences:
        if study.randomized and (match := _RATIO.search(sentence.text)) and "design" in record:
            record["design"]["allocation_ratio"] = re.sub(r"\s", "", match["r"])
            spans.append((sentence.start, sentence.end))
            break
    drugs = sorted({d for arm in study.arms.values() for d in arm.drugs})
    if drugs:
        record["drugs"] = drugs
    if spans:
        drafts.add(Draft(record, spans, "study-design-words", 0.8))
    _participants(sents, drafts, study, lex)
    return study


def _arm_mentions(sentence: Segment, lex: Lexicon, text: str) -> list[Mention]:
    return lex.mentions("drug", text, sentence.start, sentence.end)


def _arms(sents: list[Segment], lex: Lexicon, drafts: DraftSet, study: Study) -> None:
    """Arms from the sentence that says who was randomized to what."""
    text = drafts.document.text
    if not study.randomized:
        return
    for sentence in sents[:400]:
        if not re.search(
            r"random\w*\s+(?:assigned|allocated)|were\s+randomi[sz]ed|randomi[sz]ed\s+\("
            r"|to receive|\beither\b",
            sentence.text,
            re.I,
        ):
            continue
        drugs = _arm_mentions(sentence, lex, text)
        control = _CONTROL.search(sentence.text)
        if not drugs or (control is None and len({m.entity.key for m in drugs}) < 2):
            continue
        first = drugs[0]
        key = drafts.name(first.entity)
        arm = Arm(
            id=slug(first.entity.key), label=first.entity.label, role="experimental", drugs=[key]
        )
        regimen: dict[str, Any] = {"drugs": [key]}
        spans = [(sentence.start, sentence.end)]
        dose = _dose_near(text, first, sentence)
        if dose:
            regimen.update(dose)
            arm.label = f"{first.entity.label} {dose['dose']} {dose['unit']}" + (
                f" {dose['frequency']}" if "frequency" in dose else ""
            )
        study.arms[arm.id] = arm
        drafts.add(
            Draft(
                {
                    "type": "arm",
                    "study": study.id,
                    "id": arm.id,
                    "label": arm.label,
                    "role": "experimental",
                    "regimen": regimen,
                },
                spans,
                "arm-randomized-to",
                0.8,
                [],
            )
        )
        if control is not None:
            word = control[1].lower()
            ctl = Arm(id=slug(word), label=word.capitalize(), role="control")
            ctl.placebo, ctl.observation = word == "placebo", word != "placebo"
            reg: dict[str, Any] = {"placebo": True} if ctl.placebo else {"observation": True}
        else:
            other = next(m for m in drugs if m.entity.key != first.entity.key)
            okey = drafts.name(other.entity)
            ctl = Arm(
                id=slug(other.entity.key), label=other.entity.label, role="control", drugs=[okey]
            )
            reg = {"drugs": [okey]}
        study.arms[ctl.id] = ctl
        drafts.add(
            Draft(
                {
                    "type": "arm",
                    "study": study.id,
                    "id": ctl.id,
                    "label": ctl.label,
                    "role": "control",
                    "regimen": reg,
                },
                spans,
                "arm-randomized-to",
                0.8,
                [],
            )
        )
        return


def _single_arm(sents: list[Segment], lex: Lexicon, drafts: DraftSet, study: Study) -> None:
    """The one arm of a single-arm study: the drug the text gives with a dose."""
    text = drafts.document.text
    for sentence in sents[:200]:
        for drug in lex.mentions("drug", text, sentence.start, sentence.end):
            dose = _dose_near(text, drug, sentence)
            if dose is None:
                continue
            key = drafts.name(drug.entity)
            arm = Arm(id=slug(key), label=drug.entity.label, role="experimental", drugs=[key])
            study.arms[arm.id] = arm
            study.single = True
            record = {
                "type": "arm", "study": study.id, "id": arm.id, "label": arm.label,
                "role": "experimental", "regimen": {"drugs": [key], **dose},
            }  # fmt: skip
            drafts.add(Draft(record, [(sentence.start, sentence.end)], "single-arm-dose", 0.7))
            return


_UNIT = r"(?P<unit>mg/m2|mg/m²|mg/kg|mg|g)(?P<per_day>/d(?:ay)?\b)?"
# "drug X 250 mg", "drug X (250-mg tablet", "drug X at a dose of 250 mg"
_DOSE_AFTER = re.compile(
    rf"[\s,(]*(?:(?:at|in)\s+(?:a\s+)?(?:\w+\s+)?doses?\s+of\s+)?(?P<dose>{NUMBER})\s*[-‐]?\s*{_UNIT}",
    re.I,
)
# "250 mg of drug X", "75 mg drug Y"
_DOSE_BEFORE = re.compile(rf"(?P<dose>{NUMBER})\s*[-‐]?\s*{_UNIT}\s+(?:of\s+)?$", re.I)
_FREQ_WORDS = re.compile(
    r"\b(?:once daily|twice daily|twice a day|once a day|daily|bid|b\.i\.d\.|qd|weekly"
    r"|every 3 weeks|every three weeks)\b",
    re.I,
)
_ROUTE_WORDS = re.compile(
    r"\b(?:orally|oral|by mouth|intravenously|intravenous|subcutaneously)\b", re.I
)


def _dose_near(text: str, drug: Mention, sentence: Segment) -> dict[str, Any] | None:
    """The dose written right after a drug name (or right before it: "250 mg of X"), with the
    frequency and route written in the few words after the dose."""
    match = _DOSE_AFTER.match(text, drug.end, sentence.end)
    if match is None:
        window = max(sentence.start, drug.start - 30)
        match = _DOSE_BEFORE.search(text, window, drug.start)
        if match is not None:
            match = _DOSE_BEFORE.match(text, match.start(), drug.start)
    if match is None:
        return None
    unit = match["unit"].replace("²", "2")
    found: dict[str, Any] = {"dose": match["dose"].replace(",", "."), "unit": unit}
    tail_end = min(sentence.end, max(match.end(), drug.end) + 45)
    tail = text[max(match.end(), drug.end) : tail_end]
    tail = re.split(r"\bor\b|;|\)", tail)[0]  # the next arm's dose is not this one's
    if match["per_day"]:
        found["frequency"] = "once daily"
    elif frequency := _FREQ_WORDS.search(tail):
        found["frequency"] = _FREQ[frequency.group().lower()]
    if route := _ROUTE_WORDS.search(tail):
        found["route"] = _ROUTE[route.group().lower()]
    return found


_WORD_NUMBER = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four"
    r"|five|six|seven|eight|nine))?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen)"
)
_COUNT = rf"(?P<n>{NUMBER}|(?<![\w-]){_WORD_NUMBER}(?![\w-]))"
_WHO = r"(?:patients|participants|subjects|adults|children|women|men)"
# "randomly assigned 240 patients", "enrolling 120 patients", "conducted in 954 patients",
# "Safety was assessed in 210 patients"
_COUNT_AFTER = re.compile(
    r"(?P<verb>randomly\s+assigned|randomi[sz]ed|enrolled|enrolling|included|including|registered"
    r"|recruited|evaluated|conducted\s+in|assessed\s+in|analy[sz]ed\s+in)\s+(?:a\s+total\s+of\s+)?"
    rf"{_COUNT}\s+{_WHO}",
    re.I,
)
# "240 patients were randomly assigned", "Forty patients were enrolled", "38 were evaluable"
_COUNT_BEFORE = re.compile(
    rf"{_COUNT}\s+(?:{_WHO}\s+)?(?:\w+\s+){{0,6}}?(?:were|had\s+been)\s+"
    r"(?P<verb>randomly\s+assigned|randomi[sz]ed|enrolled|included|registered|evaluable)",
    re.I,
)


def _count_value(raw: str) -> int | None:
    """A count in digits or words ("forty-eight")."""
    if raw.isdigit():
        return int(raw)
    from kg.normalize import numbers_in_text

    found = numbers_in_text(raw)
    return int(max(found)) if found else None


def _population_of(verb: str, before: str, study: Study) -> str:
    """What a count counts, from its verb and the words before it in the sentence."""
    verb = verb.lower()
    if "safety" in before.lower() or "at least one dose" in before.lower():
        return "safety"
    if verb == "evaluable" or "efficacy" in before.lower():
        return "efficacy"
    return "randomized" if verb.startswith("random") and study.randomized else "enrolled"


_PER_ARM = re.compile(
    rf"(?<![:\d.,])(?P<n>{NUMBER})\s+(?:patients\s+)?(?:were\s+)?(?:randomly\s+assigned\s+)?(?:in|to)\s+(?:the\s+)?(?P<arm>[\w-]+)(?:\s+(?:group|arm))?",
    re.I,
)


def _participants(sents: list[Segment], drafts: DraftSet, study: Study, lex: Lexicon) -> None:
    text = drafts.document.text
    for sentence in sents:
        if study.randomized and study.arms:
            _arm_n(text, sentence, drafts, study, lex)
        for pattern in (_COUNT_AFTER, _COUNT_BEFORE):
            for match in pattern.finditer(text, sentence.start, sentence.end):
                n = _count_value(match["n"])
                after = text[match.end() : match.end() + 40]
                if n is None or re.match(r"\s*(?:to|in)\s+(?:the\s+)?\w+\s+(?:group|arm)", after):
                    continue
                before = text[sentence.start : match.end()]
                population = _population_of(match["verb"], before, study)
                record = {
                    "type": "participants", "study": study.id, "population": population, "n": n,
                }  # fmt: skip
                number = Number(match["n"], match.start("n"), match.end("n"))
                drafts.add(
                    Draft(
                        record,
                        [(sentence.start, sentence.end)],
                        "participants-verb-n",
                        0.75,
                        [number],
                    )
                )
        if not study.arms or not re.search(r"random|assigned|enrolled", sentence.text, re.I):
            continue
        for match in _PER_ARM.finditer(text, sentence.start, sentence.end):
            arm = _arm_named(study, match["arm"])
            if arm is None or not match["n"].isdigit() or not study.randomized:
                continue
            before = text[max(sentence.start, match.start() - 80) : match.start()]
            if not re.search(r"random\w*|assigned|enrolled", before + match.group(), re.I):
                continue
            population = "randomized"  # per arm of a randomized study: as allocated
            record = {
                "type": "participants",
                "study": study.id,
                "arm": arm.id,
                "population": population,
                "n": int(match["n"]),
            }
            number = Number(match["n"], match.start("n"), match.end("n"))
            drafts.add(
                Draft(
                    record, [(sentence.start, sentence.end)], "participants-per-arm", 0.7, [number]
                )
            )


def _arm_named(study: Study, word: str) -> Arm | None:
    folded = word.lower()
    for arm in study.arms.values():
        if folded in (arm.id, arm.label.lower().split(" ")[0], *arm.drugs):
            return arm
    return None


_ARM_N = re.compile(r"[(,;]\s*[nN]\s*=\s*(?P<n>\d+)\s*[);]")


def _arm_n(text: str, sentence: Segment, drafts: DraftSet, study: Study, lex: Lexicon) -> None:
    """Per-arm counts written after the arm: "drug X 250 mg (n = 143)", "(placebo, n=71)"."""
    names = [
        (m.end, study.arm_of_drug(m.entity.key))
        for m in lex.mentions("drug", text, sentence.start, sentence.end)
    ]
    for match in re.finditer(r"\bplacebo\b|\bobservation\b", sentence.text, re.I):
        word = match.group().lower()
        arm = next(
            (a for a in study.arms.values() if (a.placebo if word == "placebo" else a.observation)),
            None,
        )
        names.append((sentence.start + match.end(), arm))
    previous = sentence.start
    for match in _ARM_N.finditer(text, sentence.start, sentence.end):
        before = [(end, arm) for end, arm in names if previous <= end <= match.start() and arm]
        previous = match.end()
        if not before or match.start() - before[-1][0] > 60:
            continue
        arm = before[-1][1]
        words = sentence.text.lower()
        population = (
            "safety" if "safety" in words else "efficacy" if "evaluable" in words else "randomized"
        )
        record = {
            "type": "participants",
            "study": study.id,
            "arm": arm.id,
            "population": population,
            "n": int(match["n"]),
        }
        number = Number(match["n"], match.start("n"), match.end("n"))
        drafts.add(
            Draft(
                record,
                [(sentence.start, sentence.end)],
                "participants-arm-n-equals",
                0.75,
                [number],
            )
        )
