"""Load record files, validate each record on its own, resolve names to entity keys.

Every problem names the file, the line, the record and the field. A file with an error
contributes nothing: its document, entities and records are left out, and so is any file
that needed them; everything else still loads.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
import pickle
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from kg import paths
from kg.model import (
    AdverseEventRecord,
    AdverseEventTerm,
    ApprovalRecord,
    ArmRecord,
    BaselineRecord,
    DeviationRecord,
    Disease,
    DiseaseGeneRecord,
    Drug,
    DrugTargetRecord,
    Endpoint,
    Entities,
    FindingRecord,
    OutcomeRecord,
    ParticipantsRecord,
    ProtocolRuleRecord,
    Record,
    SampleSizeRecord,
    SourceDocument,
    StudyEndpointRecord,
    StudyRecord,
    Target,
)
from kg.normalize import NameIndex, numbers_in_text
from kg.sources.decoding import decode_document

__all__ = [
    "Corpus",
    "Loaded",
    "Problem",
    "check_documents",
    "error_summary",
    "load_corpus",
    "read_yaml",
    "record_files",
]

_RECORD = TypeAdapter(Record)
_SECTIONS = ("document", "entities", "records")


@functools.total_ordering
@dataclass(frozen=True)
class Problem:
    """An error or warning about one file (and line), record and field."""

    file: str
    record: str | None
    field: str | None
    message: str
    line: int = 0  # 1-based; 0 when unknown

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.record:
            where += f": {self.record}"
        if self.field:
            where += f": field '{self.field}'"
        return f"{where}: {self.message}"

    def _key(self) -> tuple[str, int, str, str, str]:
        return (self.file, self.line, self.record or "", self.field or "", self.message)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return self._key() < other._key()


@dataclass(frozen=True)
class Loaded:
    """A valid record and the document it came from."""

    record: Record
    document: SourceDocument
    file: str
    name: str  # how problems refer to this record
    line: int = 0


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
    left_out: list[str] = field(default_factory=list)  # files that contributed nothing
    # the text of each document, once check_documents has read them (None: not readable)
    texts: dict[str, str | None] = field(default_factory=dict)
    _sources: list[_File] = field(default_factory=list, repr=False)
    # the span errors and document warnings of each documents folder checked
    _checked: dict[Path, tuple[list[Problem], list[Problem]]] = field(
        default_factory=dict, repr=False
    )
    # the problems the last assembly made (others' problems are kept on reassembly)
    _made: tuple[set[Problem], set[Problem]] = field(
        default_factory=lambda: (set(), set()), repr=False
    )
    _released: bool = field(default=False, repr=False)
    _known_studies: frozenset[str] = field(default=frozenset(), repr=False)  # see load_part

    def release_sources(self) -> None:
        """Let go of the files as read (their YAML with line numbers and their unresolved
        records), about half a large corpus's memory: the build needs only what they
        resolved to from here on. Documents can no longer be checked afterwards."""
        self._sources = []
        self._released = True

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


def error_summary(corpus: Corpus, errors: Sequence[Problem]) -> str:
    """One true sentence after a list of errors: which files were left out, and the rest."""
    count = f"{len(errors)} error{'' if len(errors) == 1 else 's'}"
    if not errors:
        return f"{count}."
    others = sum(1 for e in errors if e.file not in corpus.left_out)
    if not corpus.left_out:
        return f"{count} (above); no record file was left out."
    one = len(corpus.left_out) == 1
    names = ", ".join(corpus.left_out[:-1]) + " and " * (not one) + corpus.left_out[-1]
    text = (
        f"{count}: {names} {'was' if one else 'were'} left out, and nothing from "
        f"{'it' if one else 'them'} is in the graph"
    )
    if others:
        text += f"; {others} {'is' if others == 1 else 'are'} not about a record file"
    return text + "."


# --- reading YAML with line numbers --------------------------------------------------


class _Mapping(dict[Any, Any]):
    """A YAML mapping that remembers its line and the line of each key."""

    __slots__ = ("key_lines", "line")

    line: int
    key_lines: dict[Any, int]


class _Sequence(list[Any]):
    """A YAML sequence that remembers its line and the line of each item."""

    __slots__ = ("item_lines", "line")

    line: int
    item_lines: list[int]


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """libyaml's safe loader, keeping line numbers; a key given twice is an error.

    Faster than PyYAML's own machinery on record files, with the same results (a test compares
    them): a plain scalar's tag is resolved once per distinct text (keys and values repeat in
    every record), and strings, mappings and sequences are built by direct recursion; any other
    tag (numbers, dates, booleans, sets...) goes through PyYAML's constructors.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0] and not self.yaml_path_resolvers:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) < 1 << 17:
                    _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def construct_document(self, node: Any) -> Any:
        try:
            return self._build(node)
        finally:
            self.constructed_objects, self.recursive_objects = {}, {}
            self.state_generators, self.deep_construct = [], False

    def _build(self, node: Any) -> Any:
        tag = node.tag
        if tag == _STR and type(node) is yaml.ScalarNode:
            return node.value
        if node in self.constructed_objects:  # an alias of a node built already
            return self.constructed_objects[node]
        if tag == _MAP and type(node) is yaml.MappingNode:
            mapping = self.constructed_objects[node] = _Mapping()
            _fill_mapping(self, node, mapping, self._build)
            return mapping
        if tag == _SEQ and type(node) is yaml.SequenceNode:
            sequence = self.constructed_objects[node] = _lined_sequence(node)
            sequence.extend(self._build(item) for item in node.value)
            return sequence
        return self.construct_object(node, deep=True)


