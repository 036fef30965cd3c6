"""The streaming build: the corpus cut into independent slices, each built and checked on its own.

A slice is a connected set of documents and studies (a paper and the PubMed record of its
trial share one; a registry record is one). Each slice becomes a *fragment*: its sorted
N-Triples, its problems and its SHACL results, made in a worker process and kept in a cache
folder under a digest of everything it was made from (the slice's records and document texts,
the entities, the code, the ontology and shapes). A rebuild reuses every fragment whose digest is
unchanged. The entities (drugs, diseases, targets, terms, endpoints) are one fragment of their
own, built first: every other fragment is validated together with it, since shapes look at the
class of the drug or disease a record names.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import pickle
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from kg import paths
from kg.sources.records import Corpus, Loaded, Problem

__all__ = ["Fragment", "Job", "build_fragment", "cut", "fragment_digests", "run_jobs"]

_CACHE_FORMAT = 1


@dataclass
class Job:
    """What one worker needs to build a fragment: picklable, so any executor can run it."""

    key: str
    corpus: Corpus
    base: str
    quotes: bool  # the documents were read: spans get their quoted text
    part: str = "records"  # or "entities"
    registry: Any = None  # the registry studies and PubMed articles of the slice (SourceSet)
    studies: dict[str, str] = field(default_factory=dict)  # NCT id -> study key, all slices
    context: bytes = b""  # the entities fragment (N-Triples), for the shapes
    validate: bool = True
    digest: str = ""


@dataclass
class Fragment:
    """One slice's triples (sorted N-Triples lines), problems and check results."""

    key: str
    digest: str
    ntriples: bytes
    triples: int
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    conflicts: list[Any] = field(default_factory=list)
    violations: list[Any] = field(default_factory=list)  # SHACL results (kg.validate.Violation)
    shape_warnings: list[Any] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    cached: bool = False
    file: Path | None = None  # where the cache keeps ``ntriples`` (then often let go here)

    def lines(self) -> Iterator[bytes]:
        """The sorted N-Triples lines, from memory or from the cache's file."""
        from kg.export import lines_of

        on_disk = not self.ntriples and self.file is not None
        return lines_of(self.file if on_disk and self.file is not None else self.ntriples)


def _study_of(record: Any) -> str | None:
    study = getattr(record, "study", None)
    if isinstance(study, str):
        return study
    if getattr(record, "type", None) == "study":
        return str(record.id)
    return None


