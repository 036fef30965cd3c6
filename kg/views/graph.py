"""The nodes and edges of a view: the entities, arms, results and spans of a scope, registry
cohorts grouped by histotype, and edges whose width and tooltip summarise the evidence beneath
them ("3 studies, 412 patients; best HR 0.13 (PFS, A091105)")."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from kg.views.evidence import RESULT_CLASSES, STUDY_CLASSES, Evidence, Row
from kg.views.facts import FactNode, Facts
from kg.views.style import CLASSES
from kg.views.text import display_label, document_name, names, tooltip
from kg.views.words import abbreviation, study_name

__all__ = ["SpanInfo", "Tally", "VEdge", "VNode", "ViewGraph", "build_graph", "describe"]

# links drawn as edges (the rest are bookkeeping or folded into tooltips)
EDGE_KEYS = (
    "studiesDrug",
    "studiesCondition",
    "hasArm",
    "cohortCondition",
    "resultArm",
    "comparatorArm",
    "hasResult",
    "measuresEndpoint",
    "adverseEventTerm",
    "inhibits",
    "hasMember",
    "associatedWithDisease",
    "approvedDrug",
    "approvedIndication",
    "basedOnStudy",
    "subtypeOf",
    "prov:wasDerivedFrom",
)
_GROUP = "group:"
_QUIET = {
    "hasArm",
    "resultArm",
    "hasResult",
    "measuresEndpoint",
    "adverseEventTerm",
    "prov:wasDerivedFrom",
    "cohortCondition",
}


@dataclass
class VNode:
    """A node as the page draws and describes it."""

    id: str
    cls: str
    label: str
    tip: str
    size: float = 16.0
    faint: bool = False
    strong: bool = False
    parent: str | None = None
    names: list[str] = field(default_factory=list)
    ids: list[tuple[str, str | None]] = field(default_factory=list)
    spans: list[str] = field(default_factory=list)
    study: str | None = None
    rows: list[str] = field(default_factory=list)
    phase: str = ""

    @property
    def entity(self) -> bool:
        return CLASSES[self.cls].entity


@dataclass
class VEdge:
    """An edge: ``kind`` is ``stated`` (a triple of the graph), ``summary`` (drawn from arms and
    results, no single triple) or ``conflict`` (sources give different values)."""

    source: str
    target: str
    label: str
    kind: str = "stated"
    width: float = 1.0
    tip: str = ""
    short: str = ""
    spans: list[str] = field(default_factory=list)
    quiet: bool = False
    """Structure (arm of, result of, source of) rather than a finding: never labelled unasked."""


@dataclass(frozen=True)
class SpanInfo:
    """Where a statement comes from: document, section, characters, and the text if known."""

    document: str
    section: str
    start: int | None
    end: int | None
    quote: str | None
    href: str | None


@dataclass
class ViewGraph:
    """Nodes, edges, spans and table rows of one view."""

    nodes: dict[str, VNode]
    edges: list[VEdge]
    spans: dict[str, SpanInfo]
    rows: list[Row]


def _width(patients: int | None) -> float:
    """Edge width from the patients behind it (log scale)."""
    if not patients:
        return 1.0
    return round(min(8.0, 1.0 + 1.6 * math.log10(1 + patients / 10)), 2)


@dataclass(frozen=True)
class Tally:
    """What the results of a set of arms add up to, for an edge's label and tooltip."""

    studies: int
    arms: int
    patients: int | None
    results: int
    events: int
    best: tuple[str, str, str | None] | None = None
    """The lowest hazard ratio: its value as the table shows it, endpoint, study acronym."""


def describe(tally: Tally, title: str) -> tuple[str, str, int | None]:
    """Short label ("3 studies · best HR 0.13"), tooltip and patients of a tally."""
    studies = f"{tally.studies} {'study' if tally.studies == 1 else 'studies'}"
    lines = [
        title,
        f"{studies}, {tally.arms} {'arm' if tally.arms == 1 else 'arms'}"
        + (f", {tally.patients} patients" if tally.patients else ", patients not stated"),
        f"{tally.results} results, {tally.events} adverse-event rows",
    ]
    short = studies
    if tally.best is not None:
        value, endpoint, study = tally.best
        lines.append(f"best hazard ratio: {value} ({endpoint}, {study})")
        short += f" · best HR {value}"
    return short, "\n".join(lines), tally.patients


