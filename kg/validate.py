"""SHACL validation of the evidence graph with pyshacl (shapes in ``ontology/shapes.ttl``), and a
scan of every typed literal: ``"maybe"^^xsd:boolean`` is not a boolean wherever it stands."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import time
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDF, SH, XSD, Graph, Literal, Node, URIRef
from rdflib.plugins.serializers.nt import _nt_row

from kg import paths

Triple = tuple[Node, Node, Node]

__all__ = [
    "ValidationReport",
    "Violation",
    "as_written",
    "ill_typed_literals",
    "load_shapes",
    "validate",
    "validate_triples",
    "well_typed",
]


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
    graph: Graph,
    *,
    shapes: Graph | None = None,
    ontology: Graph | None = None,
    engine: str | None = None,
    owned: bool = False,
) -> ValidationReport:
    """Check ``graph`` against the shapes; ``ontology`` supplies the types of named individuals.

    Every ill-typed literal is a violation too (shape ``WellTypedLiteral``); the shapes then see
    the graph without them, as pyshacl fails on comparing one (``sh:lessThan`` on ``"1.x"``).
    ``engine``: ``turbo`` (pyshacl-turbo, when installed) or ``pyshacl`` (default: ``ENGINE``).
    ``owned``: the caller hands ``graph`` over (it may be changed), which saves a copy.
    """
    shapes = shapes if shapes is not None else _default_shapes()
    if ontology is None:
        ontology = _default_ontology()
    start = time.perf_counter()
    ill_typed = _ill_typed(graph)
    if ill_typed:
        if not owned:
            graph = Graph(namespace_manager=graph.namespace_manager) + graph
            owned = True
        for triple in ill_typed:
            graph.remove(triple)
    results = _run_shapes(graph, shapes, ontology, engine or ENGINE, owned=owned)
    return _reported(results, shapes, [_ill_typed_violation(t, graph) for t in ill_typed], start)


def validate_triples(
    triples: AbstractSet[Triple], prefixes: Mapping[str, str], ntriples: bytes | None = None
) -> ValidationReport:
    """:func:`validate` with the default shapes and ontology, for a graph given as distinct
    ``triples`` (and its ``prefixes``): pyshacl-turbo reads them without an rdflib graph being
    built, several times faster for the build's fragments. Other engines get a graph.

    ``ntriples``: the same triples as N-Triples lines (no blank nodes), which pyshacl-turbo then
    parses itself, instead of taking each term from Python (a third of the checks' time)."""
    start = time.perf_counter()
    names = Graph()  # the namespaces an rdflib graph of these triples would have
    for prefix, namespace in prefixes.items():
        names.bind(prefix, namespace, override=True)
    if ENGINE != "turbo":
        for triple in triples:
            names.add(triple)
        return validate(names, owned=True)
    from pyshacl_turbo.rdf import Input
    from pyshacl_turbo.term_input import _TermBatch

    shapes, ontology = _default_shapes(), _default_ontology()
    compiled, mixed_in = _prepared(shapes, ontology)
    ill_typed = [t for t in triples if isinstance(t[2], Literal) and not well_typed(t[2])]
    # the ontology's types of named individuals, as pyshacl adds them
    added = [t for t in mixed_in if t not in triples]
    namespaces = dict(names.namespaces())
    if ntriples is not None and not ill_typed and b"_:" not in ntriples:
        text = ntriples.decode("utf-8") + "".join(_nt_row(t) for t in added)
        data = Input(text, "nt", None, {}, namespaces)
    else:
        batch, skip = _TermBatch({}), set(ill_typed)
        for triple in triples:
            if triple not in skip:
                batch.append(*triple)
        for triple in added:
            batch.append(*triple)
        data = Input((batch.records, batch.quads), "terms", None, batch.nodes, namespaces)
    _, results, _ = compiled.validate(data, inference="none", allow_warnings=True)
    return _reported(results, shapes, [_ill_typed_violation(t, names) for t in ill_typed], start)


def _reported(
    results: Graph, shapes: Graph, ill_typed: list[Violation], start: float
) -> ValidationReport:
    """The violations and warnings of a SHACL results graph, with the ill-typed literals."""
    report = ValidationReport(seconds=time.perf_counter() - start)
    for node in results.subjects(RDF.type, SH.ValidationResult):
        item = _violation(results, node, shapes)
        (report.violations if item.severity == "Violation" else report.warnings).append(item)
    report.violations += ill_typed
    report.violations.sort()
    report.warnings.sort()
    return report


def _turbo_available() -> bool:
    try:
        import pyshacl_turbo  # noqa: F401
    except ImportError:
        return False
    return True


# pyshacl-turbo (Rust; the same results as pyshacl, tests/test_shapes.py compares them) when
# installed, else pyshacl; $KG_SHACL_ENGINE=pyshacl chooses the reference engine
ENGINE = os.environ.get("KG_SHACL_ENGINE") or ("turbo" if _turbo_available() else "pyshacl")


@functools.cache
def _default_shapes() -> Graph:
    return load_shapes()


@functools.cache
def _default_ontology() -> Graph:
    return Graph().parse(paths.ONTOLOGY / "cdek.ttl", format="turtle")


# compiled shapes and the ontology triples pyshacl would splice into each data graph (a list:
# read for every fragment), kept per (shapes, ontology) pair: compiling costs more than
# validating a small graph
_PREPARED: dict[tuple[int, int], tuple[Graph, Graph, Any, list[Triple]]] = {}


def _prepared(shapes: Graph, ontology: Graph) -> tuple[Any, list[Triple]]:
    key = (id(shapes), id(ontology))
    if key not in _PREPARED:
        import pyshacl_turbo
        from pyshacl.rdfutil.inoculate import inoculate

        if len(_PREPARED) > 8:
            _PREPARED.clear()
        compiled = pyshacl_turbo.compile_shapes(shapes, advanced=True)
        _PREPARED[key] = (shapes, ontology, compiled, list(inoculate(Graph(), ontology)))
    _, _, compiled, mixed_in = _PREPARED[key]
    return compiled, mixed_in


def _run_shapes(
    graph: Graph, shapes: Graph, ontology: Graph, engine: str, *, owned: bool = False
) -> Graph:
    """The SHACL results graph of ``graph`` (which may be changed when ``owned``)."""
    if engine == "turbo":
        compiled, mixed_in = _prepared(shapes, ontology)
        data = graph if owned else Graph() + graph
        for triple in mixed_in:
            data.add(triple)
        _, results, _ = compiled.validate(data, inference="none", allow_warnings=True)
        return results
    import pyshacl  # imported here: it takes ~0.5 s to import

    _, results, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        do_owl_imports=False,
    )
    return results


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


