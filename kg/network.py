"""The RDF graph projected into networkx (studies, arms, results, entities) and analytics on it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from rdflib import RDF, RDFS, Graph, Literal, Node, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg import paths
from kg.vocab import CDEK, OA

if TYPE_CHECKING:  # networkx takes ~0.7 s to import: only where a function needs it
    import networkx as nx

__all__ = [
    "ENTITY_CLASSES",
    "NODE_CLASSES",
    "STUDY_CLASSES",
    "Hop",
    "MechanismPath",
    "Stats",
    "entity_graph",
    "find_node",
    "mechanism_paths",
    "project",
    "schema_labels",
    "stats",
]

STUDY_CLASSES = (
    "RandomizedControlledTrial",
    "RegistryStudy",
    "ObservationalStudy",
    "ClinicalStudy",
)
_NAMED_CLASSES = (
    "Drug",
    "Disease",
    "GeneProduct",
    "TargetFamily",
    "AdverseEventTerm",
    "Endpoint",
    "Approval",
)
GROUP_CLASSES = ("StudyArm", "RegistryCohort")
# most specific first: a node takes the first of these among its types
NODE_CLASSES = (
    *STUDY_CLASSES,
    "StudyArm",
    "RegistryCohort",
    "ComparativeResult",
    "ArmResult",
    "AdverseEventResult",
    "ParticipantCount",
    *_NAMED_CLASSES,
)
ENTITY_CLASSES = (*STUDY_CLASSES, *_NAMED_CLASSES)
_NS = str(CDEK._NS)
# links that are provenance or bookkeeping, folded into attributes instead of drawn
_NOT_EDGES = {
    RDF.type,
    PROV.wasDerivedFrom,
    CDEK.source,
    SKOS.exactMatch,
    RDFS.seeAlso,
    DCTERMS.isVersionOf,
    CDEK.hasConflict,
    CDEK.receivesRegimen,
    CDEK.statistic,
}
# literal values shown in the summary line of a tooltip rather than listed one by one
_SUMMARY = {"value", "valueRelation", "ciLower", "ciUpper", "ciLevel", "pValue", "pValueRelation"}


@lru_cache(maxsize=1)
def schema_labels() -> dict[str, str]:
    """rdfs:label of every ontology class and property, by local name."""
    ontology = Graph().parse(paths.ONTOLOGY / "cdek.ttl")
    return {
        str(s)[len(_NS) :]: str(label)
        for s, label in ontology.subject_objects(RDFS.label)
        if isinstance(s, URIRef) and str(s).startswith(_NS)
    }


def _local(term: Node) -> str:
    text = str(term)
    return text[len(_NS) :] if text.startswith(_NS) else text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _label(graph: Graph, node: Node) -> str:
    label = graph.value(node, RDFS.label)
    return str(label) if label is not None else _local(node)


def _node_class(graph: Graph, node: Node) -> str | None:
    types = {_local(t) for t in graph.objects(node, RDF.type)}
    return next((cls for cls in NODE_CLASSES if cls in types), None)


def _locators(graph: Graph, node: Node) -> list[str]:
    """Where a node's statements come from: document, section, character span (and text)."""
    found = []
    for span in graph.objects(node, PROV.wasDerivedFrom):
        doc = graph.value(span, OA.hasSource)
        where = f"{_label(graph, doc) if doc is not None else '?'}, "
        where += f"{graph.value(span, CDEK.section) or '?'} "
        # the offsets and the text are on the span's selectors (W3C Web Annotation)
        selectors = list(graph.objects(span, OA.hasSelector))
        start, end, exact = (
            next((v for s in selectors if (v := graph.value(s, p)) is not None), None)
            for p in (OA.start, OA.end, OA.exact)
        )
        where += f"[{start}-{end}]"
        found.append(f'{where}: "{exact}"' if exact is not None else where)
    return sorted(found)