class _Builder:
    def __init__(
        self,
        facts: Facts,
        evidence: Evidence,
        scope: set[str],
        quote: Callable[[FactNode], str | None],
        link: Callable[[str], str | None],
    ) -> None:
        self.facts, self.evidence, self.scope = facts, evidence, scope
        self.quote, self.link = quote, link
        self.nodes: dict[str, VNode] = {}
        self.edges: list[VEdge] = []
        self.rows = sorted((r for iri, r in evidence.rows.items() if iri in scope), key=self._order)
        self.arm_drugs = {
            a: [d for d in evidence.arm_drugs(facts.nodes[a]) if d in scope]
            for a in scope
            if facts.nodes[a].cls == "StudyArm"
        }
        self.arm_conditions = {
            a: [c for c in evidence.arm_conditions(facts.nodes[a]) if c in scope]
            for a in self.arm_drugs
        }
        self.groups: dict[str, str] = {}  # cohort arm -> its group

    def _order(self, row: Row) -> tuple:
        """Comparisons first; then randomized trials, bigger first; in a study the experimental
        arms and cohorts before the controls; then endpoint, or adverse events from the
        commonest."""
        study = self.facts.get(row.study)
        rank = (
            {"RandomizedControlledTrial": 0, "RegistryStudy": 2}.get(study.cls, 1) if study else 3
        )
        arm = self.facts.get(row.arm)
        role = arm.one("armRole") if arm else None
        return (
            0 if row.comparator else 1,  # comparisons (hazard ratios) lead the table
            rank,
            -(self.evidence.patients(row.study) or 0) if row.study else 0,
            row.cells["study"],
            0 if role != "control" else 1,
            row.cells["arm"],
            row.kind,
            -(row.percent or 0) if row.kind == "ae" else 0,  # adverse events: commonest first
            row.cells.get("endpoint", row.cells.get("term", "")),
            row.node,
        )

    # -- nodes --------------------------------------------------------------------------------

    def add_nodes(self) -> None:
        for iri in sorted(self.scope):
            node = self.facts.nodes[iri]
            label = display_label(self.facts, self.evidence, node)
            ids = [(c, self.link(c)) for c in node.lits.get("xref", [])]
            self.nodes[iri] = VNode(
                iri,
                node.cls,
                label,
                tooltip(self.facts, self.evidence, node, label),
                names=names(self.facts, node, label),
                ids=ids,
                spans=[s for s in node.out.get("prov:wasDerivedFrom", []) if s in self.scope],
                study=iri if node.cls in STUDY_CLASSES else node.first("inStudy"),
                phase=node.one("phase") or "" if node.cls in STUDY_CLASSES else "",
            )
        self._group_cohorts()
        self._parents()

    def _group_cohorts(self) -> None:
        """Registry cohorts of one histotype under one node, when there are two or more."""
        by_group: dict[tuple[str, str], list[str]] = defaultdict(list)
        for arm in self.arm_conditions:
            node = self.facts.nodes[arm]
            study = node.first("inStudy")
            if node.one("armRole") == "cohort" and node.out.get("cohortCondition") and study:
                by_group[(study, node.out["cohortCondition"][0])].append(arm)
        for (study, disease), arms in sorted(by_group.items()):
            if len(arms) < 2 or study not in self.nodes or disease not in self.facts.nodes:
                continue
            gid = f"{_GROUP}{study}|{disease}"
            condition = self.facts.nodes[disease].label
            drugs = sorted({self.facts.nodes[d].label for a in arms for d in self.arm_drugs[a]})
            name = study_name(self.facts.nodes[study])
            tip = (
                f"{condition}: {len(arms)} cohorts\n[registry cohorts of one histotype]\n"
                f"{name} cohorts restricted to {condition}, one per drug: {', '.join(drugs)}"
            )
            self.nodes[gid] = VNode(
                gid,
                "CohortGroup",
                f"{condition}: {len(arms)} cohorts",
                tip,
                names=[condition],
                study=study,
                parent=study,
            )
            for arm in arms:
                self.groups[arm] = gid
            self.edges.append(VEdge(study, gid, "has cohorts", quiet=True))
            self.edges += [VEdge(gid, arm, "includes cohort", quiet=True) for arm in arms]

    def _parents(self) -> None:
        for iri, vnode in self.nodes.items():
            if iri.startswith(_GROUP):
                continue
            node = self.facts.nodes[iri]
            if node.cls == "StudyArm":
                vnode.parent = self.groups.get(iri) or node.first("inStudy")
            elif node.cls in RESULT_CLASSES:
                arm = node.first("resultArm")
                vnode.parent = arm if arm in self.scope else node.first("inStudy")
            if vnode.parent not in self.nodes:
                vnode.parent = None

    # -- edges --------------------------------------------------------------------------------

    def add_edges(self) -> None:
        facts = self.facts
        for iri in sorted(self.scope):
            node = facts.nodes[iri]
            for key in EDGE_KEYS:
                for target in node.out.get(key, []):
                    if target in self.scope and self._draws(node, key, target):
                        self.edges.append(self._stated(node, key, target))
        for arm, drugs in sorted(self.arm_drugs.items()):
            for drug in drugs:
                self.edges.append(VEdge(arm, drug, facts.term("regimenDrug"), quiet=True))
        self._summaries()
        self._conflicts()

    def _draws(self, node: FactNode, key: str, target: str) -> bool:
        if key == "hasResult":  # only results without an arm hang off their study
            return self.facts.nodes[target].first("resultArm") not in self.scope
        if key == "hasArm":
            return target not in self.groups
        return True

    def _stated(self, node: FactNode, key: str, target: str) -> VEdge:
        label = "source text" if key == "prov:wasDerivedFrom" else self.facts.term(key)
        edge = VEdge(node.iri, target, label, quiet=key in _QUIET)
        if key == "studiesDrug":
            arms = self._arms_of(node.iri, target)
            edge.short, edge.tip, patients = self._evidence(arms, f"{label}")
            edge.width = _width(patients)
        elif key == "studiesCondition":
            patients = self.evidence.patients(node.iri)
            edge.width = _width(patients)
            edge.tip = label + (f"\n{patients} patients" if patients else "")
        elif key in ("inhibits", "associatedWithDisease"):
            edge.tip, edge.spans = self._statements(node.iri, key, target)
        return edge

    def _in(self, arm: str, study: str) -> bool:
        return self.facts.nodes[arm].first("inStudy") == study

    def _arms_of(self, study: str, drug: str) -> set[str]:
        """The arms of ``study`` given ``drug``."""
        return {a for a, d in self.arm_drugs.items() if drug in d and self._in(a, study)}

    def _statements(self, source: str, key: str, target: str) -> tuple[str, list[str]]:
        """The sourced statements behind an ``inhibits`` or ``associatedWithDisease`` edge."""
        left, right = (
            ("aboutDrug", "aboutTarget") if key == "inhibits" else ("aboutTarget", "aboutDisease")
        )
        spans: list[str] = []
        lines = [
            f"{self.facts.nodes[source].label} {self.facts.term(key)} "
            f"{self.facts.nodes[target].label}"
        ]
        for statement in self.facts.of_class("DrugTargetStatement", "DiseaseGeneStatement"):
            if statement.first(left) == source and statement.first(right) == target:
                spans += statement.out.get("prov:wasDerivedFrom", [])
                if statement.one("relation"):
                    lines.append(f"relation: {statement.one('relation')}")
        if not spans:
            lines.append("no sourced statement behind this link")
        return "\n".join(lines), sorted(set(spans))

    def _evidence(self, arms: Iterable[str], title: str) -> tuple[str, str, int | None]:
        """Short label, tooltip and patients of the results of ``arms``."""
        return describe(self._tally(set(arms)), title)

    def _tally(self, arms: set[str]) -> Tally:
        rows = [r for r in self.rows if r.arm in arms]
        studies = {self.facts.nodes[a].first("inStudy") for a in arms}
        known = [p for p in (self.evidence.patients(a) for a in arms) if p is not None]
        results = sum(1 for r in rows if r.kind == "result")
        best = self._best_hr(rows)
        found = None
        if best is not None:
            row, endpoint = best
            study = self.facts.nodes[row.study].one("acronym") if row.study else ""
            found = (row.cells["value"], endpoint, study)
        patients = sum(known) if known else None
        return Tally(len(studies), len(arms), patients, results, len(rows) - results, found)

    def _best_hr(self, rows: list[Row]) -> tuple[Row, str] | None:
        ratios = [r for r in rows if r.statistic == "HazardRatio" and r.value is not None]
        if not ratios:
            return None
        row = min(ratios, key=lambda r: (r.value, r.node))
        endpoint = self.facts.get(row.about)
        name = (abbreviation(endpoint) or endpoint.label) if endpoint else "endpoint"
        return row, name

    def _summaries(self) -> None:
        """Drug -> disease edges summarising every arm given the drug in the disease."""
        pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
        for arm, drugs in self.arm_drugs.items():
            for drug in drugs:
                for condition in self.arm_conditions[arm]:
                    pairs[(drug, condition)].add(arm)
        for (drug, disease), arms in sorted(pairs.items()):
            title = f"{self.facts.nodes[drug].label} in {self.facts.nodes[disease].label}"
            short, tip, patients = self._evidence(arms, title)
            self.edges.append(
                VEdge(drug, disease, "evidence in", "summary", _width(patients), tip, short)
            )

    def _conflicts(self) -> None:
        for conflict in self.facts.of_class("ValueConflict"):
            variants = [v for v in conflict.out.get("conflictingResult", []) if v in self.scope]
            fields = ", ".join(conflict.lits.get("conflictField", [])) or "the value"
            for a, b in pairwise(variants):
                tip = f"sources disagree on {fields}"
                self.edges.append(VEdge(a, b, "sources disagree", "conflict", 2.0, tip))

    # -- table rows, sizes and spans ------------------------------------------------------------

    def assign_rows(self, narrower: Callable[[str], set[str]]) -> None:
        by_arm: dict[str, list[str]] = defaultdict(list)
        for row in self.rows:
            for arm in {row.arm, row.comparator} - {None}:
                by_arm[arm].append(row.node)  # type: ignore[index]
        for iri, vnode in self.nodes.items():
            cls = vnode.cls
            if cls in RESULT_CLASSES:
                vnode.rows = [iri]
            elif cls == "StudyArm":
                vnode.rows = by_arm.get(iri, [])
            elif cls == "CohortGroup":
                arms = {a for a, g in self.groups.items() if g == iri}
                vnode.rows = [r.node for r in self.rows if r.arm in arms]
            elif cls in STUDY_CLASSES:
                vnode.rows = [r.node for r in self.rows if r.study == iri]
            elif cls == "Drug":
                arms = {a for a, d in self.arm_drugs.items() if iri in d}
                vnode.rows = [r.node for r in self.rows if r.arm in arms]
            elif cls == "Disease":
                wanted = narrower(iri)
                studies = {
                    s
                    for s in self.scope
                    if self.facts.nodes[s].cls in STUDY_CLASSES
                    and wanted & set(self.facts.nodes[s].out.get("studiesCondition", []))
                }
                cohorts = {
                    a
                    for a in self.arm_drugs
                    if wanted & set(self.facts.nodes[a].out.get("cohortCondition", []))
                }
                vnode.rows = [r.node for r in self.rows if r.study in studies or r.arm in cohorts]
            elif cls in ("Endpoint", "AdverseEventTerm"):
                vnode.rows = [r.node for r in self.rows if r.about == iri]

    def assign_sizes(self) -> None:
        patients: dict[str, int] = {}
        for iri, vnode in self.nodes.items():
            if vnode.cls in STUDY_CLASSES or vnode.cls == "StudyArm":
                patients[iri] = self.evidence.patients(iri) or 0
            elif vnode.cls in ("Drug", "Disease"):
                arms = (
                    {a for a, d in self.arm_drugs.items() if iri in d}
                    if vnode.cls == "Drug"
                    else {a for a, c in self.arm_conditions.items() if iri in c}
                )
                patients[iri] = sum(self.evidence.patients(a) or 0 for a in arms)
        largest: dict[str, int] = defaultdict(int)
        for iri, n in patients.items():
            family = "study" if self.nodes[iri].cls in STUDY_CLASSES else self.nodes[iri].cls
            largest[family] = max(largest[family], n)
        rows = {r.node: r for r in self.rows}
        for iri, vnode in self.nodes.items():
            if iri in patients:
                family = "study" if vnode.cls in STUDY_CLASSES else vnode.cls
                share = patients[iri] / largest[family] if largest[family] else 0
                vnode.size = round(12 + 26 * math.sqrt(share), 1)
            elif iri in rows:
                vnode.size, vnode.faint, vnode.strong = self._effect(rows[iri])
            else:
                vnode.size = 15.0

    def _effect(self, row: Row) -> tuple[float, bool, bool]:
        """Size from the effect (a hazard ratio's distance from 1) or the frequency (a percent);
        faint under 10 patients or when none are stated; strong when the interval excludes 1
        (hazard ratios) or p < 0.05."""
        node = self.facts.nodes[row.node]
        share = 0.3
        if row.statistic == "HazardRatio" and row.value and row.value > 0:
            share = min(1.0, abs(math.log(row.value)) / math.log(4))
        elif row.percent is not None:
            share = max(0.0, min(1.0, row.percent / 100))
        elif node.num("count") is not None and node.num("denominator"):
            share = float(node.num("count") / node.num("denominator"))  # type: ignore[operator]
        strong = row.p is not None and row.p < 0.05 and node.one("pValueRelation") != ">"
        low, high = node.num("ciLower"), node.num("ciUpper")
        if row.statistic == "HazardRatio" and low is not None and high is not None:
            strong = strong or high < 1 or low > 1
        # a large study's arm counts as large even when the arm's own count is not stated
        known = row.n if row.n is not None else self.evidence.patients(row.study or "")
        faint = known is None or known < 10
        return round(10 + 22 * math.sqrt(share), 1), faint, strong

    def span_table(self) -> dict[str, SpanInfo]:
        wanted = {s for v in self.nodes.values() for s in v.spans}
        wanted |= {s for e in self.edges for s in e.spans}
        table = {}
        for iri in sorted(wanted):
            span = self.facts.get(iri)
            if span is None:
                continue
            document = self.facts.get(span.first("oa:hasSource"))
            start, end = span.num("oa:start"), span.num("oa:end")
            table[iri] = SpanInfo(
                document_name(document),
                span.one("section") or "",
                int(start) if start is not None else None,
                int(end) if end is not None else None,
                span.one("oa:exact") or self.quote(span),
                _document_link(document),
            )
        return table


