"""The build from record files to output files: load, build, write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import curies
from rdflib import RDF, URIRef

from kg import paths
from kg.build import BuildResult, build_graph
from kg.export import load_context, write_all
from kg.iris import Minter
from kg.records import Corpus, Problem, load_corpus, record_files
from kg.trust import TrustReport, run_checks, write_trust_outputs
from kg.viz import whole_view, write_view
from kg.xrefs import prefix_map

__all__ = ["BuildReport", "prefix_converter", "run_build"]


@dataclass
class BuildReport:
    """What one build read, made and noticed."""

    corpus: Corpus
    result: BuildResult
    outputs: dict[str, Path] = field(default_factory=dict)
    trust: TrustReport | None = None

    @property
    def errors(self) -> list[Problem]:
        return sorted(self.corpus.errors + self.result.errors)

    @property
    def warnings(self) -> list[Problem]:
        return sorted(self.corpus.warnings + self.result.warnings)

    def class_counts(self) -> Counter[str]:
        """Typed nodes per class, by local name."""
        counts: Counter[str] = Counter()
        for cls in self.result.graph.objects(None, RDF.type):
            if isinstance(cls, URIRef):
                counts[cls.split("#")[-1].split("/")[-1]] += 1
        return counts


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
    (``auto``: HermiT when Java is installed, else OWL 2 RL; ``None`` skips reasoning).
    """
    folders = ([paths.RECORDS] if include_default else []) + list(sources)
    missing = [f for f in folders if not f.exists()]
    files = record_files(*(f for f in folders if f.exists()))
    progress(f"reading {len(files)} record files")
    corpus = load_corpus(files)
    for folder in missing:
        corpus.errors.append(Problem(str(folder), None, None, "no such file or folder"))
    progress(f"building the graph from {len(corpus.records)} records")
    result = build_graph(
        corpus, minter=Minter(base), converter=prefix_converter(), documents_dir=documents_dir
    )
    report = BuildReport(corpus, result)
    report.trust = run_checks(result.graph, Minter(base), reasoner=reasoner, progress=progress)
    result.errors.extend(report.trust.errors)
    result.warnings.extend(report.trust.warnings)
    if out is not None:
        progress(f"writing {len(result.graph)} triples to {out}/")
        report.outputs = write_all(
            result.graph, out, load_context(paths.ONTOLOGY / "context.jsonld")
        )
        progress(f"writing the interactive view to {out}/graph.html")
        report.outputs["html"] = write_view(whole_view(result.graph), out / "graph.html")
        report.outputs.update(write_trust_outputs(result.graph, report.trust.inferred, out, base))
    return report