class _Components:
    """Union-find over names (``doc:...``, ``study:...``)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, name: str) -> str:
        parent = self.parent.setdefault(name, name)
        while parent != self.parent[parent]:
            self.parent[parent] = self.parent[self.parent[parent]]
            parent = self.parent[parent]
        self.parent[name] = parent
        return parent

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def cut(corpus: Corpus, registry: Any = None) -> list[tuple[str, Corpus, Any]]:
    """The slices of ``corpus``: (key, sub-corpus, registry part) each, in a stable order.

    A sub-corpus holds its slice's records and documents and every entity (records name
    entities; the entities fragment is built from ``corpus`` itself).
    """
    from kg.sources.load import SourceSet

    parts = _Components()
    by_file = {d.file: d.id for d in corpus.documents.values()}
    for doc in corpus.documents:
        parts.find(f"doc:{doc}")
    for item in corpus.records:
        doc = f"doc:{item.document.id}"
        study = _study_of(item.record)
        if study is not None:
            parts.union(doc, f"study:{study}")
        for loc in item.record.loc:
            other = by_file.get(getattr(loc, "file", None) or "")
            if other is not None:
                parts.union(doc, f"doc:{other}")
    studies = list(registry.studies) if registry is not None else []
    articles = list(registry.articles) if registry is not None else []
    for study in studies:
        parts.union(f"study:{study.key}", f"doc:{study.document.id}")
    groups: dict[str, list[str]] = {}
    for doc in corpus.documents:
        groups.setdefault(parts.find(f"doc:{doc}"), []).append(doc)
    records: dict[str, list[Loaded]] = {}
    for item in corpus.records:
        records.setdefault(parts.find(f"doc:{item.document.id}"), []).append(item)
    slices = []
    for root, docs in sorted(groups.items(), key=lambda kv: min(kv[1])):
        sub = _with_entities(
            corpus,
            documents={d: corpus.documents[d] for d in sorted(docs)},
            records=records.get(root, []),
            texts={d: corpus.texts[d] for d in docs if d in corpus.texts},
        )
        found = SourceSet(
            studies=[s for s in studies if parts.find(f"doc:{s.document.id}") == root],
            articles=[a for a in articles if parts.find(f"doc:{a[1].id}") == root],
        )
        slices.append((min(docs), sub, found))
    return slices


def _with_entities(corpus: Corpus, **parts: Any) -> Corpus:
    """A corpus of ``parts`` (documents, records, texts) that names every entity of ``corpus``."""
    return Corpus(
        drugs=corpus.drugs,
        diseases=corpus.diseases,
        targets=corpus.targets,
        ae_terms=corpus.ae_terms,
        endpoints=corpus.endpoints,
        **parts,
    )


@cache
def code_digest() -> str:
    """A digest of the code, ontology, shapes and curated tables a fragment is made with."""
    digest = hashlib.sha256(str(_CACHE_FORMAT).encode())
    package = Path(__file__).parent
    files = sorted(package.rglob("*.py")) + sorted(paths.ONTOLOGY.glob("*"))
    files += sorted(paths.DATA.glob("*.csv")) + sorted(paths.DATA.glob("*.json"))
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(path.parents[1]).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _entity_digest(corpus: Corpus) -> str:
    digest = hashlib.sha256()
    for table in (corpus.drugs, corpus.diseases, corpus.targets, corpus.ae_terms, corpus.endpoints):
        for key in sorted(table):
            digest.update(json.dumps(table[key].model_dump(mode="json"), sort_keys=True).encode())
    return digest.hexdigest()


def fragment_digests(jobs: list[Job]) -> None:
    """Set each job's digest: the same inputs, code and ontology give the same digest."""
    for job in jobs:
        digest = hashlib.sha256(
            "\n".join([code_digest(), job.base, job.part, str(job.quotes)]).encode()
        )
        digest.update(_entity_digest(job.corpus).encode())
        digest.update(pickle.dumps(_content(job), protocol=5))
        job.digest = digest.hexdigest()


def _content(job: Job) -> Any:
    """What a job is made from, in a picklable, order-stable form."""
    c = job.corpus
    records = [(i.file, i.name, i.line, i.record.model_dump(mode="json")) for i in c.records]
    documents = [c.documents[d].model_dump(mode="json") for d in sorted(c.documents)]
    texts = sorted((d, hashlib.sha256((t or "").encode()).hexdigest()) for d, t in c.texts.items())
    registry = None
    if job.registry is not None:
        registry = (
            [(s.key, s.document.sha256, repr(s.trial)) for s in job.registry.studies],
            [(d.sha256, repr(a)) for a, d in job.registry.articles],
        )
    return records, documents, texts, registry, sorted(job.studies.items())


