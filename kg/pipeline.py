"""The build from record files to output files: load, build, check, reason, write."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import curies

from kg import paths
from kg.graphfile import STALE_MARK
from kg.xrefs import prefix_map

if TYPE_CHECKING:  # the build's own modules load in run_build: prefix_converter stays light
    from kg.build import BuildResult
    from kg.fragments import Assembled
    from kg.iris import Minter
    from kg.sources.records import Corpus, Problem
    from kg.trust import TrustReport
    from kg.validate import ValidationReport

__all__ = ["ENGINE_NAMES", "BuildReport", "choose_reasoner", "prefix_converter", "run_build"]

ENGINE_NAMES = {"hermit": "HermiT", "owlrl": "OWL 2 RL rules (owlrl)", "rules": "SPARQL rules"}
# The first line of inferred.ttl after a build without reasoning (graph.nq leaves it out).
STALE_NOTE = (
    f"{STALE_MARK} the last build ran with --reasoner none, so these triples (kept from an "
    "earlier build, if any) were not inferred from the graph beside them, and graph.nq leaves "
    "them out; run `kg build` without --reasoner none to reason again\n"
)


@dataclass
class BuildReport:
    """What one build read, made and noticed."""

    corpus: Corpus
    result: BuildResult
    outputs: dict[str, Path] = field(default_factory=dict)
    trust: TrustReport | None = None
    reasoner: str | None = "auto"
    """The reasoner asked for: ``auto``, ``hermit``, ``owlrl`` or ``None`` (no reasoning)."""
    inferred_stale: bool = False
    """``inferred.ttl`` was kept from an earlier build and marked stale (no reasoning ran)."""
    assembled: Assembled | None = None
    """The fragments the graph was merged from, with the seconds each stage took."""
    records: int | None = None
    """How many records were built, when ``corpus`` does not hold them all (a quick rebuild)."""
    counts: Counter[str] | None = None
    """Typed nodes per class, when known without reading the graph (a quick rebuild)."""
    cross: list[Problem] = field(default_factory=list)
    """The problems :func:`cross_source_problems` found (among ``result.errors``)."""

    @property
    def record_count(self) -> int:
        return self.records if self.records is not None else len(self.corpus.records)

    @property
    def errors(self) -> list[Problem]:
        return sorted(self.corpus.errors + self.result.errors)

    @property
    def warnings(self) -> list[Problem]:
        return sorted(self.corpus.warnings + self.result.warnings)

    @property
    def triples(self) -> int:
        """The asserted triples of the graph (a large graph is never held in ``result``)."""
        if self.assembled is not None:
            return self.assembled.triples
        return len(self.result.graph)

    def class_counts(self) -> Counter[str]:
        """Typed nodes per class, by local name (read from the merged N-Triples)."""
        if self.counts is not None:
            return self.counts
        if self.assembled is None:
            from rdflib import RDF, URIRef

            return Counter(
                cls.split("#")[-1].split("/")[-1]
                for cls in self.result.graph.objects(None, RDF.type)
                if isinstance(cls, URIRef)
            )
        return Counter(c for c in map(class_of_line, self.assembled.lines()) if c is not None)


_TYPED = b" <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <"


def class_of_line(line: bytes) -> str | None:
    """The local name of the class an N-Triples ``rdf:type`` line states (else ``None``)."""
    at = line.find(_TYPED)
    if at <= 0:
        return None
    cls = line[at + len(_TYPED) : line.rindex(b">")].decode("utf-8")
    return cls.split("#")[-1].split("/")[-1]


def choose_reasoner(reasoner: str | None) -> tuple[str | None, str]:
    """The engine ``reasoner`` runs (``hermit``, ``owlrl`` or ``None``) and how to name it."""
    if reasoner is None:
        return None, "no reasoner (--reasoner none)"
    from kg.reason import java_available

    if reasoner == "auto":
        if java_available():
            return "hermit", "HermiT (--reasoner auto: Java found)"
        return "owlrl", f"{ENGINE_NAMES['owlrl']} (--reasoner auto: no Java for HermiT)"
    return reasoner, ENGINE_NAMES.get(reasoner, reasoner)


def prefix_converter() -> curies.Converter:
    """The CURIE prefix map of ``ontology/prefixmap.json``."""
    return curies.Converter.from_prefix_map(prefix_map())


def run_build(
    *,
    sources: Sequence[Path] = (),
    include_default: bool = True,
    out: Path | None = paths.OUT,
    base: str,
    documents_dir: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
    advance: Callable[[int, int], None] = lambda done, total: None,
    reasoner: str | None = "auto",
    workers: int | None = None,
    scheduler: str | None = None,
) -> BuildReport:
    """Build the graph from the embedded records plus ``sources``; write it to ``out``.

    The graph is then checked (identifiers, SHACL shapes) and reasoned over with ``reasoner``
    (``auto``: HermiT when Java is installed, else OWL 2 RL; ``None`` skips reasoning: then
    ``graph.nq`` holds no inferred graph and ``inferred.ttl`` keeps the previous build's
    inferences under a ``# STALE`` first line). ``progress`` is called as each stage starts,
    with a line saying what it does and on how much; ``advance`` with the fragments built so
    far and their number.

    The graph is built in fragments (:mod:`kg.fragments`), ``workers`` processes at a time
    (default: one per core), or on the Dask cluster at ``scheduler``; ``out/fragments/``
    keeps them, so a rebuild remakes only the fragments whose inputs changed.
    """
    from kg.sources.load import split_sources

    folders = ([paths.RECORDS] if include_default else []) + list(sources)
    missing = [f for f in folders if not f.exists()]
    # record YAML, registry and PubMed files, told apart by their content (kg.sources)
    files, entries, source_errors, source_warnings = split_sources(f for f in folders if f.exists())
    setup = None  # a build a quick rebuild can patch: no registry files, reasoning, texts
    if out is not None and not (entries or missing or source_errors or reasoner or documents_dir):
        from kg.rebuild import quick_rebuild, setup_digest

        setup = setup_digest(folders, base, documents=documents_dir, reasoner=reasoner)
        quick = quick_rebuild(files, out=out, setup=setup, base=base, progress=progress)
        if quick is not None:
            return quick
    progress(
        f"reading {_count(len(files), 'record file')}"
        + (f" and {_count(len(entries), 'registry or PubMed file')}" if entries else "")
    )
    found = _Inputs(files, entries, missing, source_errors, source_warnings, setup)
    options = _Options(out, base, documents_dir, workers, scheduler)
    return _full_build(found, options, progress, advance, reasoner)


@dataclass
class _Inputs:
    """What a full build reads: record files, registry and PubMed files, folders not found,
    problems found telling them apart, and the setup digest of a build a quick rebuild could
    patch (``None``: it could not)."""

    files: list[Path]
    entries: list[Path]
    missing: list[Path]
    errors: list[Problem]
    warnings: list[Problem]
    setup: str | None


@dataclass
class _Options:
    """Where and how a full build writes (:func:`run_build`'s parameters of those names)."""

    out: Path | None
    base: str
    documents_dir: Path | None
    workers: int | None
    scheduler: str | None


@contextmanager
def _long_lived() -> Iterator[None]:
    """No cyclic garbage collection while the corpus is read, then (:func:`_set_aside`) the
    corpus kept out of its sight while the fragments are built (``gc.freeze``): each full
    collection would walk every record, and these took more than half the time of reading."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _set_aside() -> None:
    """The objects made so far live as long as the build: out of the collector's sight."""
    import gc

    gc.collect()
    gc.freeze()
    gc.enable()


def _read_and_build(
    progress: Callable[[str], None],
    advance: Callable[[int, int], None],
    found: _Inputs,
    options: _Options,
) -> tuple[Corpus, Assembled, Any, int | None]:
    """Read the sources and build, check and merge their fragments: the corpus (without its
    records when the graph is large: they live on in the fragments, and their count is
    returned), the merged fragments, and the state a quick rebuild needs."""
    from kg.fragments import FragmentCache, build_all, make_jobs
    from kg.sources.load import add_sources
    from kg.sources.records import Problem, check_documents, load_corpus, prune_parsed

    files, out = found.files, options.out
    # one pool for parsing and fragments, its workers forked before the corpus is read: forked
    # later, each wrote into the reader's fragmented heap and copied ~280 MB of it at 100x
    pool = _executor(options.workers, len(files) // 2, options.scheduler)
    with pool as executor, _long_lived():
        parsed = out / "fragments" / "parsed" if out is not None else None
        started = time.time()
        corpus = load_corpus(files, executor=executor, cache=parsed)
        if parsed is not None and parsed.is_dir():
            prune_parsed(parsed, started - 1)
        for folder in found.missing:
            corpus.errors.append(Problem(str(folder), None, None, "no such file or folder"))
        if options.documents_dir is not None:  # before the sources join: checking
            check_documents(corpus, options.documents_dir)  # reassembles the corpus
        registry = add_sources(corpus, found.entries)
        corpus.errors += found.errors + registry.errors
        corpus.warnings += found.warnings + registry.warnings
        corpus.files += registry.files
        corpus.left_out += registry.left_out
        quotes = options.documents_dir is not None
        jobs = make_jobs(corpus, registry, options.base, quotes=quotes)
        state = None
        if found.setup is not None:
            from kg.rebuild import record_state

            state = record_state(found.setup, files, corpus, jobs)
        corpus.release_sources()
        _set_aside()
        progress(
            f"building {_count(len(jobs), 'fragment')} from "
            f"{_count(len(corpus.records), 'record')} of "
            f"{_count(len(corpus.documents), 'document')} and checking each (identifiers, "
            "SHACL shapes)"
        )
        cache = FragmentCache(out / "fragments" if out is not None else None)
        built = iter(range(1, len(jobs) + 1))
        assembled = build_all(
            jobs,
            cache=cache,
            executor=executor,
            tick=lambda _: advance(next(built), len(jobs)),
            merge_to=out / "graph.nt" if out is not None else None,
            large=LARGE_GRAPH,
        )
    records = None
    if assembled.file is not None:  # a large graph: only the count goes back
        records, corpus.records = len(corpus.records), []
    return corpus, assembled, state, records


def _full_build(
    found: _Inputs,
    options: _Options,
    progress: Callable[[str], None],
    advance: Callable[[int, int], None],
    reasoner: str | None,
) -> BuildReport:
    """:func:`run_build` when no quick rebuild can patch the last build's outputs: the sources
    read and built into fragments by a process of its own (:func:`_read_and_build`), then the
    outputs written, checked and reasoned over here."""
    from rdflib import Graph

    from kg.build import BuildResult, bind_prefixes
    from kg.forked import in_forked_process
    from kg.iris import Minter
    from kg.validate import ValidationReport

    out, base = options.out, options.base
    corpus, assembled, state, records = in_forked_process(
        _read_and_build, progress, advance, found, options
    )
    progress(f"merging {_count(assembled.triples, 'triple')} ({assembled.reused} fragments reused)")
    result = BuildResult(
        Graph(),
        conflicts=assembled.conflicts,
        warnings=assembled.warnings,
        errors=assembled.errors,
    )
    report = BuildReport(corpus, result, reasoner=reasoner, assembled=assembled, records=records)
    minter = Minter(base)
    checked = ValidationReport(
        assembled.violations, assembled.shape_warnings, assembled.seconds.get("shacl", 0.0)
    )
    if assembled.file is None and assembled.triples <= LARGE_GRAPH:
        bind_prefixes(result.graph, minter)
        result.graph.parse(data=assembled.ntriples, format="nt")
        _finish_in_memory(report, checked, minter, out, base, progress)
    else:
        _finish_streaming(report, checked, out, base, progress)
    result.errors.extend(report.trust.errors if report.trust else [])
    result.warnings.extend(report.trust.warnings if report.trust else [])
    if out is not None:
        from kg.rebuild import finish_state, save_state

        keep = state is not None and assembled.file is not None and not report.errors
        save_state(out, finish_state(state, report, base) if keep else None)
    return report


# Above this many triples the graph is never an rdflib graph: outputs come from the merged
# fragments and the store, Turtle from pyoxigraph, JSON-LD only on request (kg export)
LARGE_GRAPH = 100_000


def _finish_in_memory(
    report: BuildReport,
    checked: ValidationReport,
    minter: Minter,
    out: Path | None,
    base: str,
    progress: Callable[[str], None],
) -> None:
    """Reason over the graph in memory and write every output from it (a graph of any size
    up to ``LARGE_GRAPH``)."""
    from rdflib import Graph

    from kg.export import load_context, write_all
    from kg.store import write_store
    from kg.trust import run_checks, write_trust_outputs
    from kg.views import whole_view, write_view

    result = report.result
    graph = result.graph
    assert isinstance(graph, Graph)
    _, engine = choose_reasoner(report.reasoner)

    def relay(message: str) -> None:  # kg.trust names its stages; say the engine and the size
        if message.startswith("reasoning"):
            message = f"reasoning with {engine} over {_count(len(graph), 'triple')}"
        progress(message)

    report.trust = run_checks(
        graph, minter, reasoner=report.reasoner, progress=relay, checked=checked
    )
    problems = cross_source_problems(_memory_store(report), checked)
    report.trust.errors += problems
    if out is None:
        return
    progress(f"writing {_count(len(graph), 'triple')} to {out}/")
    report.outputs = write_all(graph, out, load_context(paths.ONTOLOGY / "context.jsonld"))
    progress(f"writing the interactive view to {out / 'graph.html'}")
    report.outputs["html"] = write_view(whole_view(graph), out / "graph.html")
    inferred = report.trust.inferred
    if report.trust.reasoning is None:
        progress(f"writing {out / 'graph.nq'}; marking {out / 'inferred.ttl'} stale")
        report.outputs.update(_write_unreasoned(report.assembled.ntriples, out, base))
        report.inferred_stale = True
    else:
        progress(
            f"writing {_count(len(inferred), 'inferred triple')} to {out / 'inferred.ttl'}"
            f" and both graphs to {out / 'graph.nq'}"
        )
        report.outputs.update(write_trust_outputs(graph, inferred, out, base))
    progress(f"loading {out / 'graph.nq'} into the store {out / 'store'}/")
    report.outputs["store"] = write_store(out / "graph.nq", out / "store")


def _finish_streaming(
    report: BuildReport,
    checked: ValidationReport,
    out: Path | None,
    base: str,
    progress: Callable[[str], None],
) -> None:
    """Write a large graph from the merged fragments: N-Triples as merged, Turtle from them
    (by a process of its own), N-Quads loaded into the new store as they are written; then
    check across sources and draw the view on the store while it compacts. Reasoning (when
    asked for) runs the rules engine (:mod:`kg.rules`)."""
    from kg.export import atomic_write
    from kg.sources.records import Problem
    from kg.store import beside, new_store
    from kg.trust import TrustReport, inconsistency_problem, shape_problem

    assembled = report.assembled
    assert assembled is not None
    report.trust = TrustReport(
        checked,
        None,
        errors=[shape_problem(v) for v in checked.violations],
        warnings=[shape_problem(v) for v in checked.warnings],
        timings={"shacl": checked.seconds},
    )
    inferred = b""
    if report.reasoner is not None:
        progress(f"reasoning with the ontology's rules over {_count(assembled.triples, 'triple')}")
        report.trust.reasoning = _reason_on_store(assembled.source, report.reasoner)
        report.trust.timings["reasoning"] = report.trust.reasoning.seconds
        report.trust.errors += [
            inconsistency_problem(i) for i in report.trust.reasoning.inconsistencies
        ]
        report.trust.warnings += [
            Problem("reasoner", None, None, n) for n in report.trust.reasoning.notes
        ]
        inferred = _sorted_ntriples(report.trust.reasoning.inferred)
    if out is None:
        report.trust.errors += cross_source_problems(_memory_store(report), checked)
        return
    progress(f"writing {_count(assembled.triples, 'triple')} to {out / 'graph.nt'}")
    if assembled.file != out / "graph.nt":  # else the merge wrote it
        atomic_write(out / "graph.nt", assembled.ntriples)
    report.outputs["ntriples"] = out / "graph.nt"
    progress(f"writing turtle to {out / 'graph.ttl'} (beside what follows)")
    turtle = _turtle(assembled.source, out / "graph.ttl", base)
    with new_store(out / "store", "graph.nq", optimize=False) as loader:
        if report.trust.reasoning is None:
            progress(
                f"writing {out / 'graph.nq'} and loading it into the store {out / 'store'}/; "
                f"marking {out / 'inferred.ttl'} stale"
            )
            report.outputs.update(_write_unreasoned(assembled.source, out, base, loader))
            report.inferred_stale = True
        else:
            progress(
                f"writing {out / 'inferred.ttl'}, and both graphs to {out / 'graph.nq'} and "
                f"the store {out / 'store'}/"
            )
            _write_reasoned(report, inferred, out, base, loader)
        compacted = beside(loader.optimize)  # RocksDB compacts on threads of its own
        progress("checking across sources on the store")
        report.cross = cross_source_problems(loader, checked)
        report.trust.errors += report.cross
        progress(f"writing the interactive view (entity overview) to {out / 'graph.html'}")
        report.outputs["html"] = _store_view(loader, out / "graph.html")
        compacted()
    report.outputs["store"] = out / "store"
    stale = out / "graph.jsonld"
    if stale.exists():  # an earlier, smaller build's: it no longer matches the graph
        stale.unlink()
    report.outputs["turtle"] = turtle()


def _write_reasoned(report: BuildReport, inferred: bytes, out: Path, base: str, store: Any) -> None:
    """``graph.nq`` with the inferred graph (also loaded into ``store``), and ``inferred.ttl``
    (written by pyoxigraph from the inferred graph's sorted N-Triples)."""
    from kg.export import atomic_write_lines, nquad_chunks
    from kg.store import loading
    from kg.turtle import write_turtle

    assert report.assembled is not None
    pieces = nquad_chunks(report.assembled.source, inferred, base)
    atomic_write_lines(out / "graph.nq", loading(pieces, store))
    write_turtle(inferred, out / "inferred.ttl", _prefixes(base))
    report.outputs.update({"inferred": out / "inferred.ttl", "nquads": out / "graph.nq"})


def _reason_on_store(ntriples: bytes | Path, reasoner: str) -> Any:
    """The rules engine (:mod:`kg.rules`) over a large graph, loaded straight from N-Triples:
    it grows linearly where HermiT and owlrl do not (see the README on what it proves)."""
    import time as clock

    from kg.reason import load_ontology
    from kg.rules import reason_ntriples

    started = clock.perf_counter()
    result = reason_ntriples(ntriples, load_ontology())
    if reasoner in ("hermit", "owlrl"):
        result.notes.insert(
            0,
            f"{reasoner} was asked for, but the graph has more than {LARGE_GRAPH:,} triples: "
            "the rules engine ran instead",
        )
    result.seconds = clock.perf_counter() - started
    return result


def _sorted_ntriples(graph: Any) -> bytes:
    from kg.export import to_ntriples

    return to_ntriples(graph) if len(graph) else b""


def _memory_store(report: BuildReport) -> Any:
    import pyoxigraph as ox

    store = ox.Store()
    assert report.assembled is not None
    store.bulk_load(report.assembled.ntriples, format=ox.RdfFormat.N_TRIPLES)
    return store


def _turtle(ntriples: bytes | Path, path: Path, base: str) -> Callable[[], Path]:
    """Turtle of the asserted graph (:mod:`kg.turtle`) with the build's prefixes: from a file,
    written by a process of its own, else here. Call the function returned to wait for it."""
    from kg.turtle import start_turtle, write_turtle

    prefixes = _prefixes(base)
    if isinstance(ntriples, Path):
        return start_turtle(ntriples, path, prefixes)[1]
    written = write_turtle(ntriples, path, prefixes)
    return lambda: written


def _prefixes(base: str) -> dict[str, str]:
    """The prefixes of the build's Turtle: rdf, rdfs, xsd, owl, then the build's own."""
    from rdflib import Graph

    from kg.build import bind_prefixes
    from kg.iris import Minter

    named = Graph(bind_namespaces="core")
    bind_prefixes(named, Minter(base))
    return {prefix: str(namespace) for prefix, namespace in named.namespaces()}


def _store_view(store: Any, path: Path) -> Path:
    """The whole-graph page (the entity overview) drawn from ``store`` (a store or its folder);
    its layout is kept beside the fragments for the next build to reuse."""
    from kg.api import KnowledgeGraph
    from kg.engine import OxigraphEngine
    from kg.store import open_store
    from kg.views import overview_view, write_view
    from kg.views.view import layout_memo

    with layout_memo(path.parent / "fragments" / "layouts.pickle"):
        opened = open_store(store) if isinstance(store, Path) else store
        view = overview_view(KnowledgeGraph(OxigraphEngine(opened)))
    return write_view(view, path)


def cross_source_problems(
    store: Any, checked: ValidationReport, subjects: Iterable[str] | None = None
) -> list[Problem]:
    """Values of a functional property that come from different fragments (the shapes saw
    one fragment at a time; within one, ``sh:maxCount`` already reported them); only of
    ``subjects`` (IRIs) when given."""
    from kg.sources.records import Problem
    from kg.vocab import functional_properties

    reported = {(v.focus, v.path) for v in checked.violations}
    values = " ".join(f"<{p}>" for p in sorted(functional_properties()))
    only = ""
    if subjects is not None:
        only = "VALUES ?s { " + " ".join(f"<{s}>" for s in sorted(subjects)) + " } "
    query = (
        f"SELECT ?s ?p (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {only}VALUES ?p {{ {values} }} "
        "?s ?p ?o } GROUP BY ?s ?p HAVING (COUNT(DISTINCT ?o) > 1)"
    )
    problems = []
    for s, p, n in store.query(query, use_default_graph_as_union=True):
        if (s.value, p.value) in reported or (s.value, _short(p.value)) in reported:
            continue
        message = f"{n.value} values from different sources; the ontology allows one"
        problems.append(Problem("cdek.ttl", s.value, _short(p.value), message))
    return sorted(problems)


def _short(iri: str) -> str:
    from kg.vocab import CDEK

    return "cdek:" + iri[len(str(CDEK)) :] if iri.startswith(str(CDEK)) else iri


@contextmanager
def _executor(workers: int | None, jobs: int, scheduler: str | None) -> Iterator[Executor | None]:
    """Where fragments are built: a Dask cluster, worker processes, or this process.

    A small build (fewer than 4 fragments) stays in this process: starting workers costs more.
    """
    if scheduler is not None:
        try:
            from distributed import Client
        except ImportError as error:
            raise ValueError(
                "--scheduler needs Dask: pip install 'cdekg[dask]' (dask distributed)"
            ) from error
        with Client(scheduler) as client:
            yield client.get_executor()
        return
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers < 2 or jobs < 4:
        yield None
        return
    import gc

    # a worker collects its garbage, even when forked while the reader paused collection
    pool = ProcessPoolExecutor(max_workers=workers, initializer=gc.enable)
    try:
        yield pool
    except BaseException:  # Ctrl-C or an error: the workers stopped now, their jobs dropped
        running = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in running:  # one stopped while holding the queue's lock would hang the rest
            process.terminate()
        for process in running:
            process.join(timeout=5)
        raise
    pool.shutdown(wait=True)


def _write_unreasoned(
    asserted: bytes | Path, out: Path, base: str, store: Any = None
) -> dict[str, Path]:
    """``graph.nq`` without an inferred graph; ``inferred.ttl`` kept and marked stale.

    ``asserted`` is the graph's sorted N-Triples (or their file); the N-Quads also go into
    ``store`` when given (a new store being filled). Queries then find no inferred class or
    relation rather than ones that may no longer hold; the mark tells readers of
    ``inferred.ttl`` (and ``kg export``) that it is out of date.
    """
    from kg.export import atomic_write, atomic_write_lines, nquad_chunks
    from kg.store import loading

    nquads, inferred = out / "graph.nq", out / "inferred.ttl"
    pieces = nquad_chunks(asserted, b"", base)
    atomic_write_lines(nquads, loading(pieces, store) if store is not None else pieces)
    previous = inferred.read_bytes() if inferred.is_file() else b""
    if previous.startswith(STALE_MARK.encode()):  # marked by an earlier build: mark once
        previous = previous.split(b"\n", 1)[1] if b"\n" in previous else b""
    atomic_write(inferred, STALE_NOTE.encode("utf-8") + previous)
    return {"inferred": inferred, "nquads": nquads}


def _count(n: int, noun: str) -> str:
    """``1 record``, ``2 records``, ``10,887 triples``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
