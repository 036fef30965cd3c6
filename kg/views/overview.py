"""The whole-graph page of a large graph: its entities only, read with a few SPARQL queries.

A graph of a million triples holds tens of thousands of arms, results and spans; reading them
all into Python to draw a page that opens on its drugs, targets, diseases, studies and
approvals costs minutes. :func:`overview_view` reads those entities (a few hundred nodes) and
their links, and counts the evidence beneath each edge with SPARQL aggregates per arm
(patients, results, adverse-event rows, the lowest hazard ratio); the edge labels are written
by the same code as the full view's (:func:`kg.views.graph.describe`), so they read and count
the same. When there are more than :data:`STUDY_CAP` studies, studies of one design, the same
drugs and the same conditions are drawn as one node ("100 randomized trials").
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.views.evidence import POPULATIONS, STUDY_CLASSES, Evidence, value_text
from kg.views.facts import CDEK, FactNode, Facts, _short
from kg.views.graph import (
    EDGE_KEYS,
    Tally,
    VEdge,
    ViewGraph,
    VNode,
    _Builder,
    _width,
)
from kg.views.scope import ENTITY_CLASSES
from kg.views.view import _FIXED_GLOSSARY, View, _layouts
from kg.views.words import abbreviation, study_name

if TYPE_CHECKING:
    from kg.api import KnowledgeGraph

__all__ = ["LARGE", "STUDY_CAP", "is_large", "overview_view"]

LARGE = 300_000
"""Above this many triples the whole-graph page is the overview of this module."""
STUDY_CAP = 20
"""Above this many studies, studies alike (design, drugs, conditions) are drawn as one node."""

_P = f"PREFIX : <{CDEK}>\n"
_ARM = "VALUES ?armType { :StudyArm :RegistryCohort } ?arm a ?armType ."
# Oxigraph joins two patterns by looking the second up once per row of the first (a seek in the
# store each); patterns wrapped in sub-SELECTs are read once each and joined in memory, which
# on a large graph is several times faster. The queries below join that way.
_ARMS_OF = f"{{ SELECT DISTINCT ?arm WHERE {{ {_ARM} }} }}"
# arms with their study and drugs (of their regimens, as kg.views.words.arm_drugs)
_ARMS = (
    _P
    + f"""SELECT DISTINCT ?arm ?study ?drug WHERE {{
  {_ARMS_OF}
  OPTIONAL {{ SELECT ?arm ?study WHERE {{ ?arm :inStudy ?study }} }}
  OPTIONAL {{ SELECT ?arm ?drug WHERE {{
    {{ SELECT ?arm ?regimen WHERE {{ ?arm :receivesRegimen ?regimen }} }}
    {{ SELECT ?regimen ?drug WHERE {{ ?regimen :regimenDrug ?drug }} }}
    {{ SELECT ?drug WHERE {{ ?drug a :Drug }} }}
  }} }}
}}"""
)
_COHORTS = (
    _P
    + f"""SELECT DISTINCT ?arm ?c WHERE {{
  {_ARMS_OF} {{ SELECT ?arm ?c WHERE {{ ?arm :cohortCondition ?c }} }}
}}"""
)
# the largest count per counted arm or study and population (a subgroup is not its size)
_COUNTS = (
    _P
    + """SELECT ?of ?population (MAX(?n) AS ?most) WHERE {
  { SELECT ?count WHERE { ?count a :ParticipantCount } }
  { SELECT ?count ?of WHERE { ?count :countsParticipantsOf ?of } }
  { SELECT ?count ?n WHERE { ?count :count ?n FILTER(isNumeric(?n)) } }
  OPTIONAL { SELECT ?count ?population WHERE { ?count :population ?population } }
  MINUS { SELECT ?count WHERE { ?count :subgroupCondition ?subgroup } }
} GROUP BY ?of ?population"""
)
# the counts of the studies (VALUES ?of), for their tooltips
_STUDY_COUNTS = (
    _P
    + """SELECT ?of ?count ?p ?o WHERE {
  { SELECT ?of ?count WHERE { %s ?count :countsParticipantsOf ?of } }
  { SELECT ?count WHERE { ?count a :ParticipantCount } }
  MINUS { SELECT ?count WHERE { ?count :subgroupCondition ?subgroup } }
  ?count ?p ?o .
  FILTER(isLiteral(?o))
}"""
)
_HAS_ARM = _P + "SELECT ?study ?arm WHERE { ?study :hasArm ?arm }"
# the links the overview draws or names in its tooltips
_LINKED = (
    "studiesDrug",
    "studiesCondition",
    "inhibits",
    "hasMember",
    "associatedWithDisease",
    "approvedDrug",
    "approvedIndication",
    "basedOnStudy",
    "subtypeOf",
    "hasConflict",
    "aboutDrug",
    "aboutTarget",
    "aboutDisease",
)
LINKS = (*(CDEK + key for key in _LINKED), "http://www.w3.org/ns/prov#wasDerivedFrom")
_RESULTS = (
    _P
    + """SELECT ?arm ?kind (COUNT(DISTINCT ?r) AS ?n) WHERE {
  { SELECT ?r ?arm WHERE { ?r :resultArm ?arm } }
  { SELECT ?r ?type WHERE {
    VALUES ?type { :ArmResult :ComparativeResult :AdverseEventResult } ?r a ?type
  } }
  BIND(IF(?type = :AdverseEventResult, "ae", "result") AS ?kind)
} GROUP BY ?arm ?kind"""
)
_TOTALS = (
    _P
    + """SELECT ?type (COUNT(DISTINCT ?r) AS ?n) WHERE {
  VALUES ?type { :ArmResult :ComparativeResult :AdverseEventResult } ?r a ?type .
} GROUP BY ?type"""
)
_HAZARD = """?r :statistic :HazardRatio ; :resultArm ?arm ; :value ?v .
    FILTER(isNumeric(?v) && EXISTS { VALUES ?type { :ArmResult :ComparativeResult } ?r a ?type })"""
# per arm, its lowest hazard ratio and (on a tie) the first such result by IRI
_BEST = (
    _P
    + f"""SELECT ?arm ?best (MIN(STR(?r)) AS ?result) WHERE {{
  {{ SELECT ?arm (MIN(?v) AS ?best) WHERE {{ {_HAZARD} }} GROUP BY ?arm }}
  {_HAZARD}
  FILTER(?v = ?best)
}} GROUP BY ?arm ?best"""
)
_PLURAL = {
    "RandomizedControlledTrial": "randomized trials",
    "RegistryStudy": "registry studies",
    "ObservationalStudy": "observational studies",
    "ClinicalStudy": "clinical studies",
}
_NAMED_IN_GROUP = 12


def is_large(graph: Any) -> bool:
    """Whether ``graph`` (a store, knowledge graph, views source or rdflib graph) holds more
    than :data:`LARGE` triples."""
    store = getattr(graph, "store", None)
    if isinstance(store, ox.Store):  # a views Source
        graph = store
    return len(graph) > LARGE


def _number(term: ox.Literal) -> Decimal | None:
    try:
        number = Decimal(term.value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _literals(store: ox.Store, iris: Iterable[str], cls: str) -> dict[str, FactNode]:
    """The literal values of ``iris``, as facts nodes of class ``cls``."""
    nodes = {iri: FactNode(iri, cls) for iri in iris}
    if not nodes:
        return nodes
    values = " ".join(f"<{iri}>" for iri in sorted(nodes))
    query = f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o FILTER(isLiteral(?o)) }}"
    for s, p, o in store.query(query, use_default_graph_as_union=True):
        values_of = nodes[s.value].lits[_short(p.value)]
        if o.value not in values_of:
            values_of.append(o.value)
    for node in nodes.values():
        for found in node.lits.values():
            found.sort()
    return nodes


_TABLE_QUERIES = {
    "arms": _ARMS,
    "cohorts": _COHORTS,
    "counts": _COUNTS,
    "results": _RESULTS,
    "best": _BEST,
    "has_arm": _HAS_ARM,
    "totals": _TOTALS,
}


def _rows(store: ox.Store, query: str) -> Any:
    return store.query(query, use_default_graph_as_union=True)


class _Tables:
    """What the overview counts below the entities: per arm, its study, drugs, conditions,
    results, adverse-event rows and lowest hazard ratio; per arm or study, its counts."""

    @staticmethod
    def fetch(store: ox.Store) -> dict[str, list[Any]]:
        """The rows of the queries that need no facts (to read on a thread while the facts
        are read: Oxigraph lets go of the interpreter while it evaluates)."""
        return {name: list(_rows(store, query)) for name, query in _TABLE_QUERIES.items()}

    def __init__(self, store: ox.Store, facts: Facts, fetched: dict[str, list[Any]]) -> None:
        rows = fetched.__getitem__  # each query's rows, read by fetch()
        self.study: dict[str, str | None] = {}
        self.drugs: dict[str, list[str]] = defaultdict(list)
        for arm, study, drug in rows("arms"):
            known = self.study.get(arm.value)
            if study is not None and (known is None or study.value < known):
                self.study[arm.value] = study.value
            else:
                self.study.setdefault(arm.value, None)
            given = self.drugs[arm.value]
            if drug is not None and drug.value in facts.nodes and drug.value not in given:
                given.append(drug.value)
        cohorts: dict[str, list[str]] = defaultdict(list)
        for arm, condition in rows("cohorts"):
            if arm.value in self.drugs:
                cohorts[arm.value].append(condition.value)
        self.conditions: dict[str, list[str]] = {}
        for arm in self.drugs:  # the cohort's condition, else its study's (Evidence's rule)
            study = facts.get(self.study.get(arm))
            found = cohorts.get(arm) or (study.out.get("studiesCondition", []) if study else [])
            self.conditions[arm] = sorted(c for c in found if c in facts.nodes)
        self.most: dict[str, dict[str | None, Decimal]] = defaultdict(dict)
        for of, population, most in rows("counts"):
            number = _number(most)
            if number is not None:
                self.most[of.value][population.value if population else None] = number
        self.results: dict[str, int] = defaultdict(int)
        self.events: dict[str, int] = defaultdict(int)
        for arm, kind, n in rows("results"):
            (self.results if kind.value == "result" else self.events)[arm.value] += int(n.value)
        self.best: dict[str, tuple[float, str]] = {}
        for arm, best, result in rows("best"):
            number = _number(best)
            if number is not None:
                self.best[arm.value] = (float(number), result.value)
        self.arms: dict[str, list[str]] = defaultdict(list)
        for study, arm in rows("has_arm"):
            self.arms[study.value].append(arm.value)
        self.totals = {t.value[len(CDEK) :]: int(n.value) for t, n in rows("totals")}
        self.counts: dict[str, list[FactNode]] = defaultdict(list)
        counts: dict[str, FactNode] = {}
        studies = " ".join(f"<{n.iri}>" for n in facts.of_class(*STUDY_CLASSES))
        for of, count, p, o in _rows(store, _STUDY_COUNTS % f"VALUES ?of {{ {studies} }}"):
            node = counts.get(count.value)
            if node is None:
                node = counts[count.value] = FactNode(count.value, "ParticipantCount")
                self.counts[of.value].append(node)
            if o.value not in node.lits[_short(p.value)]:
                node.lits[_short(p.value)].append(o.value)
        for node in counts.values():
            for found in node.lits.values():
                found.sort()


class _Counted(Evidence):
    """Evidence whose patient counts come from the aggregated tables (no result rows)."""

    def __init__(self, facts: Facts, tables: _Tables) -> None:
        super().__init__(facts)
        self.tables = tables
        self.__dict__["counts"] = tables.counts  # the tooltips' "patients:" lines

    def patients(self, iri: str) -> int | None:
        found = self.tables.most.get(iri)
        if found:
            for population in POPULATIONS:
                if population in found:
                    return int(found[population])
            return int(max(found.values()))
        node = self.facts.get(iri)
        if node is not None and node.cls in STUDY_CLASSES:
            arms = sorted(set(self.tables.arms.get(iri, [])))
            known = [p for p in map(self.patients, arms) if p is not None]
            return sum(known) if known else None
        return None


class _OverviewBuilder(_Builder):
    """The view graph builder, with arms and results counted rather than read."""

    def __init__(
        self, facts: Facts, evidence: _Counted, scope: set[str], store: ox.Store, link: Any
    ) -> None:
        super().__init__(facts, evidence, scope, lambda _: None, link)
        self.tables, self.store = evidence.tables, store
        self.arm_drugs = {a: [d for d in ds if d in scope] for a, ds in self.tables.drugs.items()}
        self.arm_conditions = {
            a: [c for c in self.tables.conditions[a] if c in scope] for a in self.arm_drugs
        }
        self._details: dict[str, tuple[str, str, str | None]] = {}

    def _group_cohorts(self) -> None:
        """Cohorts are not drawn here."""

    def add_edges(self) -> None:
        for iri in sorted(self.scope):
            node = self.facts.nodes[iri]
            for key in EDGE_KEYS:
                for target in node.out.get(key, []):
                    if target in self.scope:
                        self.edges.append(self._stated(node, key, target))
        self._summaries()

    def _arms_of(self, study: str, drug: str) -> set[str]:
        if not hasattr(self, "_by_study"):
            self._by_study: dict[tuple[str | None, str], set[str]] = defaultdict(set)
            for arm, drugs in self.arm_drugs.items():
                for d in drugs:
                    self._by_study[(self.tables.study.get(arm), d)].add(arm)
        return self._by_study.get((study, drug), set())

    def _tally(self, arms: set[str]) -> Tally:
        tables = self.tables
        known = [p for p in (self.evidence.patients(a) for a in arms) if p is not None]
        found = [tables.best[a] for a in arms if a in tables.best]
        best = self._detail(min(found)[1]) if found else None
        return Tally(
            len({tables.study.get(a) for a in arms}),
            len(arms),
            sum(known) if known else None,
            sum(tables.results.get(a, 0) for a in arms),
            sum(tables.events.get(a, 0) for a in arms),
            best,
        )

    def _detail(self, result: str) -> tuple[str, str, str | None]:
        """A hazard ratio's value text, endpoint name and study acronym, read on demand."""
        if result not in self._details:
            node = _literals(self.store, [result], "ComparativeResult")[result]
            query = (
                f"{_P}SELECT ?k ?o WHERE {{ VALUES ?k {{ :measuresEndpoint :inStudy }} "
                f"<{result}> ?k ?o }}"
            )
            links: dict[str, list[str]] = defaultdict(list)
            for k, o in self.store.query(query, use_default_graph_as_union=True):
                links[k.value[len(CDEK) :]].append(o.value)
            endpoints = sorted(links.get("measuresEndpoint", []))
            endpoint = _literals(self.store, endpoints[:1], "Endpoint").get(
                endpoints[0] if endpoints else ""
            )
            name = (abbreviation(endpoint) or endpoint.label) if endpoint else "endpoint"
            studies = sorted(links.get("inStudy", []))
            study = self.facts.get(studies[0]) if studies else None
            acronym = study.one("acronym") if study is not None else ""
            self._details[result] = (value_text(node), name, acronym)
        return self._details[result]

    def assign_rows(self, narrower: Any) -> None:
        """No result rows: the overview's table is empty."""

    def group_studies(self, cap: int) -> None:
        """Studies alike (design, drugs, conditions) as one node each, above ``cap`` studies."""
        studies = [n for n, v in self.nodes.items() if v.cls in STUDY_CLASSES]
        if len(studies) <= cap:
            return
        alike: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for study in studies:
            node = self.facts.nodes[study]
            drugs = [d for d in node.out.get("studiesDrug", []) if d in self.scope]
            conditions = [c for c in node.out.get("studiesCondition", []) if c in self.scope]
            alike[(node.cls, *drugs, "|", *conditions)].append(study)
        group_of: dict[str, str] = {}
        for key, members in sorted(alike.items()):
            if len(members) < 2:
                continue
            gid = "studies:" + hashlib.sha256("\n".join(key).encode()).hexdigest()[:16]
            group_of.update(dict.fromkeys(members, gid))
            self.nodes[gid] = self._group_node(gid, key[0], sorted(members))
            for member in members:
                del self.nodes[member]
        merged: dict[tuple[str, str, str], list[VEdge]] = defaultdict(list)
        edges: list[VEdge] = []
        for edge in self.edges:
            source, target = group_of.get(edge.source), group_of.get(edge.target)
            if source is None and target is None:
                edges.append(edge)
            else:
                key = (source or edge.source, target or edge.target, edge.label)
                merged[key].append(edge)
        for (source, target, label), parts in merged.items():
            edges.append(self._merged_edge(source, target, label, parts, group_of))
        self.edges = edges
        self._study_sizes(group_of)

    def _group_node(self, gid: str, cls: str, members: list[str]) -> VNode:
        names = sorted((study_name(self.facts.nodes[m]) for m in members), key=_natural)
        patients = sum(self.evidence.patients(m) or 0 for m in members)
        shown = ", ".join(names[:_NAMED_IN_GROUP])
        more = len(names) - _NAMED_IN_GROUP
        tip = (
            f"{len(members)} {_PLURAL[cls]}\n[studies of one design, drugs and conditions]\n"
            f"{shown}" + (f" and {more} more" if more > 0 else "") + "\n"
            f"patients: {patients} in all\nopen one with kg viz --study ID"
        )
        searchable = [n for m in members for n in self.nodes[m].names]
        label = f"{names[0]} and {len(names) - 1} more"
        return VNode(gid, cls, label, tip, names=list(dict.fromkeys([label, *searchable])))

    def _merged_edge(
        self, source: str, target: str, label: str, parts: list[VEdge], group_of: dict[str, str]
    ) -> VEdge:
        ends = _ends(parts)
        members = {s for s, g in group_of.items() if g in (source, target) and s in ends}
        first = parts[0]
        edge = VEdge(source, target, label, first.kind, first.width, first.tip, quiet=first.quiet)
        if label == self.facts.term("studiesDrug"):
            drug = target if source.startswith("studies:") else source
            arms = {
                a for a, ds in self.arm_drugs.items() if drug in ds and self._member(a, members)
            }
            edge.short, edge.tip, patients = self._evidence(arms, label)
            edge.width = _width(patients)
        elif label == self.facts.term("studiesCondition"):
            patients = sum(self.evidence.patients(m) or 0 for m in members)
            edge.width = _width(patients)
            edge.tip = f"{label}\n{len(members)} studies" + (
                f", {patients} patients" if patients else ""
            )
        return edge

    def _member(self, arm: str, members: set[str]) -> bool:
        return self.tables.study.get(arm) in members

    def _study_sizes(self, group_of: dict[str, str]) -> None:
        members: dict[str, list[str]] = defaultdict(list)
        for study, group in group_of.items():
            members[group].append(study)
        patients = {
            n: sum(self.evidence.patients(m) or 0 for m in members.get(n, [n]))
            for n, v in self.nodes.items()
            if v.cls in STUDY_CLASSES
        }
        largest = max(patients.values(), default=0)
        for n, count in patients.items():
            share = count / largest if largest else 0
            self.nodes[n].size = round(12 + 26 * math.sqrt(share), 1)