def build_fragment(job: Job) -> Fragment:
    """Build, check and serialise one slice (runs in a worker process)."""
    from rdflib.plugins.serializers.nt import _nt_row

    from kg.build import build_graph
    from kg.iris import Minter
    from kg.pipeline import prefix_converter
    from kg.triples import TripleSet
    from kg.validate import validate_triples
    from kg.xrefs import check_identifiers

    started = time.perf_counter()
    minter = Minter(job.base)
    graph = TripleSet()
    result = build_graph(
        job.corpus,
        minter=minter,
        converter=prefix_converter(),
        part="entities" if job.part == "entities" else "records",
        quotes=job.quotes,
        graph=graph,
    )
    if job.registry is not None and (job.registry.studies or job.registry.articles):
        from kg.sources.emit import emit_sources

        emit_sources(graph, job.registry, job.corpus, minter, studies=job.studies)
    if job.part == "entities":
        from kg.reason import kinase_types
        from kg.xrefs import identifier_gaps

        graph += kinase_types(graph)
        graph += identifier_gaps(graph, minter)
    seconds = {"build": time.perf_counter() - started}
    started = time.perf_counter()
    ntriples = graph.ntriples()
    seconds["serialise"] = time.perf_counter() - started
    errors, warnings = list(result.errors), list(result.warnings)
    violations: list[Any] = []
    shape_warnings: list[Any] = []
    if job.validate:
        started = time.perf_counter()
        errors += check_identifiers(graph)  # type: ignore[arg-type]
        seconds["identifiers"] = time.perf_counter() - started
        started = time.perf_counter()
        checked = set(graph)
        context_rows: list[str] = []
        context_subjects: set[Any] = set()
        if job.context:  # the triples of the entities this fragment names (for sh:class)
            context = _context_graph(job.context)
            named = {o for o in graph.objects_all() if o in context.subjects_index}
            todo = list(named)
            while todo:  # and the entities those name (a family's members, a disease's parent)
                for triple in context.graph.triples((todo.pop(), None, None)):
                    if triple not in checked:
                        checked.add(triple)
                        context_rows.append(_nt_row(triple))
                    if triple[2] in context.subjects_index and triple[2] not in named:
                        named.add(triple[2])
                        todo.append(triple[2])
            context_subjects = {str(n) for n in named}
        text = ntriples + "".join(context_rows).encode("utf-8")
        report = validate_triples(checked, graph.prefixes, text)  # shapes read once a process
        for found, into in ((report.violations, violations), (report.warnings, shape_warnings)):
            into += [v for v in found if v.focus not in context_subjects or _own(graph, v.focus)]
        seconds["shacl"] = time.perf_counter() - started
    return Fragment(
        job.key,
        job.digest,
        ntriples,
        len(graph),
        errors=errors,
        warnings=warnings,
        conflicts=list(result.conflicts),
        violations=violations,
        shape_warnings=shape_warnings,
        seconds=seconds,
    )


def _own(graph: Any, focus: str) -> bool:
    """Whether ``focus`` is a subject of a triple that ``graph`` (not the context) states."""
    from rdflib import URIRef

    return (URIRef(focus), None, None) in graph


@dataclass
class _Context:
    graph: Any  # the entities fragment as an rdflib graph
    subjects_index: set[Any]


_CONTEXTS: dict[str, _Context] = {}


def _context_graph(data: bytes) -> _Context:
    """The entities graph, parsed once per worker process."""
    from rdflib import Graph

    key = hashlib.sha256(data).hexdigest()
    if key not in _CONTEXTS:
        _CONTEXTS.clear()
        graph = Graph().parse(data=data, format="nt")
        _CONTEXTS[key] = _Context(graph, set(graph.subjects()))
    return _CONTEXTS[key]


_FRAGMENT_FILE = re.compile(r"[0-9a-f]{64}\.(?:pickle|nt)")