# -- literals outside the lexical space of their datatype ----------------------------------------
# SHACL reports an ill-typed value only where a shape gives the property a sh:datatype, and
# pyshacl goes by rdflib, which checks some datatypes and not others (any "2008-13"^^xsd:gYearMonth
# passes): so every literal of these XSD datatypes is matched against its lexical space (XML
# Schema 1.1 part 2), without the whitespace a schema processor would first collapse.

_TZ = r"(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?"
_YEAR = r"-?([1-9]\d{3,}|0\d{3})"
_INTEGER = r"[+-]?\d+"
_FLOAT = r"[+-]?(\d+(\.\d*)?|\.\d+)([Ee][+-]?\d+)?|[+-]?INF|NaN"
_LEXICAL = {
    XSD.boolean: r"true|false|1|0",
    XSD.decimal: r"[+-]?(\d+(\.\d*)?|\.\d+)",
    XSD.integer: _INTEGER,
    XSD.nonNegativeInteger: r"\+?\d+|-0+",
    XSD.positiveInteger: r"\+?0*[1-9]\d*",
    XSD.nonPositiveInteger: r"-\d+|\+?0+",
    XSD.negativeInteger: r"-0*[1-9]\d*",
    XSD.long: _INTEGER,
    XSD.int: _INTEGER,
    XSD.short: _INTEGER,
    XSD.byte: _INTEGER,
    XSD.double: _FLOAT,
    XSD.float: _FLOAT,
    XSD.date: _YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])" + _TZ,
    XSD.dateTime: _YEAR
    + r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    + r"|24:00:00(\.0+)?)"
    + _TZ,
    XSD.gYearMonth: _YEAR + r"-(0[1-9]|1[0-2])" + _TZ,
    XSD.gYear: _YEAR + _TZ,
}
_PATTERNS = {datatype: re.compile(pattern) for datatype, pattern in _LEXICAL.items()}
_BOUNDS = {  # value ranges of the bounded integer types
    XSD.long: 2**63,
    XSD.int: 2**31,
    XSD.short: 2**15,
    XSD.byte: 2**7,
}


_XSD = str(XSD)


def well_typed(literal: Literal) -> bool:
    """Whether the literal's text lies in its datatype's lexical space (a plain or language-tagged
    string, or a datatype outside XSD, always does).

    rdflib reads the XSD types it knows on parsing (and may rewrite their text: ``"maybe"`` as a
    boolean becomes ``"false"``, flagged ill-typed); the lexical patterns judge the rest.
    """
    datatype = literal.datatype
    if datatype is None or not datatype.startswith(_XSD):
        return True
    if literal.ill_typed is not None:  # rdflib has a reader for the type and used it
        return not literal.ill_typed
    pattern = _PATTERNS.get(datatype)
    text = str(literal)
    if pattern is None or pattern.fullmatch(text) is None:
        return pattern is None
    if datatype in _BOUNDS:
        return -_BOUNDS[datatype] <= int(text) < _BOUNDS[datatype]
    if datatype in (XSD.date, XSD.dateTime):  # a day the month has: no 2013-02-30
        year, month, day = (int(part) for part in re.findall(r"\d+", text)[:3])
        year = -year if text.startswith("-") else year
        try:  # the Gregorian calendar repeats every 400 years: 2000 + year % 400 has its leap days
            dt.date(2000 + year % 400, month, day)
        except ValueError:
            return False
    return True


def as_written(literal: Literal) -> str | None:
    """The literal's text as written, or None where rdflib read a text it only half understood
    and rewrote it (``"maybe"^^xsd:boolean`` comes out as ``"false"``)."""
    return None if literal.ill_typed and literal.value is not None else str(literal)


def ill_typed_literals(graph: Graph) -> list[Violation]:
    """Every literal of ``graph`` outside its datatype's lexical space, as a violation."""
    return sorted(_ill_typed_violation(triple, graph) for triple in _ill_typed(graph))


def _ill_typed(graph: Graph) -> list[tuple[Node, Node, Literal]]:
    return [(s, p, o) for s, p, o in graph if isinstance(o, Literal) and not well_typed(o)]


def _ill_typed_violation(triple: tuple[Node, Node, Literal], graph: Graph) -> Violation:
    s, p, o = triple
    datatype = str(o.datatype)[len(str(XSD)) :]
    return Violation(
        focus=str(s),
        shape="WellTypedLiteral",
        path=str(p),
        value=_text(o, graph) if as_written(o) is not None else "",
        message=f"ill-typed literal: its text is not a valid xsd:{datatype}",
    )