_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{kind}" for kind in ("str", "map", "seq"))
_PLAIN_TAGS: dict[str, str] = {}  # a plain scalar's text -> its tag (YAML 1.1 implicit types)


def _fill_mapping(
    loader: Any, node: yaml.MappingNode, data: _Mapping, build: Callable[[Any], Any]
) -> None:
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = build(key_node)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"a key cannot be a {type(key).__name__}",
                key_node.start_mark,
            ) from None
        if key in data:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"{key!r} is given twice (first at line {data.key_lines[key]})",
                key_node.start_mark,
            )
        data[key] = build(value_node)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> Iterator[_Mapping]:
    data = _Mapping()
    yield data
    _fill_mapping(loader, node, data, lambda n: loader.construct_object(n, deep=False))


def _lined_sequence(node: yaml.SequenceNode) -> _Sequence:
    """An empty sequence with the lines of ``node`` and of its items."""
    data = _Sequence()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    return data


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> Iterator[_Sequence]:
    data = _lined_sequence(node)
    yield data
    data.extend(loader.construct_object(item, deep=False) for item in node.value)


_LineLoader.add_constructor(_MAP, _construct_mapping)
_LineLoader.add_constructor(_SEQ, _construct_sequence)


def read_yaml(text: str) -> Any:
    """Parse YAML; mappings and sequences carry ``line`` (1-based) for error messages."""
    return yaml.load(text, Loader=_LineLoader)


def _yaml_problem(file: str, error: yaml.YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    message = f"not valid YAML: {problem}"
    if mark is not None:
        message += f" (column {mark.column + 1})"
    if context and context_mark is not None:
        message += f", {context} at line {context_mark.line + 1}"
    return Problem(file, None, None, message, mark.line + 1 if mark is not None else 0)


def _line_of(node: Any, path: Iterable[Any]) -> int:
    """The line of the deepest part of ``path`` that the YAML holds."""
    line = getattr(node, "line", 0)
    for step in path:
        if isinstance(node, _Mapping) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, _Sequence) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        elif isinstance(node, _Mapping) and step == 0:  # one item written without a list
            continue
        else:
            break
    return line


# --- one file on its own ---------------------------------------------------------------


@dataclass
class _Item:
    index: int
    name: str
    line: int
    raw: Any
    record: Record | None  # None: it failed validation


@dataclass
class _File:
    name: str
    path: Path
    data: Any = None
    document: SourceDocument | None = None
    entities: Entities = field(default_factory=Entities)
    items: list[_Item] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)  # found reading the file alone
    warnings: list[Problem] = field(default_factory=list)

    def error(
        self, message: str, *, record: str | None = None, where: str | None = None, line: int = 0
    ) -> None:
        self.errors.append(Problem(self.name, record, where, message, line))

    def line(self, *path: Any) -> int:
        return _line_of(self.data, path)


