"""Views: what one page shows. A view is an object; writing it as HTML is :mod:`kg.views.page`.

``whole_view`` (every study, arm and result), ``drug_view``, ``study_view`` and ``disease_view``
(one node's evidence, named as ``kg query`` names things: label, synonym, acronym, CURIE, IRI
or NCT id) and ``query_view`` (the nodes of a query's answer, with its columns as the table).
A view of more than :data:`LIMIT` nodes opens on its entities (drugs, targets, diseases,
studies, approvals) and adds arms, results and spans on demand.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.views.evidence import Evidence
from kg.views.facts import FactNode, Facts, to_store
from kg.views.graph import ViewGraph, build_graph
from kg.views.layout import force_layout, label_box, layered_layout
from kg.views.scope import (
    disease_scope,
    drug_scope,
    narrower,
    nodes_named,
    study_scope,
    whole_scope,
)
from kg.views.style import CLASSES
from kg.views.words import abbreviation, study_name

__all__ = [
    "LIMIT",
    "QueryTable",
    "Source",
    "View",
    "disease_view",
    "drug_view",
    "query_view",
    "study_view",
    "whole_view",
]

LIMIT = 150
"""Above this many nodes (spans aside) a page opens on the entity overview."""

Point = tuple[float, float]
_ON_DEMAND = ("TextSpan", "Endpoint", "AdverseEventTerm")


@dataclass(frozen=True)
class QueryTable:
    """A query's answer as the page's table: its variables and, per row, text and node."""

    columns: list[str]
    rows: list[list[tuple[str, str | None]]]  # (text, node IRI or external link)


@dataclass
class View:
    """A titled part of the graph, ready to write as a page."""

    title: str
    kind: str
    graph: ViewGraph
    initial: list[str]
    focus: list[str] = field(default_factory=list)
    subtitle: str = ""
    query: QueryTable | None = None
    glossary: list[tuple[str, str]] = field(default_factory=list)
    positions: dict[str, dict[str, Point]] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return len(self.graph.nodes)

    @property
    def edge_count(self) -> int:
        return len(self.graph.edges)

    @property
    def overview(self) -> bool:
        """The page opens on the entities and expands the rest on demand."""
        return self.kind != "query" and len(self.initial) < sum(
            1 for n in self.graph.nodes.values() if n.cls not in _ON_DEMAND
        )


class Source:
    """A graph read once for views: its facts, evidence and name index."""

    def __init__(self, graph: Any, *, documents: Path | None = None) -> None:
        from kg.api import KnowledgeGraph  # the resolver and query engine of `kg query`
        from kg.engine import OxigraphEngine
        from kg.pipeline import prefix_converter

        store = to_store(graph)
        self.knowledge = (
            graph if isinstance(graph, KnowledgeGraph) else KnowledgeGraph(OxigraphEngine(store))
        )
        self.store: ox.Store = self.knowledge.engine.store  # type: ignore[attr-defined]
        self.facts = Facts.from_store(self.store)
        self.evidence = Evidence(self.facts)
        self.converter = prefix_converter()
        self.documents = documents
        self._texts: dict[str, str | None] = {}

    def resolve(self, name: str, kind: str) -> str:
        """The IRI of the ``kind`` (drug, study, disease) named ``name``; LookupError if none."""
        return self.knowledge.resolve(name, kind)

    def link(self, curie: str) -> str | None:
        """The web address of a CURIE (http or https only)."""
        try:
            iri = self.converter.expand(curie)
        except ValueError:
            return None
        return iri if iri and iri.startswith(("https://", "http://")) else None

    def quote(self, span: FactNode) -> str | None:
        """The text of a span read from the documents folder, when the graph lacks it."""
        if self.documents is None:
            return None
        document = self.facts.get(span.first("oa:hasSource"))
        start, end = span.num("oa:start"), span.num("oa:end")
        if document is None or start is None or end is None:
            return None
        text = self._text(document)
        return text[int(start) : int(end)] if text is not None and end <= len(text) else None

    def _text(self, document: FactNode) -> str | None:
        if document.iri not in self._texts:
            path = self.documents / (document.one("fileName") or "") if self.documents else None
            text = None
            if path is not None and path.is_file():
                data = path.read_bytes()
                digest = document.one("sha256")
                if digest is None or hashlib.sha256(data).hexdigest() == digest:
                    text = data.decode("utf-8", errors="replace")
            self._texts[document.iri] = text
        return self._texts[document.iri]

    def narrower(self, disease: str) -> set[str]:
        return narrower(self.facts, disease)

    def graph_of(self, scope: set[str]) -> ViewGraph:
        return build_graph(
            self.facts,
            self.evidence,
            scope,
            narrower=self.narrower,
            quote=self.quote,
            link=self.link,
        )


def _source(graph: Any, documents: Path | None) -> Source:
    return graph if isinstance(graph, Source) else Source(graph, documents=documents)


def _finish(
    source: Source,
    graph: ViewGraph,
    kind: str,
    title: str,
    *,
    focus: list[str],
    limit: int,
    initial: list[str] | None = None,
    subtitle: str = "",
    query: QueryTable | None = None,
) -> View:
    # endpoints and terms are named in their results' labels; they and spans come on demand
    drawable = [n for n, v in graph.nodes.items() if v.cls not in _ON_DEMAND]
    if initial is None:
        linked = {e.source for e in graph.edges} | {e.target for e in graph.edges}
        initial = (
            drawable
            if len(drawable) <= limit
            else [n for n in drawable if graph.nodes[n].entity and (n in linked or n in focus)]
        )
    view = View(title, kind, graph, sorted(initial), focus, subtitle, query)
    view.glossary = _glossary(source.facts, graph)
    view.positions = _layouts(graph, view.initial)
    return view


def _layouts(graph: ViewGraph, initial: list[str]) -> dict[str, dict[str, Point]]:
    chosen = set(initial)
    boxes = {n: label_box(graph.nodes[n].label, graph.nodes[n].size) for n in chosen}
    edges = [(e.source, e.target) for e in graph.edges if e.source in chosen and e.target in chosen]
    levels = {n: CLASSES[graph.nodes[n].cls].level for n in chosen}
    # a drug-disease summary naming a hazard ratio is labelled on the page: room for the label
    lengths = {
        (e.source, e.target): graph.nodes[e.source].size + graph.nodes[e.target].size + 140
        for e in graph.edges
        if e.kind == "summary" and "best HR" in e.short and {e.source, e.target} <= chosen
    }
    key = hashlib.sha256(
        repr(
            [sorted(boxes.items()), sorted(edges), sorted(levels.items()), sorted(lengths.items())]
        ).encode("utf-8")
    ).hexdigest()
    if _MEMO is not None and key in _MEMO[0]:
        _MEMO[1][key] = _MEMO[0][key]
        return _MEMO[0][key]
    laid = {
        "force": force_layout(chosen, edges, boxes, lengths=lengths),
        "layered": layered_layout(chosen, edges, levels, boxes),
    }
    if _MEMO is not None:
        _MEMO[1][key] = laid
    return laid


# (layouts read from a memo file, layouts used meanwhile), while layout_memo is in effect
_MEMO: tuple[dict[str, Any], dict[str, Any]] | None = None


@contextmanager
def layout_memo(path: Path) -> Iterator[None]:
    """Reuse the layouts kept in ``path`` (by a digest of the boxes, edges and levels each was
    made from) and keep there the ones used meanwhile: a rebuild whose page draws the same
    nodes and edges need not lay them out again (the build's own cache file)."""
    global _MEMO
    try:
        kept = pickle.loads(path.read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        kept = {}
    _MEMO = (kept if isinstance(kept, dict) else {}, {})
    try:
        yield
        from kg.export import atomic_write

        atomic_write(path, pickle.dumps(_MEMO[1], protocol=5), durable=False)
    finally:
        _MEMO = None


_FIXED_GLOSSARY = (
    ("HR", "hazard ratio (below 1: fewer events on the experimental arm)"),
    ("CI", "confidence interval"),
    ("p", "p-value"),
    ("n/N", "patients with the outcome / patients counted (N=... when only the total is stated)"),
)


def _glossary(facts: Facts, graph: ViewGraph) -> list[tuple[str, str]]:
    found = dict(_FIXED_GLOSSARY)
    for iri, node in graph.nodes.items():
        fact = facts.get(iri)
        if fact is not None and node.cls == "Endpoint" and abbreviation(fact):
            found[abbreviation(fact) or ""] = fact.label
    return sorted(found.items(), key=lambda kv: kv[0].casefold())


def whole_view(
    graph: Any, *, title: str = "Evidence graph", limit: int = LIMIT, documents: Path | None = None
) -> View:
    """Every study, arm, result and entity of the graph; a graph of more than
    :data:`kg.views.overview.LARGE` triples, its entity overview (:func:`overview_view`)."""
    from kg.views.overview import is_large, overview_view

    if not isinstance(graph, Source) and is_large(graph):
        from kg.api import KnowledgeGraph
        from kg.engine import OxigraphEngine

        knowledge = (
            graph
            if isinstance(graph, KnowledgeGraph)
            else KnowledgeGraph(OxigraphEngine(to_store(graph)))
        )
        return overview_view(knowledge, title=title)
    if isinstance(graph, Source) and is_large(graph):
        return overview_view(graph.knowledge, title=title)
    source = _source(graph, documents)
    scope = whole_scope(source.facts)
    return _finish(source, source.graph_of(scope), "whole", title, focus=[], limit=limit)


def drug_view(graph: Any, name: str, *, limit: int = LIMIT, documents: Path | None = None) -> View:
    """One drug: its studies, arms given it and their controls, results, adverse events,
    targets, diseases and approvals."""
    source = _source(graph, documents)
    drug = source.resolve(name, "drug")
    scope = drug_scope(source.facts, source.evidence, drug)
    label = source.facts.nodes[drug].label
    return _finish(
        source, source.graph_of(scope), "drug", f"Drug: {label}", focus=[drug], limit=limit
    )


def study_view(graph: Any, name: str, *, limit: int = LIMIT, documents: Path | None = None) -> View:
    """One study with all its arms, results and adverse events."""
    source = _source(graph, documents)
    study = source.resolve(name, "study")
    scope = study_scope(source.facts, source.evidence, study)
    node = source.facts.nodes[study]
    title = f"Study: {study_name(node)}"
    subtitle = node.label if node.label != study_name(node) else ""
    return _finish(
        source,
        source.graph_of(scope),
        "study",
        title,
        focus=[study],
        limit=limit,
        subtitle=subtitle,
    )


def disease_view(
    graph: Any, name: str, *, limit: int = LIMIT, documents: Path | None = None
) -> View:
    """One disease (and its subtypes): its studies, registry cohorts, drugs and genes."""
    source = _source(graph, documents)
    disease = source.resolve(name, "disease")
    scope = disease_scope(source.facts, source.evidence, disease)
    label = source.facts.nodes[disease].label
    return _finish(
        source, source.graph_of(scope), "disease", f"Disease: {label}", focus=[disease], limit=limit
    )


def query_view(
    graph: Any,
    query: str | Path,
    params: Mapping[str, str] | None = None,
    *,
    title: str,
    documents: Path | None = None,
) -> View:
    """The nodes of a query's answer (rows, or the triples of a CONSTRUCT) with the edges the
    graph has among them; the answer itself is the table, column for column."""
    source = _source(graph, documents)
    result = source.knowledge.query(query, dict(params or {}))
    table = _query_table(source, result)
    iris = {cell for row in table.rows for _, cell in row if cell}
    scope = nodes_named(source.facts, iris)
    view_graph = source.graph_of(scope)
    _row_edges(view_graph, table)
    initial = [n for n in scope if view_graph.nodes[n].cls != "TextSpan"]
    return _finish(
        source,
        view_graph,
        "query",
        title,
        focus=[],
        limit=len(scope) + 1,
        initial=initial,
        query=table,
    )


def _query_table(source: Source, result: Any) -> QueryTable:
    """Rows as (text, IRI) cells: IRIs by label, literals as stated."""
    if result.form == "ASK":
        return QueryTable(["answer"], [[("yes" if result.boolean else "no", None)]])
    if result.graph is not None:
        columns = ["subject", "predicate", "object"]
        raw = [[str(t) for t in triple] for triple in result.graph]
        kinds = [[type(t).__name__ == "URIRef" for t in triple] for triple in result.graph]
    else:
        columns = list(result.variables)
        raw = [["" if row[v] is None else str(row[v]) for v in columns] for row in result.rows]
        kinds = [[type(row[v]).__name__ == "URIRef" for v in columns] for row in result.rows]
    iris = {
        cell
        for row, k in zip(raw, kinds, strict=True)
        for cell, is_iri in zip(row, k, strict=True)
        if is_iri
    }
    labels = source.knowledge.labels(iris)
    rows: list[list[tuple[str, str | None]]] = []
    for row, k in zip(raw, kinds, strict=True):
        cells: list[tuple[str, str | None]] = []
        for cell, is_iri in zip(row, k, strict=True):
            if is_iri:
                node = source.facts.get(cell)
                text = labels.get(cell) or (node.label if node else cell)
                cells.append((text, cell))
            else:
                cells.append((cell, None))
        rows.append(cells)
    if result.graph is not None:  # triples come in no order
        rows.sort(key=lambda cells: [(text, ref or "") for text, ref in cells])
    return QueryTable(columns, rows)


def _row_edges(graph: ViewGraph, table: QueryTable) -> None:
    """A dashed edge between nodes of one answer row that the graph does not link."""
    from kg.views.graph import VEdge

    linked = {frozenset((e.source, e.target)) for e in graph.edges}
    for row in table.rows:
        present = [c for _, c in row if c in graph.nodes]
        present = list(dict.fromkeys(present))
        for u, v in pairwise(present):
            if frozenset((u, v)) not in linked:
                linked.add(frozenset((u, v)))
                graph.edges.append(
                    VEdge(
                        u,
                        v,
                        "same answer row",
                        "summary",
                        tip="these two appear in one row of the answer",
                    )
                )
