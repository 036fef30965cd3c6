"""The checks a build runs on its graph: identifiers, SHACL shapes, OWL reasoning."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef

from kg.export import atomic_write, to_turtle
from kg.iris import Minter
from kg.reason import Inconsistency, ReasoningResult, kinase_types, reason
from kg.sources.records import Problem
from kg.validate import ValidationReport, Violation, validate
from kg.xrefs import check_identifiers, identifier_gaps

__all__ = [
    "TrustReport",
    "graph_names",
    "inconsistency_problem",
    "run_checks",
    "shape_problem",
    "to_nquads",
    "write_trust_outputs",
]


@dataclass
class TrustReport:
    """What the checks found, the inferred graph, and the seconds each step took."""

    validation: ValidationReport
    reasoning: ReasoningResult | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def inferred(self) -> Graph:
        return self.reasoning.inferred if self.reasoning else Graph()


def graph_names(base: str) -> tuple[URIRef, URIRef]:
    """The named graphs of the asserted and the inferred triples."""
    return URIRef(base + "graph/asserted"), URIRef(base + "graph/inferred")


def run_checks(
    graph: Graph,
    minter: Minter,
    *,
    reasoner: str | None = "auto",
    progress: Callable[[str], None] = lambda _: None,
    checked: ValidationReport | None = None,
) -> TrustReport:
    """Complete ``graph`` with curated typings, then check it; ``reasoner=None`` skips OWL.

    ``checked``: the graph was completed, its identifiers checked and its shapes validated
    already (fragment by fragment, :mod:`kg.fragments`); this is the SHACL result.
    """
    timings: dict[str, float] = {}
    problems: list[Problem] = []
    if checked is None:
        graph += kinase_types(graph)
        graph += identifier_gaps(graph, minter)
        start = time.perf_counter()
        problems = check_identifiers(graph)
        timings["identifiers"] = time.perf_counter() - start
        progress("validating with the SHACL shapes")
        checked = validate(graph)
    validation = checked
    timings["shacl"] = validation.seconds
    report = TrustReport(validation, None, errors=problems, timings=timings)
    report.errors += [shape_problem(v) for v in validation.violations]
    report.warnings += [shape_problem(v) for v in validation.warnings]
    if reasoner is not None:
        progress(f"reasoning ({reasoner})")
        report.reasoning = reason(graph, engine=reasoner)
        timings["reasoning"] = report.reasoning.seconds
        report.errors += [inconsistency_problem(i) for i in report.reasoning.inconsistencies]
        report.warnings += [Problem("reasoner", None, None, n) for n in report.reasoning.notes]
    return report


def inconsistency_problem(item: Inconsistency) -> Problem:
    """A clash the reasoner found, as a build problem."""
    facts = f" (from {'; '.join(item.facts)})" if item.facts else ""
    return Problem("cdek.ttl", item.individual, "owl", f"inconsistent: breaks {item.axiom}{facts}")


def shape_problem(v: Violation, file: str = "shapes.ttl") -> Problem:
    """A SHACL result as a build problem."""
    value = f" (value {v.value})" if v.value and v.value.strip('"') not in v.message else ""
    return Problem(file, v.focus, v.path or None, f"{v.message}{value} [shape {v.shape}]")


def to_nquads(asserted: Graph, inferred: Graph, base: str) -> bytes:
    """N-Quads: the asserted and inferred named graphs, the ontology's and the build version's
    (:func:`kg.export.to_nquads`)."""
    from kg.export import to_nquads as nquads

    return nquads(asserted, inferred, base)


def write_trust_outputs(asserted: Graph, inferred: Graph, out: Path, base: str) -> dict[str, Path]:
    """Write ``inferred.ttl`` and ``graph.nq`` (asserted + inferred named graphs) into ``out``."""
    inferred_ttl = Graph(namespace_manager=asserted.namespace_manager)
    inferred_ttl += inferred
    files = {
        "inferred": (out / "inferred.ttl", to_turtle(inferred_ttl)),
        "nquads": (out / "graph.nq", to_nquads(asserted, inferred, base)),
    }
    for path, data in files.values():
        atomic_write(path, data)
    return {name: path for name, (path, _) in files.items()}