class FragmentCache:
    """Fragments on disk (``out/fragments/``): the build's own files. Each digest has a pickle
    of its problems and check results, and its sorted N-Triples as a file of their own, which
    the merge reads line by line."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def get(self, digest: str, *, triples: bool = True) -> Fragment | None:
        """The fragment of ``digest``; ``triples=False`` leaves its N-Triples in their file."""
        if self.folder is None:
            return None
        path = self.folder / f"{digest}.pickle"
        try:
            with path.open("rb") as handle:
                fragment = pickle.load(handle)
            if not isinstance(fragment, Fragment) or fragment.digest != digest:
                return None
            fragment.file = self.folder / f"{digest}.nt"
            fragment.ntriples = fragment.file.read_bytes() if triples else b""
            if not triples and not fragment.file.is_file():
                return None
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None
        fragment.cached = True
        return fragment

    def put(self, fragment: Fragment) -> None:
        if self.folder is None:
            return
        from dataclasses import replace

        from kg.export import atomic_write

        fragment.file = self.folder / f"{fragment.digest}.nt"
        atomic_write(fragment.file, fragment.ntriples, durable=False)  # before its pickle
        data = pickle.dumps(replace(fragment, ntriples=b"", file=None), protocol=5)
        atomic_write(self.folder / f"{fragment.digest}.pickle", data, durable=False)

    def keep_only(self, digests: Iterable[str]) -> None:
        """Remove the fragments of earlier builds that this build no longer uses."""
        if self.folder is None or not self.folder.is_dir():
            return
        keep = {f"{d}{suffix}" for d in digests for suffix in (".pickle", ".nt")}
        for path in [*self.folder.glob("*.pickle"), *self.folder.glob("*.nt")]:
            # only fragments: the folder also keeps the build's state and the page's layouts
            if _FRAGMENT_FILE.fullmatch(path.name) and path.name not in keep:
                path.unlink(missing_ok=True)


def run_jobs(
    jobs: list[Job],
    cache: FragmentCache,
    executor: Executor | None,
    tick: Callable[[Fragment], None] = lambda _: None,
    *,
    keep: bool = True,
) -> Iterator[Fragment]:
    """Each job's fragment, from the cache or built (on ``executor`` when given), in job order.

    ``keep=False``: a fragment the cache holds keeps its triples in the cache's file only (read
    back by :meth:`Fragment.lines`), so a large build never holds them all."""
    fragments: dict[int, Fragment] = {}
    todo: list[tuple[int, Job]] = []

    def done(i: int, fragment: Fragment) -> None:
        cache.put(fragment)
        if not keep and fragment.file is not None:
            fragment.ntriples = b""
        fragments[i] = fragment
        tick(fragment)

    for i, job in enumerate(jobs):
        found = cache.get(job.digest, triples=keep)
        if found is None:
            todo.append((i, job))
        else:
            fragments[i] = found
            tick(found)
    if executor is None or len(todo) < 2:
        for i, job in todo:
            done(i, build_fragment(job))
    else:
        futures = {executor.submit(build_fragment, job): i for i, job in todo}
        from concurrent.futures import as_completed

        for future in as_completed(futures):
            done(futures.pop(future), future.result())
    for i in range(len(jobs)):
        yield fragments[i]


@dataclass
class Assembled:
    """Every fragment of a build merged: the asserted triples and what the checks found (the
    fragments keep their problems and timings; their triples are in ``ntriples`` only)."""

    ntriples: bytes  # sorted, distinct N-Triples lines (empty when they are in ``file``)
    triples: int
    fragments: list[Fragment]
    file: Path | None = None  # a large build's merged N-Triples, written there
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    conflicts: list[Any] = field(default_factory=list)
    violations: list[Any] = field(default_factory=list)
    shape_warnings: list[Any] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def reused(self) -> int:
        return sum(f.cached for f in self.fragments)

    shared: dict[bytes, int] = field(default_factory=dict)  # lines in 2+ fragments: how many

    def collect(self) -> None:
        """The fragments' problems and check results, each once, sorted."""
        seen: set[Any] = set()
        for fragment in self.fragments:
            self.errors += fragment.errors
            self.warnings += fragment.warnings
            self.conflicts += fragment.conflicts
            for v in fragment.violations + fragment.shape_warnings:
                if v in seen:
                    continue
                seen.add(v)
                into = self.violations if v in fragment.violations else self.shape_warnings
                into.append(v)
        self.errors = sorted(set(self.errors))
        self.warnings = sorted(set(self.warnings))
        self.violations.sort()
        self.shape_warnings.sort()

    @property
    def source(self) -> bytes | Path:
        """The merged N-Triples: the bytes, or the file that holds them."""
        return self.file if self.file is not None else self.ntriples

    def lines(self) -> Iterator[bytes]:
        """The merged N-Triples lines (without line ends), from memory or from ``file``."""
        from kg.export import lines_of

        return lines_of(self.file if self.file is not None else self.ntriples)


