"""Load record files, validate each record on its own, resolve names to entity keys.

A broken file or record is reported as a :class:`Problem` naming the file, the
record and the field; everything else still loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from kg.model import (
    AdverseEventRecord,
    AdverseEventTerm,
    ApprovalRecord,
    ArmRecord,
    Disease,
    DiseaseGeneRecord,
    Drug,
    DrugTargetRecord,
    Endpoint,
    Entities,
    OutcomeRecord,
    ParticipantsRecord,
    Record,
    RecordFile,
    SourceDocument,
    StudyRecord,
    Target,
)
from kg.normalize import NameIndex

__all__ = ["Corpus", "Loaded", "Problem", "load_corpus", "record_files"]

_RECORD = TypeAdapter(Record)


@dataclass(frozen=True, order=True)
class Problem:
    """An error or warning about one file, record and field."""

    file: str
    record: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.record:
            where += f": {self.record}"
        if self.field:
            where += f": field '{self.field}'"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Loaded:
    """A valid record and the document it came from."""

    record: Record
    document: SourceDocument
    file: str
    name: str  # how problems refer to this record


@dataclass
class Corpus:
    """Everything loaded from a set of record files."""

    documents: dict[str, SourceDocument] = field(default_factory=dict)
    drugs: dict[str, Drug] = field(default_factory=dict)
    diseases: dict[str, Disease] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    ae_terms: dict[str, AdverseEventTerm] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    records: list[Loaded] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def of_type(self, kind: type[Any]) -> Iterator[Loaded]:
        """The loaded records of one record class."""
        return (item for item in self.records if isinstance(item.record, kind))


def record_files(*folders: Path) -> list[Path]:
    """The record files (``*.yaml``/``*.yml``) of the folders, sorted by name."""
    found: list[Path] = []
    for folder in folders:
        if folder.is_file():
            found.append(folder)
        else:
            found += sorted(p for p in folder.rglob("*") if p.suffix in {".yaml", ".yml"})
    return found


def load_corpus(paths: Iterable[Path]) -> Corpus:
    """Read record files, then resolve every name and cross-reference."""
    corpus = Corpus()
    raw: list[tuple[str, SourceDocument, int, Any]] = []
    for path in paths:
        corpus.files.append(str(path))
        raw += _read_file(path, corpus)
    indexes = _indexes(corpus)
    for file, document, index, item in raw:
        name = _record_name(index, item)
        try:
            record = _RECORD.validate_python(item)
        except ValidationError as error:
            for detail in error.errors():
                where = ".".join(str(p) for p in detail["loc"][1:]) or None
                corpus.errors.append(Problem(file, name, where, _message(detail)))
            continue
        resolved = _resolve(record, indexes, file, name, corpus)
        if resolved is not None:
            corpus.records.append(Loaded(resolved, document, file, name))
    _check_references(corpus)
    return corpus


def _read_file(path: Path, corpus: Corpus) -> list[tuple[str, SourceDocument, int, Any]]:
    file = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        corpus.errors.append(Problem(file, None, None, f"cannot read: {error}"))
        return []
    if not isinstance(data, dict):
        corpus.errors.append(Problem(file, None, None, "expected a mapping at the top level"))
        return []
    records = data.pop("records", []) or []
    try:
        entities = Entities.model_validate(data.pop("entities", None) or {})
    except ValidationError as error:
        _report(corpus, file, "entities", error)
        entities = Entities()
    _add_entities(corpus, entities, file)
    if "document" not in data:
        if records:
            corpus.errors.append(Problem(file, None, "document", "records need a document"))
        return []
    try:
        header = RecordFile.model_validate({"document": data.pop("document")})
    except ValidationError as error:
        _report(corpus, file, "document", error)
        return []
    for key in data:
        corpus.errors.append(Problem(file, None, key, "unknown top-level section"))
    document = header.document
    known = corpus.documents.get(document.id)
    if known is not None and known != document:
        corpus.errors.append(Problem(file, "document", "id", f"{document.id!r} is used twice"))
        return []
    corpus.documents[document.id] = document
    if not isinstance(records, list):
        corpus.errors.append(Problem(file, None, "records", "expected a list of records"))
        return []
    return [(file, document, i, item) for i, item in enumerate(records, start=1)]


def _report(corpus: Corpus, file: str, part: str, error: ValidationError) -> None:
    for detail in error.errors():
        where = ".".join(str(p) for p in detail["loc"]) or None
        corpus.errors.append(Problem(file, part, where, _message(detail)))


def _message(detail: Any) -> str:
    return str(detail["msg"]).removeprefix("Value error, ")


def _add_entities(corpus: Corpus, entities: Entities, file: str) -> None:
    sections: list[tuple[dict[str, Any], list[Any]]] = [
        (corpus.drugs, entities.drugs),
        (corpus.diseases, entities.diseases),
        (corpus.targets, entities.targets),
        (corpus.ae_terms, entities.adverse_event_terms),
        (corpus.endpoints, entities.endpoints),
    ]
    for catalogue, items in sections:
        for item in items:
            known = catalogue.get(item.key)
            if known is not None and known != item:
                corpus.errors.append(
                    Problem(file, f"entity {item.key!r}", None, "defined twice, differently")
                )
                continue
            catalogue[item.key] = item


def _record_name(index: int, item: Any) -> str:
    if not isinstance(item, dict):
        return f"record #{index}"
    label = item.get("id") or item.get("endpoint") or item.get("term") or item.get("drug") or ""
    return f"record #{index} ({item.get('type', '?')} {label})".replace(" )", ")")


@dataclass(frozen=True)
class _Indexes:
    drug: NameIndex
    disease: NameIndex
    target: NameIndex
    term: NameIndex
    endpoint: NameIndex


def _indexes(corpus: Corpus) -> _Indexes:
    indexes = _Indexes(*(NameIndex(k) for k in ("drug", "disease", "target", "term", "endpoint")))
    for drug in corpus.drugs.values():
        indexes.drug.add(drug.key, drug.label, *drug.synonyms, *drug.brands)
    for disease in corpus.diseases.values():
        indexes.disease.add(disease.key, disease.label, *disease.synonyms)
    for target in corpus.targets.values():
        indexes.target.add(target.key, target.label, *target.synonyms)
    for term in corpus.ae_terms.values():
        indexes.term.add(term.key, term.label, *term.synonyms)
    for endpoint in corpus.endpoints.values():
        names = [endpoint.label, *endpoint.synonyms]
        indexes.endpoint.add(endpoint.key, *names, *filter(None, [endpoint.abbreviation]))
    return indexes


class _Unresolved(Exception):
    pass


def _resolve(record: Record, ix: _Indexes, file: str, name: str, corpus: Corpus) -> Record | None:
    """The record with every entity name replaced by its key, or None on error."""

    def one(index: NameIndex, value: str, where: str) -> str:
        try:
            key, warning = index.resolve(value)
        except KeyError as error:
            corpus.errors.append(Problem(file, name, where, str(error.args[0])))
            raise _Unresolved from None
        if warning:
            corpus.warnings.append(Problem(file, name, where, warning))
        return key

    def many(index: NameIndex, values: list[str], where: str) -> list[str]:
        return [one(index, v, where) for v in values]

    try:
        match record:
            case StudyRecord():
                return record.model_copy(
                    update={
                        "conditions": many(ix.disease, record.conditions, "conditions"),
                        "drugs": many(ix.drug, record.drugs, "drugs"),
                    }
                )
            case ArmRecord():
                regimen = record.regimen.model_copy(
                    update={"drugs": many(ix.drug, record.regimen.drugs, "regimen.drugs")}
                )
                condition = record.condition and one(ix.disease, record.condition, "condition")
                return record.model_copy(update={"regimen": regimen, "condition": condition})
            case ParticipantsRecord():
                condition = record.condition and one(ix.disease, record.condition, "condition")
                return record.model_copy(update={"condition": condition})
            case OutcomeRecord():
                return record.model_copy(
                    update={"endpoint": one(ix.endpoint, record.endpoint, "endpoint")}
                )
            case AdverseEventRecord():
                return record.model_copy(update={"term": one(ix.term, record.term, "term")})
            case DrugTargetRecord():
                return record.model_copy(
                    update={
                        "drug": one(ix.drug, record.drug, "drug"),
                        "target": one(ix.target, record.target, "target"),
                    }
                )
            case DiseaseGeneRecord():
                return record.model_copy(
                    update={
                        "disease": one(ix.disease, record.disease, "disease"),
                        "gene": one(ix.target, record.gene, "gene"),
                    }
                )
            case ApprovalRecord():
                return record.model_copy(
                    update={
                        "drug": one(ix.drug, record.drug, "drug"),
                        "indication": one(ix.disease, record.indication, "indication"),
                    }
                )
    except _Unresolved:
        return None
    return record


def _check_references(corpus: Corpus) -> None:
    """Drop records that point at a study or arm no file defines."""
    studies = {item.record.id for item in corpus.of_type(StudyRecord)}
    arms = {(item.record.study, item.record.id) for item in corpus.of_type(ArmRecord)}
    kept: list[Loaded] = []
    for item in corpus.records:
        record = item.record
        bad: list[tuple[str, str]] = []
        study = getattr(record, "study", None)
        if study is not None and study not in studies:
            bad.append(("study", f"no study {study!r} is defined"))
        for field_name in ("arm", "comparator"):
            arm = getattr(record, field_name, None)
            if arm is not None and study is not None and (study, arm) not in arms:
                bad.append((field_name, f"study {study!r} has no arm {arm!r}"))
        if isinstance(record, ApprovalRecord) and record.based_on not in (None, *studies):
            bad.append(("based_on", f"no study {record.based_on!r} is defined"))
        for field_name, message in bad:
            corpus.errors.append(Problem(item.file, item.name, field_name, message))
        if not bad:
            kept.append(item)
    corpus.records = kept
