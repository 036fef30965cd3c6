"""What the views read from the graph: typed nodes, their literals and links, by SPARQL.

Three SELECTs over a pyoxigraph store (the union of its graphs) give every typed node with its
most specific class, its literal values and its links; the views then work on these plain
dictionaries. Properties are keyed by local name for the project's vocabulary (``value``,
``resultArm``) and by prefixed name otherwise (``rdfs:label``, ``skos:altLabel``, ``oa:exact``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg import paths
from kg.network import NODE_CLASSES

if TYPE_CHECKING:
    import rdflib

__all__ = ["CDEK", "CLASS_ORDER", "FactNode", "Facts", "to_store"]

CDEK = "https://w3id.org/cdekg/ontology#"
_PREFIXES = {
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://www.w3.org/ns/oa#": "oa:",
    "http://www.w3.org/ns/prov#": "prov:",
    "http://purl.org/dc/terms/": "dcterms:",
    "http://www.w3.org/2002/07/owl#": "owl:",
    CDEK: "",
}
# most specific first: a node takes the first of these among its types (kg.network's order, then
# the bookkeeping classes a view can show on demand)
CLASS_ORDER = (
    *NODE_CLASSES,
    "TextSpan",
    "SourceDocument",
    "Regimen",
    "DrugTargetStatement",
    "DiseaseGeneStatement",
    "ValueConflict",
    "StatisticKind",
)

_TYPES = f"""SELECT ?s ?t WHERE {{
  ?s a ?t . FILTER(isIRI(?s) && STRSTARTS(STR(?t), "{CDEK}"))
}}"""
_LITERALS = """SELECT ?s ?p ?o WHERE { ?s ?p ?o . FILTER(isIRI(?s) && isLiteral(?o)) }"""
# a span's offsets and quote sit on its Web Annotation selectors: read them as the span's own
_SELECTED = """SELECT ?s ?p ?o WHERE {
  ?s <http://www.w3.org/ns/oa#hasSelector> ?selector . ?selector ?p ?o . FILTER(isLiteral(?o))
}"""
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# the ontology's own labels (of classes, properties, statistic kinds): its graph only
_TERM_LABELS = """SELECT ?s ?p ?o WHERE {
  GRAPH <https://w3id.org/cdekg/ontology> { ?s ?p ?o }
  FILTER(?p = <http://www.w3.org/2000/01/rdf-schema#label>)
}"""
_LINKS = """SELECT ?s ?p ?o WHERE {
  ?s ?p ?o . FILTER(isIRI(?s) && isIRI(?o)
    && ?p != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>)
}"""


def _short(iri: str) -> str:
    for namespace, prefix in _PREFIXES.items():
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    return iri


@dataclass
class FactNode:
    """One typed node: its class, literal values and links in both directions."""

    iri: str
    cls: str
    types: set[str] = field(default_factory=set)
    lits: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    out: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    inc: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def one(self, key: str) -> str | None:
        """The first value of ``key`` (in sorted order, so the same every time), or None."""
        values = self.lits.get(key)
        return values[0] if values else None

    def num(self, key: str) -> Decimal | None:
        """``key`` as a number, or None when absent or not a number."""
        text = self.one(key)
        if text is None:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None

    def first(self, key: str) -> str | None:
        """The first node ``key`` links to, or None."""
        targets = self.out.get(key)
        return targets[0] if targets else None

    @property
    def label(self) -> str:
        return self.one("rdfs:label") or self.iri.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Facts:
    """The typed nodes of a graph, and the labels of the ontology's terms."""

    nodes: dict[str, FactNode]
    term_labels: dict[str, str]
    """rdfs:label of each class, property and statistic kind, by local name."""

    def get(self, iri: str | None) -> FactNode | None:
        return self.nodes.get(iri) if iri is not None else None

    def of_class(self, *classes: str) -> list[FactNode]:
        wanted = set(classes)
        return [n for n in self.nodes.values() if n.cls in wanted]

    def term(self, local: str) -> str:
        """The ontology's label for a class, property or statistic kind."""
        return self.term_labels.get(local, local)

    @classmethod
    def from_store(
        cls,
        store: ox.Store,
        classes: Iterable[str] | None = None,
        links: Iterable[str] | None = None,
    ) -> Facts:
        """Read the facts from ``store`` (the union of its graphs).

        With ``classes`` (local names), only the nodes typed with one of them are read, with
        their literals and their links (those by the properties ``links``, full IRIs, if
        given), and the term labels come from the ontology's graph: what an overview needs,
        without touching the rest of a large graph.
        """

        def rows(query: str) -> Any:
            return store.query(query, use_default_graph_as_union=True)

        if classes is None:
            queries = (_TYPES, [_LITERALS, _SELECTED], _LINKS)
        else:
            values = "VALUES ?t { " + " ".join(f"<{CDEK}{c}>" for c in classes) + " }"
            typed = f"{{ SELECT DISTINCT ?s WHERE {{ {values} ?s a ?t }} }}"
            by = "" if links is None else "VALUES ?p { " + " ".join(f"<{k}>" for k in links) + " }"
            queries = (
                f"SELECT DISTINCT ?s ?t WHERE {{ {values} ?s a ?t }}",
                [
                    f"SELECT DISTINCT ?s ?p ?o WHERE {{ {typed} ?s ?p ?o . "
                    "FILTER(isLiteral(?o)) }",
                    _TERM_LABELS,
                ],
                # no FILTER: Oxigraph evaluates this one three times as fast without; the
                # loop below keeps the IRIs other than types
                f"SELECT DISTINCT ?s ?p ?o WHERE {{ {typed} {by} ?s ?p ?o }}",
            )
        types: dict[str, set[str]] = defaultdict(set)
        for row in rows(queries[0]):
            types[row[0].value].add(row[1].value[len(CDEK) :])
        nodes: dict[str, FactNode] = {}
        for iri, found in types.items():
            if "RegistryCohort" in found:  # drawn and tabulated as arms (a cohort is a group)
                found.add("StudyArm")
            chosen = next((c for c in CLASS_ORDER if c in found), None)
            if chosen is not None:
                nodes[iri] = FactNode(iri, chosen, found)
        term_labels: dict[str, str] = {}
        for s, p, o in (triple for query in queries[1] for triple in rows(query)):
            node = nodes.get(s.value)
            key = _short(p.value)
            if node is not None and o.value not in node.lits[key]:
                node.lits[key].append(o.value)
            if key == "rdfs:label" and s.value.startswith(CDEK) and o.language in (None, "en"):
                term_labels.setdefault(s.value[len(CDEK) :], o.value)
        for s, p, o in rows(queries[2]):
            source, target, key = nodes.get(s.value), o.value, _short(p.value)
            if source is None or not isinstance(o, ox.NamedNode) or p.value == _RDF_TYPE:
                continue
            if target not in source.out[key]:
                source.out[key].append(target)
                if target in nodes:
                    nodes[target].inc[key].append(source.iri)
        for node in nodes.values():
            for mapping in (node.lits, node.out, node.inc):
                for values in mapping.values():
                    values.sort()
        return cls(nodes, term_labels)


def to_store(graph: rdflib.Graph | ox.Store | Any) -> ox.Store:
    """A pyoxigraph store holding ``graph`` and the ontology (for the labels of its terms).

    Takes an rdflib graph, a pyoxigraph store, or anything with ``engine.store`` (a
    :class:`kg.api.KnowledgeGraph`); a store given is used as it is.
    """
    if isinstance(graph, ox.Store):
        return graph
    engine = getattr(graph, "engine", None)
    if engine is not None and isinstance(getattr(engine, "store", None), ox.Store):
        return engine.store
    store = ox.Store()
    store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    ontology = ox.NamedNode("https://w3id.org/cdekg/ontology")
    store.bulk_load(
        path=str(paths.ONTOLOGY / "cdek.ttl"), format=ox.RdfFormat.TURTLE, to_graph=ontology
    )
    return store