def _parse_file(
    path: Path, name: str, cache: Path | None = None
) -> tuple[Any, Problem | str | None]:
    """A record file's YAML (plain data with line numbers), or why it cannot be read.

    With a ``cache`` folder the parsed data is kept there under the digest of the file's
    bytes, and read back (several times faster than parsing) while the file is unchanged.
    """
    try:
        raw = path.read_bytes()
        kept = None
        if cache is not None:
            kept = cache / f"{hashlib.sha256(raw + _PARSED_FORMAT).hexdigest()}.pickle"
            try:
                data = pickle.loads(kept.read_bytes())
                os.utime(kept)  # used by this build: kept by prune_parsed
                return data, None
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
                pass
        data = read_yaml(raw.decode("utf-8"))
    except yaml.YAMLError as error:
        return None, _yaml_problem(name, error)
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot read: {error}"
    if kept is not None:
        from kg.export import atomic_write

        atomic_write(kept, pickle.dumps(data, protocol=5), durable=False)
    return data, None


_PARSED_FORMAT = b"\0parsed-yaml-1"  # changes when read_yaml's output changes


def prune_parsed(cache: Path, before: float) -> None:
    """Remove the parsed files no build has used since ``before`` (a time stamp)."""
    for path in cache.glob("*.pickle"):
        try:
            if path.stat().st_mtime < before:
                path.unlink()
        except OSError:
            pass


def _read_file(
    path: Path, name: str, parsed: tuple[Any, Problem | str | None] | None = None
) -> _File:
    file = _File(name, path)
    data, problem = parsed if parsed is not None else _parse_file(path, name)
    if isinstance(problem, Problem):
        file.errors.append(problem)
        return file
    if problem is not None:
        file.error(problem)
        return file
    if not isinstance(data, dict):
        file.error("expected a mapping with document, entities and records", line=1)
        return file
    file.data = data
    for key in data:
        if key not in _SECTIONS:
            file.error(
                f"unknown top-level section {key!r} (a file has {', '.join(_SECTIONS)})",
                line=file.line(key),
            )
    try:
        file.entities = Entities.model_validate(data.get("entities") or {})
    except ValidationError as error:
        _report(file, error, "entities", ("entities",))
    if data.get("document") is not None:
        try:
            file.document = SourceDocument.model_validate(data["document"])
        except ValidationError as error:
            _report(file, error, "document", ("document",))
    records = data.get("records") or []
    if not isinstance(records, list):
        file.error("expected a list of records", where="records", line=file.line("records"))
        return file
    if records and "document" not in data:
        file.error("records need a document: add a 'document:' header", line=file.line("records"))
    for index, raw in enumerate(records, start=1):
        file.items.append(_validate_record(file, index, raw))
    return file


def _report(file: _File, error: ValidationError, part: str, at: tuple[Any, ...]) -> None:
    for detail in error.errors():
        where = ".".join(str(p) for p in detail["loc"]) or None
        line = file.line(*at, *detail["loc"])
        file.error(_message(detail), record=part, where=where, line=line)


def _validate_record(file: _File, index: int, raw: Any) -> _Item:
    if isinstance(raw, dict) and isinstance(raw.get("type"), str):
        raw["type"] = re.sub(r"[\s-]+", "_", raw["type"].strip().lower())  # adverse-event
    name = _record_name(index, raw)
    line = file.line("records", index - 1)
    try:
        record = _RECORD.validate_python(raw)
    except ValidationError as error:
        for detail in error.errors():
            path = detail["loc"][1:]  # the first step is the record type
            where = ".".join(str(p) for p in path) or None
            file.error(
                _message(detail),
                record=name,
                where=where,
                line=_line_of(raw, path) or line,
            )
        return _Item(index, name, line, raw, None)
    return _Item(index, name, line, raw, record)


def _message(detail: Any) -> str:
    return str(detail["msg"]).removeprefix("Value error, ")


def _record_name(index: int, item: Any) -> str:
    if not isinstance(item, dict):
        return f"record #{index}"
    label = item.get("id") or item.get("endpoint") or item.get("term") or item.get("drug") or ""
    label = label or item.get("characteristic") or item.get("rule") or item.get("kind") or ""
    return f"record #{index} ({item.get('type', '?')} {label})".replace(" )", ")")


# --- all files together ------------------------------------------------------------------