def _summary(graph: Graph, node: Node) -> list[str]:
    """Value, interval and p-value exactly as stored, e.g. ``= 0.13; 95.0% CI 0.05 to 0.31``."""

    def get(name: str) -> str | None:  # every stored value, should a node hold several
        values = sorted(str(v) for v in graph.objects(node, CDEK[name]))
        return " / ".join(values) if values else None

    parts = []
    if get("value") is not None:
        parts.append(f"value {get('valueRelation') or '='} {get('value')}")
    if get("ciLower") is not None or get("ciUpper") is not None:
        level = f"{get('ciLevel')}% " if get("ciLevel") is not None else ""
        parts.append(f"{level}CI {get('ciLower')} to {get('ciUpper')}")
    if get("pValue") is not None:
        parts.append(f"p {get('pValueRelation') or '='} {get('pValue')}")
    return ["; ".join(parts)] if parts else []


def _details(graph: Graph, node: Node, labels: dict[str, str]) -> list[tuple[str, str]]:
    """Every other literal of the node as (property label, value as stored)."""
    rows = []
    for p, o in graph.predicate_objects(node):
        if isinstance(o, Literal) and p != RDFS.label and _local(p) not in _SUMMARY:
            rows.append((labels.get(_local(p), _local(p)), str(o)))
        elif p == CDEK.statistic:
            rows.append((labels["statistic"], labels.get(_local(o), _local(o))))
    return sorted(rows)


def _add_node(nxg: nx.MultiDiGraph, graph: Graph, node: URIRef, cls: str) -> None:
    labels = schema_labels()
    conflicts = [
        _label(graph, c) for c in graph.subjects(CDEK.conflictingResult, node)
    ]  # a value conflict names the results it links
    nxg.add_node(
        str(node),
        cls=cls,
        cls_label=labels.get(cls, cls),
        label=_label(graph, node),
        summary=_summary(graph, node),
        details=_details(graph, node, labels),
        sources=_locators(graph, node),
        xrefs=sorted(str(x) for x in graph.objects(node, SKOS.exactMatch)),
        conflicts=sorted(conflicts),
    )


def _add_edge(
    nxg: nx.MultiDiGraph, u: str, v: str, predicate: str, evidence: Iterable[dict[str, Any]] = ()
) -> None:
    if nxg.has_edge(u, v, key=predicate):
        data = nxg.edges[u, v, predicate]
    else:
        label = schema_labels().get(predicate, predicate)
        nxg.add_edge(u, v, key=predicate, predicate=predicate, label=label, evidence=[])
        data = nxg.edges[u, v, predicate]
    for item in evidence:
        if item not in data["evidence"]:
            data["evidence"].append(item)


def _evidence(graph: Graph, node: Node, drugs: Iterable[str] = ()) -> dict[str, Any]:
    return {"label": _label(graph, node), "sources": _locators(graph, node), "drugs": sorted(drugs)}


def project(graph: Graph) -> nx.MultiDiGraph:
    """Studies, arms, results and entities as nodes; spans, regimens and statements folded in.

    Node data: ``cls``, ``cls_label``, ``label``, ``summary``, ``details``, ``sources``, ``xrefs``,
    ``conflicts``. Edge key: the predicate's local name; edge data: ``label`` (from the ontology)
    and ``evidence`` (statements behind the edge, with their locators).
    """
    import networkx as nx

    nxg = nx.MultiDiGraph()
    for node in set(graph.subjects(RDF.type, None)):
        cls = _node_class(graph, node)
        if cls is not None and isinstance(node, URIRef):
            _add_node(nxg, graph, node, cls)
    for s, p, o in graph:
        if p in _NOT_EDGES or str(s) not in nxg or str(o) not in nxg:
            continue
        _add_edge(nxg, str(s), str(o), _local(p))
    _fold_regimens(nxg, graph)
    _fold_statements(nxg, graph)
    _drop_redundant_study_links(nxg)
    return nxg


def _fold_regimens(nxg: nx.MultiDiGraph, graph: Graph) -> None:
    """Arm -regimen drug-> drug; the regimen's dose and route become the arm's details."""
    labels = schema_labels()
    for arm, regimen in graph.subject_objects(CDEK.receivesRegimen):
        if str(arm) not in nxg:
            continue
        nxg.nodes[str(arm)]["details"] = sorted(
            nxg.nodes[str(arm)]["details"]
            + [(f"regimen {k}", v) for k, v in _details(graph, regimen, labels)]
        )
        for drug in graph.objects(regimen, CDEK.regimenDrug):
            if str(drug) in nxg:
                _add_edge(nxg, str(arm), str(drug), "regimenDrug", [_evidence(graph, regimen)])


