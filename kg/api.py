"""The Python API: load a built graph and ask it canned or ad-hoc questions.

>>> from kg.api import KnowledgeGraph
>>> graph = KnowledgeGraph.load()                      # out/graph.nq, else out/graph.ttl
>>> graph.query("efficacy-of-drug", drug="Nexavar").to_dataframe()
>>> graph.query("SELECT ?s WHERE { ?s a cdek:Drug }").rows
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
import rdflib

from kg import paths
from kg.catalog import CannedQuery, Parameter, load_catalog, parse_header
from kg.engine import Engine, OxigraphEngine, Term, from_rdflib, load_engine
from kg.resolve import CLASS_OF_KIND, EntityIndex, ResolveError
from kg.results import QueryResult
from kg.sparql import QueryError
from kg.terms import UnknownTermWarning, explain_syntax_error, unknown_terms
from kg.xrefs import prefix_map

__all__ = [
    "ONTOLOGY_GRAPH",
    "KnowledgeGraph",
    "ParameterError",
    "default_graph_files",
    "display_prefixes",
]

_XSD = "http://www.w3.org/2001/XMLSchema#"
_LABELS = """SELECT ?node ?acronym ?label WHERE {{
  VALUES ?node {{ {nodes} }}
  OPTIONAL {{ ?node <https://w3id.org/cdekg/ontology#acronym> ?acronym }}
  OPTIONAL {{ ?node <http://www.w3.org/2000/01/rdf-schema#label> ?label }}
}}"""
_LABELS_AT_ONCE = 500
ONTOLOGY_GRAPH = "https://w3id.org/cdekg/ontology"
_HAS_ONTOLOGY = f"ASK {{ <{ONTOLOGY_GRAPH}> a <http://www.w3.org/2002/07/owl#Ontology> }}"


class ParameterError(ValueError):
    """A parameter that the query does not take, or whose value cannot be used."""


def default_graph_files(out: Path = paths.OUT) -> list[Path]:
    """The build's store (``out/store``, opened read-only, no parsing) if written, else its
    N-Quads (asserted and inferred named graphs), else its Turtle.

    Queries see the union of the named graphs; ``GRAPH ?g { ... }`` tells them apart.
    """
    from kg.store import is_store

    if is_store(out / "store"):
        return [out / "store"]
    nquads = out / "graph.nq"
    if nquads.is_file():
        return [nquads]
    return [out / "graph.ttl"]


def display_prefixes() -> dict[str, str]:
    """Prefixes for short display: the JSON-LD context's, then the identifier prefix map."""
    context = json.loads((paths.ONTOLOGY / "context.jsonld").read_text(encoding="utf-8"))
    prefixes = {k: v for k, v in context["@context"].items() if isinstance(v, str)}
    prefixes.setdefault("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#")
    for prefix, namespace in prefix_map().items():
        prefixes.setdefault(prefix, namespace)
    # longest namespace first, so that kgr: does not hide a longer match
    return dict(sorted(prefixes.items(), key=lambda item: -len(item[1])))


class KnowledgeGraph:
    """A built evidence graph, ready for SPARQL."""

    def __init__(
        self, engine: Engine, queries: Path = paths.QUERIES, *, ontology: bool = True
    ) -> None:
        # class, property and statistic labels live in the ontology; added once only, or
        # the union of graphs would give every ontology row twice
        if ontology and not engine.run(_HAS_ONTOLOGY).boolean:
            engine.add_file(paths.ONTOLOGY / "cdek.ttl", graph=ONTOLOGY_GRAPH)
        self.engine = engine
        self.queries_folder = queries
        self.prefixes = display_prefixes()
        engine.prefixes = dict(self.prefixes)

    @classmethod
    def load(
        cls, *files: Path | str, queries: Path = paths.QUERIES, engine: str = "pyoxigraph"
    ) -> KnowledgeGraph:
        """Load graph files (Turtle, N-Triples, N-Quads, JSON-LD...); default: the build's.

        ``engine="rdflib"`` runs queries on rdflib's own engine instead (much slower).
        """
        chosen = [Path(f) for f in files] or default_graph_files()
        return cls(load_engine(chosen, engine), queries)

    @classmethod
    def from_graph(cls, graph: rdflib.Graph, queries: Path = paths.QUERIES) -> KnowledgeGraph:
        """Wrap an rdflib graph, such as ``run_build(...).result.graph``."""
        store = ox.Store()
        data = graph.serialize(format="nt", encoding="utf-8")
        store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
        return cls(OxigraphEngine(store), queries)

    def __len__(self) -> int:
        return self.engine.triple_count()

    @cached_property
    def catalog(self) -> dict[str, CannedQuery]:
        """The canned questions by name."""
        return load_catalog(self.queries_folder)

    @cached_property
    def index(self) -> EntityIndex:
        from kg.pipeline import prefix_converter

        return EntityIndex(self.engine, prefix_converter(), self.prefixes)

    def resolve(self, value: str, kind: str = "entity") -> str:
        """The IRI of the node named by a label, synonym, acronym, CURIE or IRI."""
        return self.index.resolve(value, kind).value

    def query(
        self,
        query: str | Path,
        params: Mapping[str, str] | None = None,
        /,
        *,
        max_results: int | None = None,
        **kwargs: str,
    ) -> QueryResult:
        """Run a canned question (by name), a ``.rq`` file or SPARQL text.

        Parameters come as a mapping or keywords, by name, as text: ``drug="Nexavar"``.
        A syntax error is a :class:`kg.terms.SparqlSyntaxError` (a ``QueryError``) whose
        message is one line with a hint. Ontology terms the ontology does not define
        (``cdek:inhibts``, which match nothing) are warned about (``UnknownTermWarning``)
        and listed in ``result.warnings``.
        """
        text, declared = self.prepare(query)
        given = {**(params or {}), **kwargs}
        bindings = self.bindings(declared, given)
        try:
            outcome = self.engine.run(text, bindings, max_results=max_results)
        except QueryError as error:
            raise explain_syntax_error(error, text, self.prefixes) from None
        found = unknown_terms(text, self.prefixes)
        for message in found:
            warnings.warn(message, UnknownTermWarning, stacklevel=2)
        return QueryResult(outcome, self.prefixes, found)

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """A display name for each IRI that has one: its acronym, else its rdfs:label.

        One query per 500 IRIs; IRIs without either are left out.
        """
        wanted = sorted({str(iri) for iri in iris if re.fullmatch(r"[^\s<>\"{}|^`\\]+", iri)})
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(wanted), _LABELS_AT_ONCE):
            chunk = wanted[start : start + _LABELS_AT_ONCE]
            nodes = " ".join(f"<{iri}>" for iri in chunk)
            for node, acronym, label in self.engine.run(_LABELS.format(nodes=nodes)).rows:
                if node is None or (acronym is None and label is None):
                    continue
                # an acronym before any label; the same choice every time
                name = (acronym or label).value  # type: ignore[union-attr]
                key = ("0" if acronym is not None else "1") + name
                if node.value not in found or key < found[node.value][0]:
                    found[node.value] = (key, name)
        return {iri: name for iri, (_, name) in found.items()}

    def prepare(self, query: str | Path) -> tuple[str, tuple[Parameter, ...] | None]:
        """The SPARQL text to run and its declared parameters (None for ad-hoc text)."""
        if isinstance(query, str) and query in self.catalog:
            canned = self.catalog[query]
            return canned.text, canned.parameters
        if isinstance(query, Path) or re.fullmatch(r"[^\s{}]+\.rq", query):
            path = Path(query)
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such query file")
            text = path.read_text(encoding="utf-8")
            declared = parse_header(path, text)[2] if "# title:" in text else None
            return text, declared
        if re.fullmatch(r"[a-z0-9-]+", query):
            known = ", ".join(sorted(self.catalog))
            raise ParameterError(f"no canned question named {query!r} (known: {known})")
        return query, None

    def bindings(
        self, declared: Iterable[Parameter] | None, given: Mapping[str, str]
    ) -> dict[str, Term]:
        """Parameter values as RDF terms: declared ones by kind, ad-hoc ones by guess."""
        if declared is None:
            return {name: self._guess(value) for name, value in given.items()}
        declared = tuple(declared)
        names = {p.name for p in declared}
        unknown = sorted(set(given) - names)
        if unknown:
            takes = ", ".join(sorted(names)) or "none"
            raise ParameterError(
                f"unknown parameter {', '.join(unknown)} (this query takes: {takes})"
            )
        out: dict[str, Term] = {}
        for param in declared:
            value = given.get(param.name, param.default)
            if value is None or value == "":
                continue
            out[param.name] = self._term(param, value)
        return out

    def _term(self, param: Parameter, value: str) -> Term:
        if param.kind in CLASS_OF_KIND or param.kind == "entity":
            try:
                return self.index.resolve(value, param.kind)
            except ResolveError as error:
                raise ParameterError(f"{param.name}: {error}") from None
        if param.kind in ("number", "integer"):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise ParameterError(f"{param.name}: {value!r} is not a number") from None
            if not number.is_finite():
                raise ParameterError(f"{param.name}: {value!r} is not a finite number")
            if param.kind == "integer":
                if number != number.to_integral_value():
                    raise ParameterError(f"{param.name}: {value!r} is not a whole number")
                return ox.Literal(str(int(number)), datatype=ox.NamedNode(_XSD + "integer"))
            # xsd:decimal has no exponent: write 1E+2 as 100
            return ox.Literal(format(number, "f"), datatype=ox.NamedNode(_XSD + "decimal"))
        return ox.Literal(value)

    def _guess(self, value: str) -> Term:
        """An ad-hoc value: an <IRI>, a node by name or CURIE, a number, else a string."""
        text = value.strip()
        if text.startswith("<") and text.endswith(">"):
            return ox.NamedNode(text[1:-1])
        try:
            return self.index.resolve(text)
        except ResolveError:
            pass
        try:
            return from_rdflib(rdflib.Literal(Decimal(text)))
        except InvalidOperation:
            return ox.Literal(text)