def load_corpus(
    paths: Iterable[Path],
    *,
    name_of: Callable[[Path], str] | None = None,
    executor: Executor | None = None,
    cache: Path | None = None,
) -> Corpus:
    """Read record files, then resolve every name and cross-reference.

    ``name_of`` gives the name problems use for a file (default: its file name). With an
    ``executor`` (worker processes) many files are parsed in parallel; the records are then
    validated and resolved here. ``cache``: a folder that keeps each file's parsed YAML.
    """
    name_of = name_of or (lambda path: path.name)
    corpus = Corpus()
    paths = list(paths)
    for path in paths:
        name = name_of(path)
        if name in corpus.files:  # two files of one name: tell them apart by their paths
            name = str(path)
        corpus.files.append(name)
    caches = [cache] * len(paths)
    parsed: Iterable[Any] = map(_parse_file, paths, corpus.files, caches)
    if executor is not None and len(paths) >= 16:
        parsed = executor.map(_parse_file, paths, corpus.files, caches, chunksize=8)
    for path, name, data in zip(paths, corpus.files, parsed, strict=True):
        corpus._sources.append(_read_file(path, name, data))
    _assemble(corpus)
    return corpus


def load_part(
    paths: Sequence[Path],
    names: Sequence[str],
    entities: Corpus,
    studies: Iterable[str],
    *,
    cache: Path | None = None,
) -> Corpus:
    """Some record files of a larger corpus, read and resolved against what the rest defines:
    the entity tables of ``entities`` and the ``studies`` (ids) of the other files.

    ``names`` are the names the whole corpus gave the files. The records come out as the whole
    corpus would resolve them while these files keep every study, arm and document their
    records point at (a slice of :mod:`kg.fragments`); the quick rebuild relies on that.
    """
    corpus = Corpus(_known_studies=frozenset(studies))
    known = _File("(entities of the other files)", Path())
    known.entities = Entities.model_construct(
        drugs=list(entities.drugs.values()),
        diseases=list(entities.diseases.values()),
        targets=list(entities.targets.values()),
        adverse_event_terms=list(entities.ae_terms.values()),
        endpoints=list(entities.endpoints.values()),
    )
    corpus._sources.append(known)
    for path, name in zip(paths, names, strict=True):
        corpus.files.append(name)
        corpus._sources.append(_read_file(path, name, _parse_file(path, name, cache)))
    _assemble(corpus)
    return corpus


def check_documents(corpus: Corpus, folder: Path) -> None:
    """Check every span against the text of its document in ``folder``.

    A span past the end of its document is an error, and its file is then left out; a
    document missing from the folder, or whose text differs from its ``sha256``, is a
    warning (its spans cannot be checked). Fills ``corpus.texts``.
    """
    if folder in corpus._checked:
        return
    if corpus._released:
        raise ValueError("the corpus let go of its files (release_sources): check it before")
    errors: list[Problem] = []
    warnings: list[Problem] = []
    docs = {f.document.id: (f, f.document) for f in corpus._sources if f.document is not None}
    embedded: list[str] = []  # the seed documents: one warning for all of them
    for doc_id, (file, doc) in sorted(docs.items()):
        corpus.texts[doc_id] = _document_text(file, doc, folder, warnings)
        if (folder / doc.file).is_file():
            continue
        if file.path.resolve().is_relative_to(paths.RECORDS.resolve()):
            embedded.append(doc.file)
            continue
        message = f"{doc.file} is not in {folder}: its spans are not checked and get no quotes"
        line = file.line("document", "file")
        warnings.append(Problem(file.name, "document", "file", message, line))
    if embedded:
        message = (
            f"the documents of the embedded records are not in {folder}, so their spans are "
            f"not checked and get no quotes: {', '.join(sorted(embedded))}"
        )
        warnings.append(Problem(str(folder), None, None, message))
    by_file = {doc.file: doc_id for doc_id, (_, doc) in docs.items()}
    for file in corpus._sources:
        for item in file.items if file.document is not None else []:
            for i, loc in enumerate(item.record.loc if item.record is not None else []):
                doc_id = by_file.get(loc.file, "") if loc.file else file.document.id
                text = corpus.texts.get(doc_id)
                if text is None or loc.span[1] <= len(text):
                    continue
                start, end = loc.span
                message = (
                    f"span [{start}, {end}] ends past the end of {docs[doc_id][1].file} "
                    f"({len(text)} characters)"
                )
                line = _line_of(item.raw, ["loc", i, "span"]) or item.line
                errors.append(Problem(file.name, item.name, "loc.span", message, line))
            missing = _numbers_not_in_spans(item, file, by_file, corpus.texts)
            if missing:
                shown = ", ".join(str(n) for n in missing)
                message = (
                    f"states {shown}, which {'is' if len(missing) == 1 else 'are'} not in the "
                    "text of its spans: correct the number, or point loc at the text stating it"
                )
                errors.append(Problem(file.name, item.name, "loc", message, item.line))
    corpus._checked[folder] = (errors, warnings)
    _assemble(corpus)