def _fold_statements(nxg: nx.MultiDiGraph, graph: Graph) -> None:
    """Drug-target and disease-gene statements become the evidence of their direct edges."""
    pairs = (
        (CDEK.DrugTargetStatement, CDEK.aboutDrug, CDEK.aboutTarget, "inhibits"),
        (CDEK.DiseaseGeneStatement, CDEK.aboutTarget, CDEK.aboutDisease, "associatedWithDisease"),
    )
    for cls, left, right, predicate in pairs:
        for statement in graph.subjects(RDF.type, cls):
            u, v = graph.value(statement, left), graph.value(statement, right)
            if str(u) in nxg and str(v) in nxg:
                _add_edge(nxg, str(u), str(v), predicate, [_evidence(graph, statement)])


def _drop_redundant_study_links(nxg: nx.MultiDiGraph) -> None:
    """Keep one link from a study to each arm and result: via its arm when it has one."""
    drop = []
    for u, v, key in nxg.edges(keys=True):
        via_arm = key in {"inStudy", "hasResult"} and any(
            nxg.has_edge(r, a, key=k)
            for r in (u, v)
            for a in nxg.successors(r)
            for k in ("resultArm", "countsParticipantsOf")
        )
        reverse = key == "inStudy" and (
            nxg.has_edge(v, u, key="hasArm") or nxg.has_edge(v, u, key="hasResult")
        )
        if via_arm or reverse:
            drop.append((u, v, key))
    nxg.remove_edges_from(drop)


# --- the entity level -------------------------------------------------------------------------


def _study_of(nxg: nx.MultiDiGraph, node: str) -> str | None:
    for u, v, key in [*nxg.in_edges(node, keys=True), *nxg.out_edges(node, keys=True)]:
        other = v if u == node else u
        if key in {"hasArm", "hasResult", "inStudy"} and nxg.nodes[other]["cls"] in STUDY_CLASSES:
            return other
    return None


def _arm_of(nxg: nx.MultiDiGraph, node: str) -> str | None:
    return next(
        (
            v
            for _, v, k in nxg.out_edges(node, keys=True)
            if k in {"resultArm", "countsParticipantsOf"}
        ),
        None,
    )


def _item(nxg: nx.MultiDiGraph, node: str, drugs: Iterable[str]) -> dict[str, Any]:
    data = nxg.nodes[node]
    return {"label": data["label"], "sources": data["sources"], "drugs": sorted(drugs)}