def _natural(name: str) -> tuple[Any, ...]:
    """Sort key reading digits as numbers (copy 2 before copy 10)."""
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", name))


def _ends(edges: list[VEdge]) -> set[str]:
    return {e.source for e in edges} | {e.target for e in edges}


def overview_view(
    knowledge: KnowledgeGraph, *, title: str = "Evidence graph", cap: int = STUDY_CAP
) -> View:
    """The entity overview of the whole graph in ``knowledge``, read with SPARQL aggregates:
    drugs, targets, diseases, studies (grouped above ``cap``) and approvals, with edges that
    summarise the arms and results beneath them. The table is empty; the subtitle says how to
    open a focused view."""
    from kg.pipeline import prefix_converter

    store: ox.Store = knowledge.engine.store  # type: ignore[attr-defined]
    with ThreadPoolExecutor(1) as thread:  # the tables' rows read beside the facts
        fetched = thread.submit(_Tables.fetch, store)
        facts = Facts.from_store(
            store, (*ENTITY_CLASSES, "DrugTargetStatement", "DiseaseGeneStatement"), LINKS
        )
        tables = _Tables(store, facts, fetched.result())
    evidence = _Counted(facts, tables)
    scope = {n.iri for n in facts.of_class(*ENTITY_CLASSES)}
    converter = prefix_converter()

    def link(curie: str) -> str | None:
        try:
            iri = converter.expand(curie)
        except ValueError:
            return None
        return iri if iri and iri.startswith(("https://", "http://")) else None

    builder = _OverviewBuilder(facts, evidence, scope, store, link)
    builder.add_nodes()
    builder.add_edges()
    builder.assign_sizes()
    studies = len(facts.of_class(*STUDY_CLASSES))
    builder.group_studies(cap)
    graph = ViewGraph(builder.nodes, builder.edges, {}, [])
    linked = {e.source for e in graph.edges} | {e.target for e in graph.edges}
    initial = sorted(n for n in graph.nodes if n in linked)
    totals = tables.totals
    results = totals.get("ArmResult", 0) + totals.get("ComparativeResult", 0)
    events = totals.get("AdverseEventResult", 0)
    subtitle = (
        f"Overview of {studies:,} studies, {results:,} results and {events:,} adverse-event "
        f"rows ({len(store):,} triples): entities only, with the evidence summed on the edges. "
        "For arms, results and sources open a focused view: kg viz --drug NAME, "
        "kg viz --study ID or kg viz --disease NAME."
    )
    view = View(title, "overview", graph, initial, [], subtitle)
    view.glossary = sorted(_FIXED_GLOSSARY, key=lambda kv: kv[0].casefold())
    view.positions = _layouts(graph, view.initial)
    return view