def _numbers_not_in_spans(
    item: _Item, file: _File, by_file: dict[str, str], texts: dict[str, str | None]
) -> list[Any]:
    """The numbers a record states that the text of its spans does not (all spans readable)."""
    if item.record is None or file.document is None:
        return []
    quoted = []
    for loc in item.record.loc:
        text = texts.get(by_file.get(loc.file, "") if loc.file else file.document.id)
        if text is None or loc.span[1] > len(text):
            return []  # not checkable here (or already an error of its own)
        quoted.append(text[loc.span[0] : loc.span[1]])
    return sorted(item.record.stated_numbers() - numbers_in_text(" ".join(quoted)))


def _document_text(
    file: _File, doc: SourceDocument, folder: Path, warnings: list[Problem]
) -> str | None:
    path = folder / doc.file
    if not path.is_file():
        return None
    data = path.read_bytes()
    if doc.sha256 and hashlib.sha256(data).hexdigest() != doc.sha256:
        message = f"the text of {path} differs from its sha256: its spans are not checked"
        warnings.append(Problem(file.name, "document", "sha256", message, file.line("document")))
        return None
    decoded = decode_document(data)  # the extractor reads documents the same way
    if decoded.binary:
        message = f"{path} is not text: its spans are not checked"
        warnings.append(Problem(file.name, "document", "file", message, file.line("document")))
        return None
    return decoded.text


def _assemble(corpus: Corpus) -> None:
    """Fill ``corpus`` from its files, leaving out each file with an error until none has one.

    Leaving a file out can break another (a record of a study the first defined), so this
    repeats until no further file fails. Problems others added to the corpus are kept.
    """
    span_errors = [p for errors, _ in corpus._checked.values() for p in errors]
    errors: dict[str, list[Problem]] = {}
    for file in corpus._sources:
        found = file.errors + [p for p in span_errors if p.file == file.name]
        if found:
            errors[file.name] = found
    unreadable = [f for f in corpus._sources if f.name in errors and f.data is not None]
    while True:
        good = [f for f in corpus._sources if f.name not in errors]
        left_out = [f for f in corpus._sources if f.name in errors]
        result = _Combined(good, left_out, corpus._known_studies)
        failing = {name: found for name, found in result.errors.items() if found}
        if not failing:
            break
        errors.update(failing)
    for file in unreadable:  # what else is wrong with it, so that one run reports everything
        found = _Combined([*good, file], [], corpus._known_studies).errors[file.name]
        errors[file.name] += [p for p in found if p not in errors[file.name]]
    corpus.documents = result.documents
    corpus.drugs, corpus.diseases, corpus.targets = result.drugs, result.diseases, result.targets
    corpus.ae_terms, corpus.endpoints = result.ae_terms, result.endpoints
    corpus.records = [loaded for loaded, _ in result.records]
    corpus.left_out = [f.name for f in corpus._sources if f.name in errors]
    made_errors = sorted(p for found in errors.values() for p in found)
    made_warnings = [w for f in corpus._sources for w in f.warnings] + result.warnings
    made_warnings += [p for _, warnings in corpus._checked.values() for p in warnings]
    made_warnings = sorted(set(made_warnings))
    old_errors, old_warnings = corpus._made
    corpus.errors = made_errors + [p for p in corpus.errors if p not in old_errors]
    corpus.warnings = made_warnings + [p for p in corpus.warnings if p not in old_warnings]
    corpus._made = (set(made_errors), set(made_warnings))


@dataclass
class _Indexes:
    drug: NameIndex
    disease: NameIndex
    target: NameIndex
    term: NameIndex
    endpoint: NameIndex


class _Unresolved(Exception):
    pass


