"""The build from record files to output files: load, build, check, reason, write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import curies

from kg import paths
from kg.graphfile import STALE_MARK
from kg.xrefs import prefix_map

if TYPE_CHECKING:  # the build's own modules load in run_build: prefix_converter stays light
    from rdflib import Graph

    from kg.build import BuildResult
    from kg.sources.records import Corpus, Problem
    from kg.trust import TrustReport

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

    @property
    def errors(self) -> list[Problem]:
        return sorted(self.corpus.errors + self.result.errors)

    @property
    def warnings(self) -> list[Problem]:
        return sorted(self.corpus.warnings + self.result.warnings)

    def class_counts(self) -> Counter[str]:
        """Typed nodes per class, by local name."""
        from rdflib import RDF, URIRef

        counts: Counter[str] = Counter()
        for cls in self.result.graph.objects(None, RDF.type):
            if isinstance(cls, URIRef):
                counts[cls.split("#")[-1].split("/")[-1]] += 1
        return counts


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
    reasoner: str | None = "auto",
) -> BuildReport:
    """Build the graph from the embedded records plus ``sources``; write it to ``out``.

    The graph is then checked (identifiers, SHACL shapes) and reasoned over with ``reasoner``
    (``auto``: HermiT when Java is installed, else OWL 2 RL; ``None`` skips reasoning: then
    ``graph.nq`` holds no inferred graph and ``inferred.ttl`` keeps the previous build's
    inferences under a ``# STALE`` first line). ``progress`` is called as each stage starts,
    with a line saying what it does and on how much.
    """
    from kg.build import build_graph
    from kg.export import load_context, write_all
    from kg.iris import Minter
    from kg.sources.emit import emit_sources
    from kg.sources.load import add_sources, split_sources
    from kg.sources.records import Problem, check_documents, load_corpus
    from kg.trust import run_checks, write_trust_outputs
    from kg.views import whole_view, write_view

    folders = ([paths.RECORDS] if include_default else []) + list(sources)
    missing = [f for f in folders if not f.exists()]
    # record YAML, registry and PubMed files, told apart by their content (kg.sources)
    files, entries, source_errors, source_warnings = split_sources(f for f in folders if f.exists())
    progress(
        f"reading {_count(len(files), 'record file')}"
        + (f" and {_count(len(entries), 'registry or PubMed file')}" if entries else "")
    )
    corpus = load_corpus(files)
    for folder in missing:
        corpus.errors.append(Problem(str(folder), None, None, "no such file or folder"))
    if documents_dir is not None:  # before the sources join: checking reassembles the corpus
        check_documents(corpus, documents_dir)
    found = add_sources(corpus, entries)
    corpus.errors += source_errors + found.errors
    corpus.warnings += source_warnings + found.warnings
    corpus.files += found.files
    corpus.left_out += found.left_out
    progress(
        f"building the graph from {_count(len(corpus.records), 'record')} "
        f"of {_count(len(corpus.documents), 'document')}"
    )
    minter = Minter(base)
    result = build_graph(
        corpus, minter=minter, converter=prefix_converter(), documents_dir=documents_dir
    )
    emit_sources(result.graph, found, corpus, minter)
    report = BuildReport(corpus, result, reasoner=reasoner)
    _, engine = choose_reasoner(reasoner)

    def relay(message: str) -> None:  # kg.trust names its stages; say the engine and the size
        if message.startswith("reasoning"):
            message = f"reasoning with {engine} over {_count(len(result.graph), 'triple')}"
        elif message.startswith("validating"):
            message = f"validating {_count(len(result.graph), 'triple')} with the SHACL shapes"
        progress(message)

    progress(f"checking the identifiers of {_count(len(result.graph), 'triple')}")
    report.trust = run_checks(result.graph, Minter(base), reasoner=reasoner, progress=relay)
    result.errors.extend(report.trust.errors)
    result.warnings.extend(report.trust.warnings)
    if out is not None:
        progress(f"writing {_count(len(result.graph), 'triple')} to {out}/")
        report.outputs = write_all(
            result.graph, out, load_context(paths.ONTOLOGY / "context.jsonld")
        )
        progress(f"writing the interactive view to {out / 'graph.html'}")
        report.outputs["html"] = write_view(whole_view(result.graph), out / "graph.html")
        inferred = report.trust.inferred
        if report.trust.reasoning is None:
            progress(f"writing {out / 'graph.nq'}; marking {out / 'inferred.ttl'} stale")
            report.outputs.update(_write_unreasoned(result.graph, out, base))
            report.inferred_stale = True
        else:
            progress(
                f"writing {_count(len(inferred), 'inferred triple')} to {out / 'inferred.ttl'}"
                f" and both graphs to {out / 'graph.nq'}"
            )
            report.outputs.update(write_trust_outputs(result.graph, inferred, out, base))
    return report


def _write_unreasoned(asserted: Graph, out: Path, base: str) -> dict[str, Path]:
    """``graph.nq`` without an inferred graph; ``inferred.ttl`` kept and marked stale.

    Queries then find no inferred class or relation rather than ones that may no longer hold;
    the mark tells readers of ``inferred.ttl`` (and ``kg export``) that it is out of date.
    """
    from rdflib import Graph

    from kg.export import atomic_write
    from kg.trust import to_nquads

    nquads, inferred = out / "graph.nq", out / "inferred.ttl"
    atomic_write(nquads, to_nquads(asserted, Graph(), base))
    previous = inferred.read_bytes() if inferred.is_file() else b""
    if previous.startswith(STALE_MARK.encode()):  # marked by an earlier build: mark once
        previous = previous.split(b"\n", 1)[1] if b"\n" in previous else b""
    atomic_write(inferred, STALE_NOTE.encode("utf-8") + previous)
    return {"inferred": inferred, "nquads": nquads}


def _count(n: int, noun: str) -> str:
    """``1 record``, ``2 records``, ``10,887 triples``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