def _merge(parts: Iterable[Iterator[bytes]], out: BinaryIO, shared: dict[bytes, int]) -> int:
    """Sorted N-Triples of several sorted parts written to ``out``, each line once; how many.

    ``shared`` gets each line that more than one part holds, with the number of parts."""
    last, count = None, 0
    for line in heapq.merge(*parts):
        if line == last:
            shared[line] = shared.get(line, 1) + 1
        elif line:
            out.write(line)
            out.write(b"\n")
            last, count = line, count + 1
    return count


def make_jobs(
    corpus: Corpus, registry: Any, base: str, *, quotes: bool, size: int = 0
) -> list[Job]:
    """The entities job first, then one job per group of slices of ``corpus`` (``size``
    records a group; default ``GROUP_RECORDS``)."""
    from kg.sources.emit import study_keys

    entities = _with_entities(corpus)
    size = size or GROUP_RECORDS
    studies = study_keys(corpus)
    jobs = [Job("entities", entities, base, quotes, part="entities")]
    for group in _groups(cut(corpus, registry), size):
        key, sub, found = _join(group)
        jobs.append(Job(key, sub, base, quotes, registry=found, studies=studies))
    fragment_digests(jobs)
    return jobs


# records per fragment: enough that per-fragment costs (a worker's task, the shapes' fixed
# work) stay small next to the triples, few enough that a change rebuilds little
GROUP_RECORDS = 400


def _groups(slices: list[tuple[str, Corpus, Any]], size: int) -> Iterator[list[Any]]:
    """Consecutive slices (in key order) joined until a group holds ``size`` records."""
    group: list[Any] = []
    records = 0
    for item in slices:
        group.append(item)
        records += len(item[1].records) + 1
        if records >= size:
            yield group
            group, records = [], 0
    if group:
        yield group


def _join(group: list[tuple[str, Corpus, Any]]) -> tuple[str, Corpus, Any]:
    """One sub-corpus (and registry part) of several slices."""
    from kg.sources.load import SourceSet

    joined = _with_entities(group[0][1])
    found = SourceSet()
    for _, sub, part in group:
        joined.documents.update(sub.documents)
        joined.records += sub.records
        joined.texts.update(sub.texts)
        found.studies += part.studies
        found.articles += part.articles
    key = group[0][0] if len(group) == 1 else f"{group[0][0]} .. {group[-1][0]}"
    return key, joined, found


def build_all(
    jobs: list[Job],
    *,
    cache: FragmentCache,
    executor: Executor | None = None,
    tick: Callable[[Fragment], None] = lambda _: None,
    merge_to: Path | None = None,
    large: int = 0,
) -> Assembled:
    """Build (or reuse) every job's fragment and merge them.

    With a cache folder, fragments keep their triples in its files rather than in memory. With
    ``merge_to`` too, and more than ``large`` triples, the merged triples are written to that
    file instead of being held in memory (``Assembled.file``): a large build.
    """
    started = time.perf_counter()
    entities = next(run_jobs(jobs[:1], cache, None, tick))
    for job in jobs[1:]:
        job.context = entities.ntriples
    fragments = [entities, *run_jobs(jobs[1:], cache, executor, tick, keep=False)]
    built = time.perf_counter()
    parts = (f.lines() for f in fragments)
    total = sum(f.triples for f in fragments)
    if merge_to is not None and cache.folder is not None and total > large:
        from kg.export import atomic_file

        shared: dict[bytes, int] = {}
        with atomic_file(merge_to) as handle:
            count = _merge(parts, handle, shared)
        assembled = Assembled(b"", count, fragments, file=merge_to, shared=shared)
    else:
        from io import BytesIO

        buffer = BytesIO()
        count = _merge(parts, buffer, {})
        assembled = Assembled(buffer.getvalue(), count, fragments)
    for fragment in fragments:  # merged and cached: let a large build's memory go
        fragment.ntriples = b""
    assembled.collect()
    for fragment in fragments:
        if not fragment.cached:
            for stage, seconds in fragment.seconds.items():
                assembled.seconds[stage] = assembled.seconds.get(stage, 0.0) + seconds
    assembled.seconds["fragments"] = built - started
    assembled.seconds["merge"] = time.perf_counter() - built
    cache.keep_only(f.digest for f in fragments)
    return assembled