class _Combined:
    """The entities, documents and resolved records of a set of files, and their errors."""

    def __init__(
        self, files: list[_File], left_out: list[_File], known_studies: Iterable[str] = ()
    ) -> None:
        self.known_studies = set(known_studies)  # defined in files not among these
        self.documents: dict[str, SourceDocument] = {}
        self.drugs: dict[str, Drug] = {}
        self.diseases: dict[str, Disease] = {}
        self.targets: dict[str, Target] = {}
        self.ae_terms: dict[str, AdverseEventTerm] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.records: list[tuple[Loaded, _Item]] = []
        self.errors: dict[str, list[Problem]] = {f.name: [] for f in files}
        self.warnings: list[Problem] = []
        kinds = ("drug", "disease", "target", "term", "endpoint")
        self.ix = _Indexes(*(NameIndex(kind) for kind in kinds))
        self.elsewhere = {  # studies of files left out, to say why a reference fails
            str(item.raw.get("id")): f.name
            for f in left_out
            for item in f.items
            if isinstance(item.raw, dict) and item.raw.get("type") == "study"
        }
        self.left_out_names = _left_out_names(left_out)  # (kind, name) -> file left out
        for file in files:
            self._entities(file)
            self._document(file)
        for file in files:
            self._check_entities(file)
        for file in files:
            self._records(file)
        self._references(files)

    def _error(
        self,
        file: _File,
        message: str,
        *,
        record: str | None = None,
        where: str | None = None,
        line: int = 0,
    ) -> None:
        self.errors[file.name].append(Problem(file.name, record, where, message, line))

    # -- entities and documents --------------------------------------------------------

    def _entities(self, file: _File) -> None:
        sections: list[tuple[str, dict[str, Any], list[Any], NameIndex, str]] = [
            ("drugs", self.drugs, file.entities.drugs, self.ix.drug, "drug"),
            ("diseases", self.diseases, file.entities.diseases, self.ix.disease, "disease"),
            ("targets", self.targets, file.entities.targets, self.ix.target, "target"),
            (
                "adverse_event_terms",
                self.ae_terms,
                file.entities.adverse_event_terms,
                self.ix.term,
                "term",
            ),
            ("endpoints", self.endpoints, file.entities.endpoints, self.ix.endpoint, "endpoint"),
        ]
        for section, catalogue, items, index, kind in sections:
            for i, item in enumerate(items):
                line = file.line("entities", section, i)
                known = catalogue.get(item.key)
                if known is not None and known != item:
                    self._error(
                        file,
                        "defined twice, differently (an entity is defined once; "
                        "give a new entity its own key)",
                        record=f"{kind} {item.key!r}",
                        line=line,
                    )
                    continue
                catalogue[item.key] = item
                names = [item.label, *item.synonyms]
                names += getattr(item, "brands", [])
                names += [a for a in [getattr(item, "abbreviation", None)] if a]
                try:
                    index.add(item.key, *names)
                except ValueError as error:
                    self._error(file, str(error), record=f"{kind} {item.key!r}", line=line)

    def _document(self, file: _File) -> None:
        doc = file.document
        if doc is None:
            return
        known = self.documents.get(doc.id)
        if known is not None and known != doc:
            self._error(
                file,
                f"document id {doc.id!r} is used twice, differently",
                record="document",
                where="id",
                line=file.line("document", "id"),
            )
            return
        for other in self.documents.values():
            if other.file == doc.file and other.id != doc.id:
                self._error(
                    file,
                    f"{doc.file!r} is already the file of document {other.id!r}",
                    record="document",
                    where="file",
                    line=file.line("document", "file"),
                )
                return
        self.documents[doc.id] = doc

    def _check_entities(self, file: _File) -> None:
        """Identifiers (or a stated gap), known CURIE prefixes, and keys entities point at."""
        prefixes = _prefixes()
        gaps = _recorded_gaps()
        if file.document is not None:
            for curie in file.document.identifiers:
                self._prefix(file, curie, prefixes, "document", "identifiers", ("document",))
            for i, related in enumerate(file.document.related):
                for curie in related.identifiers:
                    at = ("document", "related", i)
                    self._prefix(file, curie, prefixes, "document", "identifiers", at)
        sections: list[tuple[str, str, list[Any]]] = [
            ("drugs", "drug", file.entities.drugs),
            ("diseases", "disease", file.entities.diseases),
            ("targets", "target", file.entities.targets),
            ("adverse_event_terms", "adverse_event", file.entities.adverse_event_terms),
        ]
        for section, kind, items in sections:
            for i, item in enumerate(items):
                at = ("entities", section, i)
                name = f"{kind} {item.key!r}"
                for curie in [*item.identifiers, *_mapped_identifiers(item)]:
                    self._prefix(file, curie, prefixes, name, "identifiers", at)
                if isinstance(item, Target) and item.kind == "family":
                    self._family(file, item, at)
                elif not (
                    item.identifiers
                    or getattr(item, "identifier_gap", None)
                    or (kind, item.key) in gaps
                ):
                    self._error(file, _gap_message(kind, section), record=name, line=file.line(*at))
                if isinstance(item, Disease) and item.parent:
                    self._key(file, self.ix.disease, item.parent, name, "parent", at)

    def _family(self, file: _File, family: Target, at: tuple[Any, ...]) -> None:
        name = f"target {family.key!r}"
        members = [self._key(file, self.ix.target, m, name, "members", at) for m in family.members]
        identified = [m for m in members if m and m in self.targets and self.targets[m].identifiers]
        if not family.identifiers and not identified:
            self._error(
                file,
                "a target family needs identifiers of its own or a member with identifiers: "
                "list the member targets' keys under 'members'",
                record=name,
                line=file.line(*at),
            )

    def _key(
        self,
        file: _File,
        index: NameIndex,
        value: str,
        record: str,
        where: str,
        at: tuple[Any, ...],
    ) -> str | None:
        if value in self._catalogue(index):
            return value
        self._error(
            file,
            f"unknown {index.kind} key {value!r}",
            record=record,
            where=where,
            line=file.line(*at, where),
        )
        return None

    def _catalogue(self, index: NameIndex) -> dict[str, Any]:
        return self.diseases if index is self.ix.disease else self.targets

    def _prefix(
        self,
        file: _File,
        curie: str,
        prefixes: frozenset[str],
        record: str,
        where: str,
        at: tuple[Any, ...],
    ) -> None:
        prefix = curie.partition(":")[0]
        if prefix not in prefixes:
            self._error(
                file,
                f"unknown identifier prefix {prefix!r} in {curie!r}; known prefixes: "
                + ", ".join(sorted(prefixes)),
                record=record,
                where=where,
                line=file.line(*at, where),
            )

    # -- records -----------------------------------------------------------------------

    def _records(self, file: _File) -> None:
        if file.document is None:
            return
        prefixes = _prefixes()
        for item in file.items:
            if item.record is None or getattr(item.record, "review", None) == "rejected":
                continue  # a draft the curator rejected is not built
            if isinstance(item.record, StudyRecord):
                at = ("records", item.index - 1)
                for curie in item.record.registry_ids:
                    self._prefix(file, curie, prefixes, item.name, "registry_ids", at)
            resolved = self._resolve(file, item)
            if resolved is not None:
                loaded = Loaded(resolved, file.document, file.name, item.name, item.line)
                self.records.append((loaded, item))

    def _resolve(self, file: _File, item: _Item) -> Record | None:
        """The record with every entity name replaced by its key, or None on error."""
        record, ix = item.record, self.ix

        def one(index: NameIndex, value: str, where: str) -> str:
            try:
                key, warning = index.resolve(value)
            except KeyError as error:
                line = _line_of(item.raw, _steps(where)) or item.line
                message = str(error.args[0])
                elsewhere = self.left_out_names.get((index.kind, NameIndex.fold(value)))
                if elsewhere:
                    message += f" ({elsewhere}, which defines it, was left out)"
                self._error(file, message, record=item.name, where=where, line=line)
                raise _Unresolved from None
            if warning:
                line = _line_of(item.raw, _steps(where)) or item.line
                self.warnings.append(Problem(file.name, item.name, where, warning, line))
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
                    given = record.regimen
                    components = [
                        c.model_copy(
                            update={"drug": one(ix.drug, c.drug, f"regimen.components.{n}")}
                        )
                        for n, c in enumerate(given.components)
                    ]
                    regimen = given.model_copy(
                        update={
                            "drugs": many(ix.drug, given.drugs, "regimen.drugs"),
                            "with_some": many(ix.drug, given.with_some, "regimen.with_some"),
                            "components": components,
                        }
                    )
                    condition = record.condition and one(ix.disease, record.condition, "condition")
                    return record.model_copy(update={"regimen": regimen, "condition": condition})
                case ParticipantsRecord():
                    condition = record.condition and one(ix.disease, record.condition, "condition")
                    return record.model_copy(update={"condition": condition})
                case OutcomeRecord():
                    condition = record.condition and one(ix.disease, record.condition, "condition")
                    return record.model_copy(
                        update={
                            "endpoint": one(ix.endpoint, record.endpoint, "endpoint"),
                            "condition": condition,
                        }
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
                case StudyEndpointRecord() | FindingRecord() | SampleSizeRecord() if (
                    record.endpoint is not None
                ):
                    return record.model_copy(
                        update={"endpoint": one(ix.endpoint, record.endpoint, "endpoint")}
                    )
                case BaselineRecord() | ProtocolRuleRecord() | DeviationRecord():
                    return record
        except _Unresolved:
            return None
        return record

    def _references(self, files: list[_File]) -> None:
        """Studies and arms a record points at, and documents a locator names, must exist."""
        records = [loaded.record for loaded, _ in self.records]
        studies = {r.id for r in records if isinstance(r, StudyRecord)} | self.known_studies
        arms = {(r.study, r.id) for r in records if isinstance(r, ArmRecord)}
        doc_files = {doc.file for doc in self.documents.values()}
        by_name = {f.name: f for f in files}
        kept: list[tuple[Loaded, _Item]] = []
        for loaded, item in self.records:
            record, file = loaded.record, by_name[loaded.file]
            bad: list[tuple[str, str]] = []
            study = getattr(record, "study", None)
            if study is not None and study not in studies:
                bad.append(("study", self._no_study(study)))
            for field_name in ("arm", "comparator"):
                arm = getattr(record, field_name, None)
                if arm is not None and study in studies and (study, arm) not in arms:
                    bad.append((field_name, f"study {study!r} has no arm {arm!r}"))
            for field_name, arm in getattr(record, "other_arms", list)():
                if study in studies and (study, arm) not in arms:
                    bad.append((field_name, f"study {study!r} has no arm {arm!r}"))
            for within in getattr(record, "within", []):
                if (study, within) not in arms:
                    bad.append(("within", f"study {study!r} has no cohort {within!r}"))
            if isinstance(record, ApprovalRecord) and record.based_on not in (None, *studies):
                bad.append(("based_on", self._no_study(str(record.based_on))))
            for i, loc in enumerate(record.loc):
                if loc.file is not None and loc.file not in doc_files:
                    bad.append((f"loc.{i}.file", f"no document has the file {loc.file!r}"))
            for field_name, message in bad:
                line = _line_of(item.raw, _steps(field_name)) or item.line
                self._error(file, message, record=item.name, where=field_name, line=line)
            if not bad:
                kept.append((loaded, item))
        self.records = kept

    def _no_study(self, study: str) -> str:
        if study in self.elsewhere:
            return f"no study {study!r} is defined ({self.elsewhere[study]} was left out)"
        return f"no study {study!r} is defined"


def _left_out_names(files: list[_File]) -> dict[tuple[str, str], str]:
    """The entity names of files left out, to say why a name no longer resolves."""
    names: dict[tuple[str, str], str] = {}
    for file in files:
        sections: list[tuple[str, list[Any]]] = [
            ("drug", file.entities.drugs),
            ("disease", file.entities.diseases),
            ("target", file.entities.targets),
            ("term", file.entities.adverse_event_terms),
            ("endpoint", file.entities.endpoints),
        ]
        for kind, items in sections:
            for item in items:
                for name in (item.key, item.label, *item.synonyms):
                    names.setdefault((kind, NameIndex.fold(name)), file.name)
    return names


def _steps(where: str) -> list[Any]:
    """``loc.0.file`` -> ["loc", 0, "file"]: a field path as YAML keys and list indexes."""
    return [int(step) if step.isdigit() else step for step in where.split(".")]


def _mapped_identifiers(item: Any) -> list[str]:
    """The CURIEs of an entity that are not exact matches (salt forms, broader classes...)."""
    fields = ("salt_identifiers", "broad_identifiers", "narrow_identifiers", "close_identifiers")
    return [curie for name in fields for curie in getattr(item, name, [])]


def _gap_message(kind: str, section: str) -> str:
    return (
        "no standard identifier, and no reason recorded for the gap: list its CURIEs under "
        "'identifiers' (chebi:, drugbank:, ncit:, mondo:, hgnc:, uniprot: ...), or, if the "
        f'{kind} has none, say why in this file by adding `identifier_gap: "<the reason>"` '
        f"to its entry under `entities: {section}:`"
    )


@functools.cache
def _prefixes() -> frozenset[str]:
    """The CURIE prefixes of ``ontology/prefixmap.json`` (read here without rdflib)."""
    data = json.loads((paths.ONTOLOGY / "prefixmap.json").read_text(encoding="utf-8"))
    return frozenset(data["prefixes"])


@functools.cache
def _recorded_gaps() -> frozenset[tuple[str, str]]:
    """(kind, key) of the embedded entities whose gap ``kg/data/identifier-gaps.csv`` records."""
    with (paths.DATA / "identifier-gaps.csv").open(encoding="utf-8", newline="") as handle:
        return frozenset((row["kind"], row["key"]) for row in csv.DictReader(handle))
