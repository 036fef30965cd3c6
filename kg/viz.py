"""Interactive HTML views of the graph: pyvis networks rendered by an offline, escaping template."""

from __future__ import annotations

import base64
import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol

import networkx as nx
import pyvis
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pyvis.network import Network
from rdflib import Graph, URIRef

from kg.export import atomic_write
from kg.network import NODE_CLASSES, STUDY_CLASSES, find_node, project

__all__ = [
    "STYLES",
    "View",
    "disease_view",
    "drug_view",
    "query_view",
    "render_html",
    "study_view",
    "to_network",
    "whole_view",
    "write_view",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "network.html.jinja"
_VIS = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2"


@dataclass(frozen=True)
class Style:
    """How one class is drawn."""

    color: str
    shape: str
    symbol: str


# one colour and shape per class; only shapes whose size follows the node's importance
STYLES: dict[str, Style] = {
    "Drug": Style("#d62728", "star", "★"),
    "Disease": Style("#2ca02c", "diamond", "◆"),
    "GeneProduct": Style("#9467bd", "triangle", "▲"),
    "TargetFamily": Style("#c5b0d5", "triangle", "▲"),
    "RandomizedControlledTrial": Style("#1f77b4", "square", "■"),
    "RegistryStudy": Style("#17becf", "square", "■"),
    "ObservationalStudy": Style("#9edae5", "square", "■"),
    "ClinicalStudy": Style("#aec7e8", "square", "■"),
    "StudyArm": Style("#ff7f0e", "hexagon", "⬢"),
    "RegistryCohort": Style("#ffbb78", "hexagon", "⬢"),
    "ComparativeResult": Style("#8c564b", "dot", "●"),
    "ArmResult": Style("#e7969c", "dot", "●"),
    "AdverseEventResult": Style("#bcbd22", "triangleDown", "▼"),
    "ParticipantCount": Style("#7f7f7f", "dot", "●"),
    "AdverseEventTerm": Style("#dbdb8d", "diamond", "◆"),
    "Endpoint": Style("#f7b6d2", "diamond", "◆"),
    "Approval": Style("#393b79", "star", "★"),
}


@dataclass
class View:
    """A titled subgraph of the projection, ready to draw."""

    title: str
    graph: nx.MultiDiGraph
    extra_edges: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def node_count(self) -> int:
        return self.graph.number_of_nodes()

    @property
    def edge_count(self) -> int:
        return self.graph.number_of_edges() + len(self.extra_edges)


# --- choosing nodes ----------------------------------------------------------------------------


def _by_key(nxg: nx.MultiDiGraph, node: str, keys: set[str], *, out: bool) -> list[str]:
    edges = nxg.out_edges(node, keys=True) if out else nxg.in_edges(node, keys=True)
    return [v if out else u for u, v, k in edges if k in keys]


def _arm_members(nxg: nx.MultiDiGraph, arms: Iterable[str]) -> set[str]:
    """The arms given with their results and participant counts."""
    members = set(arms)
    for arm in list(members):
        members |= set(_by_key(nxg, arm, {"resultArm", "countsParticipantsOf"}, out=False))
    return members


def _study_members(nxg: nx.MultiDiGraph, study: str, arms: Iterable[str]) -> set[str]:
    """The arms given, their results and counts, and the study's results without an arm."""
    members = _arm_members(nxg, arms)
    for result in _by_key(nxg, study, {"hasResult"}, out=True):
        members.add(result)
    for result in _by_key(nxg, study, {"inStudy"}, out=False):
        members.add(result)
    return members


def _neighbours(nxg: nx.MultiDiGraph, nodes: Iterable[str], classes: Iterable[str]) -> set[str]:
    wanted = set(classes)
    found: set[str] = set()
    for node in nodes:
        for other in (*nxg.successors(node), *nxg.predecessors(node)):
            if nxg.nodes[other]["cls"] in wanted:
                found.add(other)
    return found


_CONTEXT = ("Disease", "Endpoint", "AdverseEventTerm")


def drug_nodes(nxg: nx.MultiDiGraph, drug: str) -> set[str]:
    """Drug -> studies -> arms -> results and adverse events; drug -> targets -> diseases."""
    nodes = {drug}
    arms = set(_by_key(nxg, drug, {"regimenDrug"}, out=False))
    studies = set(_by_key(nxg, drug, {"studiesDrug"}, out=False))
    studies |= {s for a in arms for s in _by_key(nxg, a, {"hasArm"}, out=False)}
    for study in studies:
        study_arms = _by_key(nxg, study, {"hasArm"}, out=True)
        drugless = [a for a in study_arms if not _by_key(nxg, a, {"regimenDrug"}, out=True)]
        nodes |= {study} | _study_members(
            nxg, study, [a for a in study_arms if a in arms] + drugless
        )
    targets = set(_by_key(nxg, drug, {"inhibits"}, out=True))
    targets |= {m for t in list(targets) for m in _by_key(nxg, t, {"hasMember"}, out=True)}
    approvals = set(_by_key(nxg, drug, {"approvedDrug"}, out=False))
    nodes |= targets | approvals
    return nodes | _neighbours(nxg, nodes, _CONTEXT)


def study_nodes(nxg: nx.MultiDiGraph, study: str) -> set[str]:
    """The study, all its arms, results and counts, and the drugs and conditions they name."""
    nodes = {study} | _study_members(nxg, study, _by_key(nxg, study, {"hasArm"}, out=True))
    return nodes | _neighbours(nxg, nodes, ("Drug", "Approval", *_CONTEXT))


def disease_nodes(nxg: nx.MultiDiGraph, disease: str) -> set[str]:
    """Studies, cohorts and results about the disease; drugs tested or approved; genes."""
    conditions = {"studiesCondition", "cohortCondition", "subgroupCondition", "approvedIndication"}
    direct = set(_by_key(nxg, disease, conditions, out=False))
    genes = set(_by_key(nxg, disease, {"associatedWithDisease"}, out=False))
    nodes = {disease} | direct | genes
    for node in direct:
        cls = nxg.nodes[node]["cls"]
        if cls in ("StudyArm", "RegistryCohort"):
            nodes |= _arm_members(nxg, [node]) | set(_by_key(nxg, node, {"hasArm"}, out=False))
        elif cls in STUDY_CLASSES:
            arms = _by_key(nxg, node, {"hasArm"}, out=True)
            nodes |= _study_members(nxg, node, arms) | set(
                _by_key(nxg, node, {"studiesDrug"}, out=True)
            )
        elif cls == "Approval":
            nodes |= set(_by_key(nxg, node, {"approvedDrug"}, out=True))
    nodes |= {d for g in genes for d in _by_key(nxg, g, {"inhibits"}, out=False)}
    return nodes | _neighbours(nxg, nodes, ("Drug", *STUDY_CLASSES))


def _subview(nxg: nx.MultiDiGraph, nodes: Iterable[str], title: str) -> View:
    return View(title, nx.MultiDiGraph(nxg.subgraph(nodes)))


def whole_view(graph: Graph, *, title: str = "Evidence graph") -> View:
    """Every study, arm, result and entity."""
    return View(title, project(graph))


def drug_view(graph: Graph, name: str) -> View:
    """One drug's studies, arms, results, adverse events, targets and their diseases."""
    nxg = project(graph)
    drug = find_node(nxg, name, ["Drug"])
    return _subview(nxg, drug_nodes(nxg, drug), f"Drug: {nxg.nodes[drug]['label']}")


def study_view(graph: Graph, name: str) -> View:
    """One study with its arms, results, counts and what they name."""
    nxg = project(graph)
    study = find_node(nxg, name, STUDY_CLASSES)
    return _subview(nxg, study_nodes(nxg, study), f"Study: {nxg.nodes[study]['label']}")


def disease_view(graph: Graph, name: str) -> View:
    """Evidence about one disease: studies, cohorts, drugs, genes."""
    nxg = project(graph)
    disease = find_node(nxg, name, ["Disease"])
    return _subview(nxg, disease_nodes(nxg, disease), f"Disease: {nxg.nodes[disease]['label']}")


class QueryResult(Protocol):
    """What :mod:`kg.api` returns for a query."""

    @property
    def rows(self) -> list[dict[str, Any]]: ...

    @property
    def graph(self) -> Graph | None: ...


def query_view(graph: Graph, result: QueryResult, *, title: str) -> View:
    """IRIs of a query's answer as nodes; edges of the graph among them, plus one per row."""
    nxg = project(graph)
    if result.graph is not None:
        triples = [(str(s), str(o), str(p)) for s, p, o in result.graph if isinstance(o, URIRef)]
        rows = [[s, o] for s, o, _ in triples]
    else:
        rows = [[str(v) for v in row.values() if isinstance(v, URIRef)] for row in result.rows]
    nodes = {n for row in rows for n in row if n in nxg}
    view = _subview(nxg, nodes, title)
    linked = {frozenset((u, v)) for u, v in view.graph.to_undirected(as_view=True).edges()}
    for row in rows:
        present = [n for n in dict.fromkeys(row) if n in nodes]
        for u, v in pairwise(present):
            if frozenset((u, v)) not in linked:
                linked.add(frozenset((u, v)))
                view.extra_edges.append((u, v, "same answer row"))
    return view


# --- drawing -----------------------------------------------------------------------------------


def _node_title(data: dict[str, Any]) -> str:
    """Plain text tooltip (the page shows it as text, never as HTML)."""
    lines = [data["label"], f"[{data['cls_label']}]", *data["summary"]]
    lines += [f"{k}: {v}" for k, v in data["details"]]
    lines += [f"conflict: {c}" for c in data["conflicts"]]
    lines += [f"same as: {x}" for x in data["xrefs"]]
    if data["sources"]:
        lines += ["sources:", *(f"  {s}" for s in data["sources"])]
    return "\n".join(lines)


def _edge_title(data: dict[str, Any]) -> str:
    lines = [data["label"]]
    for item in data["evidence"]:
        lines += [f"evidence: {item['label']}", *(f"  {s}" for s in item["sources"])]
    return "\n".join(lines)


def _display_label(data: dict[str, Any]) -> str:
    """The node's label, long ones broken at commas so they stay legible."""
    return "\n".join(part.strip() for part in data["label"].split(", ")) or data["label"]


# above this many nodes the page starts from a layout computed here and polishes it briefly
SEEDED = 150


def _options(n_nodes: int) -> dict[str, Any]:
    big = n_nodes > SEEDED
    force = {"gravitationalConstant": -6000 if big else -9000, "springLength": 200 if big else 220}
    return {
        "physics": {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {**force, "damping": 0.4, "avoidOverlap": 0 if big else 0.3},
            "stabilization": {"enabled": True, "iterations": 120 if big else 600},
            "minVelocity": 0.75,
        },
        "layout": {"improvedLayout": not big, "randomSeed": 7},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": n_nodes > 300},
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
            "font": {"size": 9, "align": "horizontal", "color": "#555"},
            "color": {"color": "#b0b0b0", "highlight": "#333"},
            "smooth": False,
        },
        "nodes": {"font": {"size": 12}, "borderWidth": 1},
    }


