"""SHACL validation of the evidence graph with pyshacl (shapes in ``ontology/shapes.ttl``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, SH, XSD, Graph, Literal, Node, URIRef

from kg import paths

__all__ = ["ValidationReport", "Violation", "load_shapes", "validate"]


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result: the node, the shape and the value that failed, and why."""

    focus: str
    shape: str
    path: str
    value: str
    message: str
    severity: str = "Violation"

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        shown = self.value and self.value.strip('"') not in self.message
        value = f" = {self.value}" if shown else ""
        return f"{self.focus}{where}{value}: {self.message} [{self.shape}]"


@dataclass
class ValidationReport:
    """All SHACL results of one run; the graph conforms when none is a violation."""

    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def conforms(self) -> bool:
        return not self.violations


def load_shapes(path: Path | None = None) -> Graph:
    """The shapes graph (``ontology/shapes.ttl``)."""
    return Graph().parse(path or paths.ONTOLOGY / "shapes.ttl", format="turtle")


def validate(
    graph: Graph, *, shapes: Graph | None = None, ontology: Graph | None = None
) -> ValidationReport:
    """Check ``graph`` against the shapes; ``ontology`` supplies the types of named individuals."""
    import pyshacl  # imported here: it takes ~0.5 s to import

    shapes = shapes if shapes is not None else load_shapes()
    if ontology is None:
        ontology = Graph().parse(paths.ONTOLOGY / "cdek.ttl", format="turtle")
    start = time.perf_counter()
    _, results, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        do_owl_imports=False,
    )
    report = ValidationReport(seconds=time.perf_counter() - start)
    for node in results.subjects(RDF.type, SH.ValidationResult):
        item = _violation(results, node, shapes)
        (report.violations if item.severity == "Violation" else report.warnings).append(item)
    report.violations.sort()
    report.warnings.sort()
    return report


def _violation(results: Graph, node: Node, shapes: Graph) -> Violation:
    def one(prop: URIRef) -> Node | None:
        return next(iter(results.objects(node, prop)), None)

    shape = one(SH.sourceShape)
    severity = one(SH.resultSeverity)
    messages = sorted(str(m) for m in results.objects(node, SH.resultMessage))
    return Violation(
        focus=str(one(SH.focusNode)),
        shape=_shape_name(shape, shapes),
        path=_text(one(SH.resultPath), results),
        value=_text(one(SH.value), results),
        message="; ".join(messages) or str(one(SH.sourceConstraintComponent)),
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
    )


def _shape_name(shape: Node | None, shapes: Graph) -> str:
    """A named shape, or the named shape that holds an anonymous property shape."""
    seen = 0
    while shape is not None and not isinstance(shape, URIRef) and seen < 5:
        shape = next(iter(shapes.subjects(None, shape)), None)
        seen += 1
    return str(shape).rsplit("#", 1)[-1] if shape is not None else "?"


def _text(term: Node | None, graph: Graph) -> str:
    if term is None:
        return ""
    if isinstance(term, Literal):
        xsd = str(XSD)
        if term.datatype and str(term.datatype).startswith(xsd):
            return f'"{term}"^^xsd:{str(term.datatype)[len(xsd) :]}'
        return term.n3()
    if isinstance(term, URIRef):
        return str(term)
    items = list(graph.items(term)) if (term, RDF.first, None) in graph else []
    return " / ".join(str(i) for i in items) if items else str(term)