def _document_link(document: FactNode | None) -> str | None:
    """A web page of the document: its own URL, else its DOI, PMC or PubMed record."""
    if document is None:
        return None
    pages = [u for u in document.out.get("rdfs:seeAlso", []) if u.startswith("https://")]
    matches = document.out.get("skos:exactMatch", [])
    for prefix in (
        "https://doi.org/",
        "https://bioregistry.io/pmc:",
        "https://identifiers.org/pubmed:",
    ):
        pages += [m for m in matches if m.startswith(prefix)]
    return pages[0] if pages else None


def build_graph(
    facts: Facts,
    evidence: Evidence,
    scope: set[str],
    *,
    narrower: Callable[[str], set[str]],
    quote: Callable[[FactNode], str | None] = lambda _: None,
    link: Callable[[str], str | None] = lambda _: None,
) -> ViewGraph:
    """The view graph of ``scope``; ``quote`` gives a span's text when the graph lacks it,
    ``link`` the web address of a CURIE, ``narrower`` a disease with its subtypes."""
    builder = _Builder(facts, evidence, scope, quote, link)
    builder.add_nodes()
    builder.add_edges()
    builder.assign_rows(narrower)
    builder.assign_sizes()
    return ViewGraph(builder.nodes, builder.edges, builder.span_table(), builder.rows)