def _initial_positions(graph: nx.MultiDiGraph) -> tuple[dict[str, tuple[float, float]], set[str]]:
    """A radial tree layout of the largest component (linear time) for the page's physics to
    polish; the other, small components in rows below it, held still (the nodes returned)."""
    simple = nx.Graph(graph.to_undirected(as_view=True))
    components = sorted(nx.connected_components(simple), key=lambda c: (-len(c), min(c)))
    if not components:
        return {}, set()
    positions = _radial(simple.subgraph(components[0]))
    radius = max(math.hypot(x, y) for x, y in positions.values()) * 0.6 + 100
    x, y, row_height = -radius, radius + 100, 0.0
    for component in components[1:]:
        local = _radial(simple.subgraph(component), step=70.0)
        width = 2 * max(abs(p) for xy in local.values() for p in xy) + 80
        if x + width > radius:
            x, y, row_height = -radius, y + row_height, 0.0
        positions |= {n: (x + width / 2 + px, y + py) for n, (px, py) in local.items()}
        x, row_height = x + width, max(row_height, width)
    return positions, set().union(*components[1:])


def _radial(tree_graph: nx.Graph, step: float | None = None) -> dict[str, tuple[float, float]]:
    root = max(sorted(tree_graph), key=tree_graph.degree)
    tree = nx.bfs_tree(tree_graph, root, sort_neighbors=sorted)
    weight: dict[str, int] = {}
    for node in reversed(list(nx.topological_sort(tree))):
        weight[node] = max(1, sum(weight[c] for c in tree.successors(node)))
    depth = nx.single_source_shortest_path_length(tree, root)
    if step is None:
        step = max(120.0, 40 * weight[root] / (2 * math.pi * max(1, max(depth.values()))))
    positions, spans = {root: (0.0, 0.0)}, {root: (0.0, 2 * math.pi)}
    for node in nx.topological_sort(tree):
        start, width = spans[node]
        for child in sorted(tree.successors(node)):
            share = width * weight[child] / weight[node]
            spans[child] = (start, share)
            angle, radius = start + share / 2, step * depth[child]
            positions[child] = (radius * math.cos(angle), radius * math.sin(angle))
            start += share
    return positions