def entity_graph(detail: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Entities only; arms and results folded into the evidence of study-entity edges."""
    import networkx as nx

    entities = [n for n, c in detail.nodes(data="cls") if c in ENTITY_CLASSES]
    eg = nx.MultiDiGraph()
    eg.add_nodes_from((n, detail.nodes[n]) for n in entities)
    for u, v, key, data in detail.edges(keys=True, data=True):
        if u in eg and v in eg:
            _add_edge(eg, u, v, key, data["evidence"])
    for node, cls in detail.nodes(data="cls"):
        if cls in ENTITY_CLASSES:
            continue
        arm = node if cls in GROUP_CLASSES else _arm_of(detail, node)
        study = _study_of(detail, arm or node) or _study_of(detail, node)
        if study is None:
            continue
        drugs = (
            [v for _, v, k in detail.out_edges(arm, keys=True) if k == "regimenDrug"] if arm else []
        )
        item = _item(detail, node, drugs)
        for _, target, key in detail.out_edges(node, keys=True):
            if target in eg and target != study:
                _add_edge(eg, study, target, key, [item])
    return eg


# --- queries on the projection ---------------------------------------------------------------


def find_node(nxg: nx.MultiDiGraph, name: str, classes: Iterable[str] = NODE_CLASSES) -> str:
    """The node named by IRI, IRI ending, or label (case-insensitive); ValueError if none/many."""
    wanted, allowed = name.strip().casefold(), set(classes)
    candidates = [n for n, c in nxg.nodes(data="cls") if c in allowed]
    for test in (
        lambda n: n.casefold() == wanted,
        lambda n: n.casefold().rsplit("/", 1)[-1] == wanted,
        lambda n: nxg.nodes[n]["label"].casefold() == wanted,
        lambda n: wanted in nxg.nodes[n]["label"].casefold(),
    ):
        hits = sorted(n for n in candidates if test(n))
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            shown = ", ".join(f"{nxg.nodes[h]['label']!r}" for h in hits[:8])
            raise ValueError(f"{name!r} matches {len(hits)} nodes: {shown}; be more specific")
    present = allowed & {c for _, c in nxg.nodes(data="cls")}
    kinds = " or ".join(sorted(schema_labels().get(c, c) for c in present)) or "node"
    raise ValueError(f"no {kinds} named {name!r} in the graph")


@dataclass(frozen=True)
class Hop:
    """One edge of a path, in the direction the graph states it."""

    source: str
    target: str
    predicate: str
    label: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class MechanismPath:
    """Drug to disease through targets, studies or approvals."""

    nodes: tuple[str, ...]
    hops: tuple[tuple[Hop, ...], ...]


_VIA = {"GeneProduct", "TargetFamily", "Approval", "Disease", *STUDY_CLASSES}


def _hop_options(eg: nx.MultiDiGraph, a: str, b: str, drug: str) -> tuple[Hop, ...]:
    hops = []
    for u, v in ((a, b), (b, a)):
        for key, data in (eg.get_edge_data(u, v) or {}).items():
            items = [e for e in data["evidence"] if not e["drugs"] or drug in e["drugs"]]
            if data["evidence"] and not items:
                continue  # evidence exists, but for other drugs only
            text = tuple(f"{e['label']} [{'; '.join(e['sources'])}]" for e in items)
            if not items and eg.nodes[u]["sources"]:  # a direct statement of the record of u
                text = (f"record of {eg.nodes[u]['label']} [{'; '.join(eg.nodes[u]['sources'])}]",)
            hops.append(Hop(u, v, key, data["label"], text))
    return tuple(hops)


def mechanism_paths(
    eg: nx.MultiDiGraph, drug: str, disease: str, *, cutoff: int = 3
) -> list[MechanismPath]:
    """Simple paths from ``drug`` to ``disease`` through targets, studies and approvals only."""
    import networkx as nx

    keep = [n for n, c in eg.nodes(data="cls") if c in _VIA or n in {drug, disease}]
    view = nx.Graph(eg.subgraph(keep).to_undirected(as_view=True))
    found = []
    for path in nx.all_simple_paths(view, drug, disease, cutoff=cutoff):
        hops = tuple(_hop_options(eg, a, b, drug) for a, b in pairwise(path))
        if all(hops):
            found.append(MechanismPath(tuple(path), hops))
    return sorted(found, key=lambda p: (len(p.nodes), p.nodes))


@dataclass
class Stats:
    """Counts and centralities of the graph."""

    classes: Counter[str] = field(default_factory=Counter)
    predicates: Counter[str] = field(default_factory=Counter)
    degree: dict[str, float] = field(default_factory=dict)
    betweenness: dict[str, float] = field(default_factory=dict)
    components: list[int] = field(default_factory=list)


def stats(graph: Graph, eg: nx.MultiDiGraph) -> Stats:
    """Class and predicate counts of the RDF graph; centralities and components of ``eg``."""
    import networkx as nx

    simple = nx.Graph(eg.to_undirected(as_view=True))
    return Stats(
        classes=Counter(_local(o) for o in graph.objects(None, RDF.type)),
        predicates=Counter(_local(p) for p in graph.predicates()),
        degree=nx.degree_centrality(simple),
        betweenness=nx.betweenness_centrality(simple),
        components=sorted((len(c) for c in nx.connected_components(simple)), reverse=True),
    )
