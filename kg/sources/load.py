"""Read raw sources and add them to a corpus of curated records.

Each registry study becomes a :class:`RegistryStudyRecord` (a :class:`~kg.model.StudyRecord`
located by JSON Pointer or XPath) in the corpus, so the build merges it with a curated study of
the same NCT id; its results wait in :class:`SourceSet` for :mod:`kg.sources.emit`. A file that
cannot be read contributes nothing and is an error; the other files still load.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.model import Design, SourceDocument, StudyRecord
from kg.normalize import slug
from kg.sources.archive import Entry, walk
from kg.sources.checks import Bad, Problems
from kg.sources.ctgov import read_studies
from kg.sources.ctgov_xml import read_clinical_study
from kg.sources.lexicon import Lexicon
from kg.sources.locators import PointerLocator
from kg.sources.pubmed import read_article_set
from kg.sources.records import Corpus, Loaded, Problem
from kg.sources.trial import Article, Trial
from kg.sources.xmltree import Node, XmlRefused, parse_xml

__all__ = ["RegistryStudyRecord", "SourceSet", "Study", "add_sources", "split_sources"]

_DRUG_TYPES = {"DRUG", "BIOLOGICAL", "GENETIC", "COMBINATION_PRODUCT"}
_PLACEBO = re.compile(r"\b(placebo|sham)\b", re.I)
_PHASES = {("1",): "1", ("1", "2"): "1/2", ("2",): "2", ("2", "3"): "2/3", ("3",): "3", ("4",): "4"}
_BLINDING = {
    "NONE": "open-label",
    "SINGLE": "single-blind",
    "DOUBLE": "double-blind",
    "TRIPLE": "double-blind",
    "QUADRUPLE": "double-blind",
}


class RegistryStudyRecord(StudyRecord):
    """A study read from a registry record: located by JSON Pointer or XPath, not text span."""

    loc: list[PointerLocator]  # type: ignore[assignment]


@dataclass
class Study:
    """A registry study as read, the key it has in the graph, and the keys of its entities."""

    trial: Trial
    key: str
    document: SourceDocument
    drugs: dict[str, str] = field(default_factory=dict)  # intervention name -> drug key
    conditions: list[str] = field(default_factory=list)  # disease keys (curated or MeSH)
    unmatched_conditions: list[str] = field(default_factory=list)
    placebo: set[str] = field(default_factory=set)  # intervention names that are placebo
    terms: dict[str, str] = field(default_factory=dict)  # adverse-event term -> term key


@dataclass
class SourceSet:
    """Everything read from raw sources, for the emitter and the build report."""

    studies: list[Study] = field(default_factory=list)
    articles: list[tuple[Article, SourceDocument]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # files that contributed nothing
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def split_sources(
    sources: Iterable[Path],
) -> tuple[list[Path], list[Entry], list[Problem], list[Problem]]:
    """Record YAML files (read by :mod:`kg.sources.records`), other entries, errors and warnings.

    A file of no kind kg reads is an error when named by the user or broken inside a zip, and
    a warning when a folder merely holds it (a README beside the records).
    """
    yaml_files: list[Path] = []
    entries: list[Entry] = []
    errors: list[Problem] = []
    warnings: list[Problem] = []
    seen: set[Path] = set()
    for source in sources:
        for entry in walk(source):
            yaml_named = entry.path is not None and entry.path.suffix in (".yaml", ".yml")
            if entry.kind == "records-yaml" or (entry.kind == "unknown" and yaml_named):
                assert entry.path is not None
                if entry.path.resolve() not in seen:
                    seen.add(entry.path.resolve())
                    yaml_files.append(entry.path)
            elif entry.kind == "unknown":
                message = f"not a kind of source kg reads: {entry.seen}"
                if entry.inside and "zip" not in entry.seen:
                    warnings.append(Problem(entry.name, None, None, message + "; skipped"))
                else:
                    errors.append(Problem(entry.name, None, None, message))
            else:
                entries.append(entry)
    return yaml_files, entries, errors, warnings


def add_sources(corpus: Corpus, entries: Iterable[Entry]) -> SourceSet:
    """Read registry and PubMed entries; add their studies, documents and entities to corpus."""
    found = SourceSet()
    lexicon = Lexicon(corpus)
    digests: dict[str, str] = {}
    for entry in entries:
        found.files.append(entry.name)
        syntax = "json-pointer" if entry.kind == "json" else "xpath"
        problems = Problems(entry.name, syntax)
        try:
            data = entry.read()
        except (OSError, zipfile.BadZipFile, EOFError) as error:
            found.errors.append(Problem(entry.name, None, None, f"cannot read: {error}"))
            found.left_out.append(entry.name)
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in digests:
            found.warnings.append(
                Problem(entry.name, None, None, f"the same bytes as {digests[digest]}: read once")
            )
            continue
        digests[digest] = entry.name
        try:
            trials, articles = _parse(entry, data, problems)
        except Bad:
            trials, articles = [], []
        found.errors += problems.errors
        found.warnings += problems.warnings
        if not trials and not articles:
            found.left_out.append(entry.name)
            continue
        document = _document(entry.name, digest, trials, articles, corpus)
        corpus.documents[document.id] = document
        for trial in trials:
            found.studies.append(_add_trial(corpus, lexicon, trial, document))
        found.articles += [(article, document) for article in articles]
    return found


def _parse(entry: Entry, data: bytes, p: Problems) -> tuple[list[Trial], list[Article]]:
    if entry.kind == "json":
        try:
            parsed = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise p.error("", None, f"not valid JSON: {error}") from None
        return read_studies(parsed, p), []
    try:
        root = Node.root(parse_xml(data))
    except XmlRefused as error:
        raise p.error("", None, str(error)) from None
    if entry.kind == "ctgov-xml":
        return [read_clinical_study(root, p)], []
    return [], read_article_set(root, p)


def _document(
    name: str, digest: str, trials: list[Trial], articles: list[Article], corpus: Corpus
) -> SourceDocument:
    base = Path(name.split("!")[-1]).name
    doc_id = slug(base)
    if doc_id in corpus.documents:
        doc_id = f"{doc_id}-{digest[:8]}"
    if trials:
        ids = ", ".join(t.nct for t in trials[:3]) + (" ..." if len(trials) > 3 else "")
        title = f"ClinicalTrials.gov record of {ids}"
        identifiers = [f"clinicaltrials:{t.nct}" for t in trials] if len(trials) == 1 else []
        kind = "registry-report"
    else:
        pmids = ", ".join(a.pmid for a in articles[:3]) + (" ..." if len(articles) > 3 else "")
        title = f"PubMed record of PMID {pmids}"
        identifiers = [f"pubmed:{a.pmid}" for a in articles] if len(articles) == 1 else []
        kind = "bibliographic-record"
    return SourceDocument(
        id=doc_id, file=name, kind=kind, title=title, sha256=digest, identifiers=identifiers
    )


def _add_trial(corpus: Corpus, lexicon: Lexicon, t: Trial, doc: SourceDocument) -> Study:
    key = lexicon.study(t.nct)
    study = Study(t, key, doc)
    mesh_by_name = {_fold(m.term): m for m in t.intervention_mesh}
    for item in t.interventions:
        names = [item.name, *item.other_names]
        if _PLACEBO.search(item.name):
            study.placebo.add(item.name)
            continue
        known = lexicon.drugs.find(names, [])
        mesh = next((mesh_by_name[_fold(n)] for n in names if _fold(n) in mesh_by_name), None)
        if known is None and (mesh is None or item.type.upper() not in _DRUG_TYPES):
            # neither a curated drug nor a substance the registry indexed under this name: a
            # procedure, a strategy ("continued prophylaxis"), kept as the arm's intervention
            continue
        study.drugs[item.name] = lexicon.drug(
            names, mesh.id if mesh else None, mesh.term if mesh else None
        )
    for mesh in t.condition_mesh:
        study.conditions.append(lexicon.disease(mesh.term, mesh.id))
    for name in t.conditions:
        known = lexicon.known_disease(name)
        if known is not None:
            study.conditions.append(known)
        else:
            study.unmatched_conditions.append(name)
    study.terms = {e.term: lexicon.term(e.term) for e in t.adverse_events}
    curated = key != t.nct
    record = RegistryStudyRecord(
        type="study",
        id=key,
        label=None if curated else (t.brief_title or t.acronym or t.nct),
        acronym=t.acronym,
        registry_ids=[f"clinicaltrials:{t.nct}"],
        design=_design(t),
        conditions=sorted(set(study.conditions)),
        drugs=sorted(set(study.drugs.values())),
        sponsor=t.sponsor,
        enrollment_start=t.start_date if t.start_date and len(t.start_date) == 10 else None,
        loc=[t.at],
    )
    corpus.records.append(Loaded(record, doc, doc.file, f"study {t.nct}"))
    return study


def _design(t: Trial) -> Design | None:
    randomized = {"RANDOMIZED": True, "NON_RANDOMIZED": False}.get(t.allocation or "")
    if t.study_type == "OBSERVATIONAL":
        kind = "observational"
    elif t.study_type == "INTERVENTIONAL" and randomized:
        kind = "randomized-controlled-trial"
    elif t.study_type == "INTERVENTIONAL" and t.model == "SINGLE_GROUP":
        kind = "single-arm-trial"
    else:
        return None  # no design kind of the model fits; the emitter writes the registry's fields
    types = {arm.type for arm in t.arms}
    control = (
        "placebo"
        if "PLACEBO_COMPARATOR" in types
        else "active"
        if "ACTIVE_COMPARATOR" in types
        else "observation"
        if "NO_INTERVENTION" in types
        else "none"
        if kind == "single-arm-trial"
        else None
    )
    return Design(
        kind=kind,
        phase=_PHASES.get(tuple(sorted(t.phases))),
        randomized=randomized,
        blinding=_BLINDING.get(t.masking or ""),
        control=control,
    )


def _fold(text: str) -> str:
    return re.sub(r"[\s\-_'’,]+", " ", text.casefold()).strip()