def to_network(view: View) -> Network:
    """The view as a pyvis Network (nodes styled by class, sized by degree)."""
    net = Network(height="100%", width="100%", directed=True, heading=view.title)
    degree = dict(view.graph.degree())
    positions, still = _initial_positions(view.graph) if view.node_count > SEEDED else ({}, set())
    for node, data in sorted(view.graph.nodes(data=True)):
        style = STYLES[data["cls"]]
        where: dict[str, Any] = {}
        if positions:
            where = dict(zip("xy", map(round, positions[node]), strict=True))
            where |= {"physics": False} if node in still else {}
        net.add_node(
            node,
            label=_display_label(data),
            title=_node_title(data),
            color=style.color,
            shape=style.shape,
            size=round(8 + 4 * math.sqrt(degree.get(node, 0)), 1),
            cls=data["cls"],
            **where,
        )
    for u, v, _, data in sorted(view.graph.edges(keys=True, data=True), key=lambda e: e[:3]):
        net.add_edge(u, v, label=data["label"], title=_edge_title(data))
    for u, v, label in view.extra_edges:
        net.add_edge(u, v, label=label, title=label, dashes=True, arrows={"to": False})
    net.options = _options(view.node_count)
    return net


@lru_cache(maxsize=1)
def _assets() -> dict[str, str]:
    """vis-network (from the installed pyvis) and the page script, to inline; their CSP hashes."""
    scripts = {
        "vis_js": (_VIS / "vis-network.min.js").read_text(encoding="utf-8"),
        "page_js": (TEMPLATES / "network.js").read_text(encoding="utf-8"),
    }
    for name, text in scripts.items():
        if "</script" in text.lower():
            raise ValueError(f"{name} cannot be inlined: it contains a closing script tag")
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
        for text in scripts.values()
    )
    css = (_VIS / "vis-network.css").read_text(encoding="utf-8")
    return {**scripts, "vis_css": css, "script_hashes": hashes}


def _environment(view: View) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default_for_string=True, default=True),
    )
    env.globals.update(_assets())
    env.globals["legend"] = _legend(view)
    return env


def _legend(view: View) -> list[dict[str, Any]]:
    counts = Counter(c for _, c in view.graph.nodes(data="cls"))
    return [
        {
            "cls": c,
            "label": _class_label(view, c),
            "color": STYLES[c].color,
            "symbol": STYLES[c].symbol,
            "count": counts[c],
        }
        for c in NODE_CLASSES
        if counts[c]
    ]


def _class_label(view: View, cls: str) -> str:
    return next(d["cls_label"] for _, d in view.graph.nodes(data=True) if d["cls"] == cls)


def render_html(view: View) -> str:
    """The page: pyvis's data rendered through the offline, autoescaping template."""
    net = to_network(view)
    net.templateEnv, net.path = _environment(view), TEMPLATE
    return net.generate_html(name="view.html")


def write_view(view: View, path: Path) -> Path:
    """Write the page atomically; returns ``path``."""
    atomic_write(path, render_html(view).encode("utf-8"))
    return path
