"""Biolink Model KGX export (nodes.tsv, edges.tsv), its own checks, and the real kgx validator.

Every drug, disease, target, adverse event term and registered trial with evidence becomes a node
under its preferred Biolink identifier; each piece of evidence becomes an edge with its Biolink
association class, qualifiers, supporting studies, publications and supporting text:

- ``treats``: a regulatory approval (``clinical_approval_status``);
- ``in_clinical_trials_for``: a trial of the drug in the condition (``max_research_phase``);
- ``applied_to_treat``: a registry cohort of patients given the drug for the condition
  (``clinical_approval_status`` ``off_label_use`` when the registry records off-label use);
- ``has_adverse_event``: an adverse event in an arm given the drug (``has_count``, ``has_total``,
  ``has_percentage`` when the result covers all grades);
- ``affects``: a drug-target statement, with its direction (``inhibits``: activity decreased);
- ``associated_with`` / ``contributes_to``: a disease-gene statement.

A statement about a target family is not spread over the family's members, and nothing the
reasoner entails becomes an edge: an edge is what a source states. Entities without a standard
identifier Biolink knows (a family, a registry's catch-all group, a registry without a registry
id) cannot be nodes; :attr:`Kgx.left_out` names them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rdflib import DCTERMS, PROV, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.term import Node

from kg.export import atomic_write
from kg.vocab import CDEK
from kg.xrefs import BIOLINK_PREFIXES, biolink_curie

__all__ = [
    "EDGE_COLUMNS",
    "INFORES",
    "NODE_COLUMNS",
    "Kgx",
    "KgxUnavailableError",
    "check_kgx",
    "kgx_python",
    "to_kgx",
    "validate_kgx",
    "write_kgx",
]

# Not (yet) registered in the Biolink information-resource registry, like the w3id base.
INFORES = "infores:cdekg"
NODE_COLUMNS = (
    "id",
    "category",
    "name",
    "description",
    "xref",
    "clinical_trial_phase",
    "provided_by",
)
EDGE_COLUMNS = (
    "id",
    "subject",
    "predicate",
    "object",
    "category",
    "qualified_predicate",
    "subject_form_or_variant_qualifier",
    "subject_aspect_qualifier",
    "subject_direction_qualifier",
    "object_aspect_qualifier",
    "object_direction_qualifier",
    "causal_mechanism_qualifier",
    "clinical_approval_status",
    "max_research_phase",
    "number_of_cases",
    "has_count",
    "has_total",
    "has_percentage",
    "has_supporting_studies",
    "publications",
    "supporting_text",
    "knowledge_level",
    "agent_type",
    "primary_knowledge_source",
)
LIST_DELIMITER = "|"

# Preferred identifier of a node per category: Biolink's id_prefixes order for the class
# (biolink-model 4.4), restricted to the vocabularies the catalogue uses; a test checks the order
# against the installed biolink-model.
_CHEMICAL = ("CHEBI", "UNII", "PUBCHEM.COMPOUND", "CHEMBL.COMPOUND", "DRUGBANK", "MESH")
_PREFERRED = {
    "biolink:SmallMolecule": _CHEMICAL,  # the same order for both in Biolink
    "biolink:ChemicalEntity": _CHEMICAL,
    "biolink:Disease": ("MONDO", "DOID", "MESH", "NCIT"),
    "biolink:Gene": ("NCBIGene", "HGNC"),
    "biolink:PhenotypicFeature": ("HP", "NCIT", "MESH"),
    "biolink:ClinicalTrial": ("CLINICALTRIALS",),
}
# The category of each kind of graph node (a drug's depends on its identifiers, see _category).
_CATEGORY = {
    CDEK.Disease: "biolink:Disease",
    CDEK.GeneProduct: "biolink:Gene",
    CDEK.AdverseEventTerm: "biolink:PhenotypicFeature",
}
# The Biolink association class each kind of edge is an instance of; its slots are the edge's
# columns (kg/kgx_shim.py checks them against the installed model).
_TREATMENT = "biolink:ChemicalOrDrugOrTreatmentToDiseaseOrPhenotypicFeatureAssociation"
_TO_PHENOTYPE = "biolink:EntityToPhenotypicFeatureAssociation"  # licenses has_percentage
_AFFECTS_GENE = "biolink:ChemicalAffectsGeneAssociation"
_BINDS_GENE = "biolink:ChemicalGeneInteractionAssociation"
_GENE_DISEASE = "biolink:GeneToDiseaseAssociation"
# A drug-target action: predicate and qualifiers (Biolink 4.4's own ChemicalAffectsGeneAssociation
# example reads "inhibits" this way), and the association class.
_ACTIONS: dict[str, tuple[str, dict[str, str], str]] = {
    "inhibits": (
        "biolink:affects",
        {
            "qualified_predicate": "biolink:causes",
            "object_aspect_qualifier": "activity",
            "object_direction_qualifier": "decreased",
            "causal_mechanism_qualifier": "inhibition",
        },
        _AFFECTS_GENE,
    ),
    "activates": (
        "biolink:affects",
        {
            "qualified_predicate": "biolink:causes",
            "object_aspect_qualifier": "activity",
            "object_direction_qualifier": "increased",
            "causal_mechanism_qualifier": "activation",
        },
        _AFFECTS_GENE,
    ),
    "binds": (
        "biolink:directly_physically_interacts_with",
        {"causal_mechanism_qualifier": "binding"},
        _BINDS_GENE,
    ),
}
# A disease-gene relation: predicate (GeneToDiseasePredicateEnum) and qualifiers.
_RELATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "mutated-in": ("biolink:associated_with", {"subject_form_or_variant_qualifier": "mutant_form"}),
    "overexpressed-in": (
        "biolink:associated_with",
        {"subject_aspect_qualifier": "expression", "subject_direction_qualifier": "increased"},
    ),
    "drives": ("biolink:contributes_to", {}),
}
_PHASES = {
    "1": "clinical_trial_phase_1",
    "1/2": "clinical_trial_phase_1_to_2",
    "2": "clinical_trial_phase_2",
    "2/3": "clinical_trial_phase_2_to_3",
    "3": "clinical_trial_phase_3",
    "4": "clinical_trial_phase_4",
}
# the statements a research phase describes: a drug tried or approved for a condition
_RESEARCH = ("biolink:treats", "biolink:in_clinical_trials_for")
_ASSERTED = ("knowledge_assertion", "manual_agent")
_OBSERVED = ("observation", "manual_agent")  # patients given a drug, events seen in them
_PUBLICATION_PREFIXES = ("pubmed:", "doi:", "pmc:")
# how a source document relates to a publication; a protocol supports the trial's existence only
_RESULTS_PUBLICATIONS = (DCTERMS.source, CDEK.fullReport)
_PROTOCOL_PUBLICATIONS = (CDEK.protocolPublication,)

_P = """PREFIX cdek: <https://w3id.org/cdekg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""
_APPROVALS = (
    _P
    + """SELECT ?evidence ?s ?o ?agency ?study WHERE {
    ?evidence a cdek:Approval ; cdek:approvedDrug ?s ; cdek:approvedIndication ?o .
    OPTIONAL { ?evidence cdek:agency ?agency }
    OPTIONAL { ?evidence cdek:basedOnStudy ?study } }"""
)
# the most specific conditions of a trial: RESORT's clear cell RCC, not also RCC
_TRIALS = (
    _P
    + """SELECT ?study ?s ?o WHERE {
    ?study a cdek:ClinicalStudy ; cdek:studiesDrug ?s ; cdek:studiesCondition ?o .
    FILTER NOT EXISTS { ?study a cdek:RegistryStudy }
    FILTER NOT EXISTS { ?study a cdek:ObservationalStudy }
    FILTER NOT EXISTS { ?study cdek:studiesCondition ?narrower . ?narrower cdek:subtypeOf+ ?o } }"""
)
# each registry cohort: its drugs (also those only some of it received) and its histotype, or
# the registry's condition for a cohort of one drug over all histotypes
_COHORTS = (
    _P
    + """SELECT DISTINCT ?evidence ?study ?s ?o WHERE {
    ?study a cdek:RegistryStudy .
    ?evidence cdek:inStudy ?study ;
        cdek:receivesRegimen/(cdek:regimenDrug|cdek:someAlsoReceived) ?s .
    OPTIONAL { ?evidence cdek:cohortCondition ?histotype }
    OPTIONAL { ?study cdek:studiesCondition ?condition }
    BIND(COALESCE(?histotype, ?condition) AS ?o)
    FILTER(BOUND(?o)) }"""
)
# the treatment lines of a registry cohort (the report counts lines, not patients)
_CASES = (
    _P
    + """SELECT DISTINCT ?cohort ?n WHERE {
    ?count cdek:countsParticipantsOf ?cohort ; cdek:population "treatment-lines" ; cdek:count ?n .
    FILTER NOT EXISTS { ?count cdek:subgroupCondition ?any } }"""
)
_ADVERSE_EVENTS = (
    _P
    + """SELECT ?evidence ?study ?s ?o ?min ?max ?events ?total ?percent WHERE {
    ?evidence a cdek:AdverseEventResult ; cdek:adverseEventTerm ?o ; cdek:inStudy ?study ;
        cdek:resultArm/cdek:receivesRegimen/cdek:regimenDrug ?s .
    FILTER NOT EXISTS { ?evidence cdek:attribution "disease-related" }
    OPTIONAL { ?evidence cdek:gradeMin ?min }
    OPTIONAL { ?evidence cdek:gradeMax ?max }
    OPTIONAL { ?evidence cdek:count ?events }
    OPTIONAL { ?evidence cdek:denominator ?total }
    OPTIONAL { ?evidence cdek:percent ?percent } }"""
)
_MECHANISMS = (
    _P
    + """SELECT ?evidence ?s ?o ?action WHERE {
    ?evidence a cdek:DrugTargetStatement ; cdek:aboutDrug ?s ; cdek:aboutTarget ?o .
    OPTIONAL { ?evidence cdek:action ?action } }"""
)
_GENE_DISEASES = (
    _P
    + """SELECT ?evidence ?s ?o ?relation WHERE {
    ?evidence a cdek:DiseaseGeneStatement ; cdek:aboutTarget ?s ; cdek:aboutDisease ?o .
    OPTIONAL { ?evidence cdek:relation ?relation } }"""
)
_QUOTES = (
    _P
    + """SELECT DISTINCT ?evidence ?text WHERE {
    ?evidence prov:wasDerivedFrom ?span . ?span oa:hasSelector* ?selector .
    ?selector oa:exact ?text }"""
)


class KgxUnavailableError(RuntimeError):
    """No Python with kgx and biolink-model installed could be found."""


@dataclass
class Kgx:
    """KGX nodes and edges as rows of strings, and what could not become a node."""

    nodes: list[dict[str, str]] = field(default_factory=list)
    edges: list[dict[str, str]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    """Graph IRIs with evidence but no identifier Biolink knows (their edges are left out)."""


@dataclass
class _Edge:
    subject: str
    predicate: str
    object: str
    category: str
    level: tuple[str, str]
    qualifiers: dict[str, str] = field(default_factory=dict)
    study: str = ""  # the key of the one study whose evidence this is, if any
    studies: set[str] = field(default_factory=set)
    publications: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    quantities: set[tuple[str, str, str]] = field(default_factory=set)
    cases: list[tuple[str, set[int]]] = field(default_factory=list)  # cohort, its sizes


def to_kgx(asserted: Graph, inferred: Graph | None = None) -> Kgx:
    """The Biolink nodes and sourced edges of the asserted graph.

    ``inferred`` is accepted for the callers that have it, but nothing entailed becomes an edge:
    the reasoner's ``inhibitsFamilyMember`` says a family was inhibited, not each member.
    """
    del inferred
    return _Exporter(asserted).run()


class _Exporter:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.nodes = self._entity_nodes()
        self.trials = self._trial_nodes()
        self.edges: dict[tuple[str, ...], _Edge] = {}
        self.left_out: set[str] = set()
        self.quotes: dict[Node, set[str]] = defaultdict(set)
        for row in self._rows(_QUOTES):
            self.quotes[row.evidence].add(_clean(str(row.text)))
        self.cases: dict[Node, set[int]] = defaultdict(set)
        for row in self._rows(_CASES):
            self.cases[row.cohort].add(int(row.n))

    def run(self) -> Kgx:
        self._approvals()
        self._trials()
        self._cohorts()
        self._adverse_events()
        self._mechanisms()
        self._gene_diseases()
        kgx = Kgx(left_out=sorted(self.left_out))
        rows = [self._edge_row(edge) for edge in self.edges.values()]
        kgx.edges = sorted(rows, key=lambda r: r["id"])
        used = {r[end] for r in kgx.edges for end in ("subject", "object")}
        used |= {s for r in kgx.edges for s in r["has_supporting_studies"].split(LIST_DELIMITER)}
        by_id: dict[str, dict[str, str]] = {}
        used |= {row["id"] for row in self.trials.values()}  # every registered trial is evidence
        for row in [*self.nodes.values(), *self.trials.values()]:
            if row["id"] in used:
                by_id.setdefault(row["id"], row)
        kgx.nodes = [by_id[key] for key in sorted(by_id)]
        return kgx

    # -- nodes -------------------------------------------------------------------------

    def _entity_nodes(self) -> dict[Node, dict[str, str]]:
        """Drugs, diseases, gene products and adverse event terms with a Biolink identifier."""
        nodes: dict[Node, dict[str, str]] = {}
        for cls in (CDEK.Drug, CDEK.Disease, CDEK.GeneProduct, CDEK.AdverseEventTerm):
            for node in sorted(self.graph.subjects(RDF.type, cls)):
                curies = self._curies(node)
                category = _category(cls, curies)
                preferred = _preferred(category, curies)
                if preferred is not None and node not in nodes:
                    nodes[node] = self._node_row(node, preferred, category, curies)
        return nodes

    def _trial_nodes(self) -> dict[Node, dict[str, str]]:
        """Studies with a registry id Biolink knows (ClinicalTrials.gov) as ClinicalTrial nodes."""
        nodes: dict[Node, dict[str, str]] = {}
        for study in sorted(self.graph.subjects(RDF.type, CDEK.ClinicalStudy)):
            curies = self._curies(study)
            preferred = _preferred("biolink:ClinicalTrial", curies)
            if preferred is not None:
                row = self._node_row(study, preferred, "biolink:ClinicalTrial", curies)
                row["clinical_trial_phase"] = _PHASES.get(str(self._value(study, CDEK.phase)), "")
                nodes[study] = row
        return nodes

    def _node_row(
        self, node: Node, preferred: str, category: str, curies: list[str]
    ) -> dict[str, str]:
        return {
            "id": preferred,
            "category": category,
            "name": _clean(str(self._value(node, RDFS.label) or "")),
            "description": _clean(str(self._value(node, SKOS.definition) or "")),
            "xref": LIST_DELIMITER.join(c for c in curies if c != preferred),
            "clinical_trial_phase": "",
            "provided_by": INFORES,
        }

    def _curies(self, node: Node) -> list[str]:
        """The exact identifiers of a node, as Biolink CURIEs (those Biolink has a prefix for)."""
        return sorted(
            biolink_curie(str(c))
            for c in self.graph.objects(node, CDEK.xref)
            if str(c).partition(":")[0] in BIOLINK_PREFIXES
        )

    def _value(self, node: Node, predicate: URIRef) -> Node | None:
        return self.graph.value(node, predicate)

    # -- evidence ----------------------------------------------------------------------

    def _rows(self, query: str) -> Iterable[Any]:
        return self.graph.query(query)

    def _approvals(self) -> None:
        for row in self._rows(_APPROVALS):
            fda = row.agency is not None and str(row.agency).upper() == "FDA"
            status = "fda_approved_for_condition" if fda else "approved_for_condition"
            edge = self._edge(
                row.s, "biolink:treats", row.o, _TREATMENT, _ASSERTED, {}, None, row.evidence
            )
            if edge is None:
                continue
            # one edge per pair: an FDA approval is the more specific status
            if edge.qualifiers.get("clinical_approval_status") != "fda_approved_for_condition":
                edge.qualifiers["clinical_approval_status"] = status
            self._evidence(edge, row.evidence, ())  # a summary's paper is not about approvals
            if row.study is not None:  # the approval rested on this study's results
                self._study(edge, row.study, _RESULTS_PUBLICATIONS)

    def _trials(self) -> None:
        for row in self._rows(_TRIALS):
            status = self._approval_status(row.s, row.o)
            qualifiers = {"clinical_approval_status": status} if status else {}
            edge = self._edge(
                row.s, "biolink:in_clinical_trials_for", row.o, _TREATMENT, _ASSERTED,
                qualifiers, row.study,
            )  # fmt: skip
            if edge is not None:
                self._study(edge, row.study, (*_RESULTS_PUBLICATIONS, *_PROTOCOL_PUBLICATIONS))
                self._evidence(edge, row.study, ())

    def _cohorts(self) -> None:
        for row in self._rows(_COHORTS):
            # off-label: a drug the off-label registry studies, not a chemotherapy given with it
            off_label = self._value(row.study, CDEK.offLabelUse)
            studied = (row.study, CDEK.studiesDrug, row.s) in self.graph
            qualifiers = (
                {"clinical_approval_status": "off_label_use"}
                if studied
                and off_label is not None
                and off_label.toPython() is True
                and (row.evidence, CDEK.onLabelUse, Literal(True)) not in self.graph
                else {}
            )
            edge = self._edge(
                row.s, "biolink:applied_to_treat", row.o, _TREATMENT, _OBSERVED, qualifiers,
                row.study,
            )  # fmt: skip
            if edge is not None:
                self._study(edge, row.study, _RESULTS_PUBLICATIONS)
                self._evidence(edge, row.evidence, _RESULTS_PUBLICATIONS)
                edge.cases.append((str(row.evidence), self.cases.get(row.evidence, set())))

    def _adverse_events(self) -> None:
        for row in self._rows(_ADVERSE_EVENTS):
            edge = self._edge(
                row.s, "biolink:has_adverse_event", row.o, _TO_PHENOTYPE, _OBSERVED, {}, row.study
            )
            if edge is None:
                continue
            self._study(edge, row.study, _RESULTS_PUBLICATIONS)
            self._evidence(edge, row.evidence, _RESULTS_PUBLICATIONS)
            # counts describe "patients with the event" only when no grade was left out
            all_grades = _number(row.min, 1) <= 1 and _number(row.max, 5) >= 5
            if all_grades and (row.percent is not None or row.events is not None):
                edge.quantities.add(
                    tuple(
                        str(v) if v is not None else ""
                        for v in (row.events, row.total, row.percent)
                    )
                )  # type: ignore[arg-type]

    def _mechanisms(self) -> None:
        for row in self._rows(_MECHANISMS):
            action = str(row.action) if row.action is not None else "inhibits"
            if action not in _ACTIONS:
                continue
            predicate, qualifiers, category = _ACTIONS[action]
            # a family without an identifier of its own is left out, not spread over its members
            edge = self._edge(
                row.s, predicate, row.o, category, _ASSERTED, qualifiers, None, row.evidence
            )
            if edge is not None:
                self._evidence(edge, row.evidence, ())

    def _gene_diseases(self) -> None:
        for row in self._rows(_GENE_DISEASES):
            relation = str(row.relation) if row.relation is not None else "mutated-in"
            if relation not in _RELATIONS:
                continue
            predicate, qualifiers = _RELATIONS[relation]
            edge = self._edge(row.s, predicate, row.o, _GENE_DISEASE, _ASSERTED, qualifiers, None)
            if edge is not None:
                self._evidence(edge, row.evidence, ())

    def _edge(
        self,
        subject: Node,
        predicate: str,
        obj: Node,
        category: str,
        level: tuple[str, str],
        qualifiers: dict[str, str],
        study: Node | None,
        evidence: Node | None = None,
    ) -> _Edge | None:
        """The edge for this statement (one per study), or None when an end is not a node."""
        ends = [self.nodes.get(subject), self.nodes.get(obj)]
        for node, row in zip((subject, obj), ends, strict=True):
            if row is None:
                self.left_out.add(str(node))
        if ends[0] is None or ends[1] is None:
            return None
        drafted = any(
            n is not None and (n, PROV.wasGeneratedBy, None) in self.graph
            for n in (study, evidence)
        )
        if drafted:  # drafted by kg extract: kept apart from the curated edge of the same kind
            level = (level[0], "text_mining_agent")
        key_study = self._study_key(study) if study is not None else ""
        frozen = tuple(sorted(qualifiers.items())) if predicate != "biolink:treats" else ()
        key = (ends[0]["id"], predicate, ends[1]["id"], key_study, *map(str, frozen))
        key += ("text-mined",) if drafted and study is None else ()
        edge = self.edges.get(key)
        if edge is None:
            edge = _Edge(
                ends[0]["id"], predicate, ends[1]["id"], category, level, dict(qualifiers),
                key_study,
            )  # fmt: skip
            self.edges[key] = edge
        return edge

    def _study_key(self, study: Node) -> str:
        trial = self.trials.get(study)
        return trial["id"] if trial is not None else str(study).rstrip("/").rsplit("/", 1)[-1]

    def _study(self, edge: _Edge, study: Node, related: tuple[URIRef, ...]) -> None:
        """The study as supporting study (if registered), its phase and its documents."""
        trial = self.trials.get(study)
        if trial is not None:
            edge.studies.add(trial["id"])
        else:
            self.left_out.add(str(study))
        phase = self._value(study, CDEK.phase)
        if phase is not None and str(phase) in _PHASES:
            edge.phases.add(str(phase))
        for document in self.graph.subjects(CDEK.reportsStudy, study):
            edge.publications.update(self._publications(document, related))

    def _evidence(self, edge: _Edge, node: Node, related: tuple[URIRef, ...]) -> None:
        """The documents and the quoted text of one statement."""
        for document in self.graph.objects(node, CDEK.source):
            edge.publications.update(self._publications(document, related))
        edge.texts.update(self.quotes.get(node, ()))

    def _publications(self, document: Node, related: tuple[URIRef, ...]) -> set[str]:
        """A document's publication CURIEs (its web address if it has none), and those of the
        publications it rests on."""
        found = {
            biolink_curie(str(c))
            for c in self.graph.objects(document, CDEK.xref)
            if str(c).startswith(_PUBLICATION_PREFIXES)
        }
        if not found:
            found.update(str(url) for url in self.graph.objects(document, RDFS.seeAlso))
        for relation in related:
            for publication in self.graph.objects(document, relation):
                found.update(self._publications(publication, ()))
        return found

    def _approval_status(self, drug: Node, disease: Node) -> str | None:
        agencies = {
            str(self._value(a, CDEK.agency) or "").upper()
            for a in self.graph.subjects(CDEK.approvedDrug, drug)
            if (a, CDEK.approvedIndication, disease) in self.graph
        }
        if not agencies:
            return None  # not approved, or not known to this graph: nothing is said
        return "fda_approved_for_condition" if "FDA" in agencies else "approved_for_condition"

    def _edge_row(self, edge: _Edge) -> dict[str, str]:
        parts = [edge.subject, edge.predicate, edge.object, edge.study]
        parts += [f"{k}={v}" for k, v in sorted(edge.qualifiers.items()) if k.endswith("qualifier")]
        row = dict.fromkeys(EDGE_COLUMNS, "")
        row.update(edge.qualifiers)
        row.update(
            {
                "id": "--".join(p for p in parts if p),
                "subject": edge.subject,
                "predicate": edge.predicate,
                "object": edge.object,
                "category": edge.category,
                "has_supporting_studies": LIST_DELIMITER.join(sorted(edge.studies)),
                "publications": LIST_DELIMITER.join(sorted(edge.publications)),
                "supporting_text": LIST_DELIMITER.join(sorted(t for t in edge.texts if t)),
                "knowledge_level": edge.level[0],
                "agent_type": edge.level[1],
                "primary_knowledge_source": INFORES,
            }
        )
        if edge.phases and edge.predicate in _RESEARCH:
            row["max_research_phase"] = _PHASES[max(edge.phases, key=list(_PHASES).index)]
        cohorts = {cohort for cohort, _ in edge.cases}
        sizes = [n for _, lines in edge.cases for n in lines]
        if len(cohorts) == 1 and len(set(sizes)) == 1:  # one cohort of a known, agreed size
            row["number_of_cases"] = str(sizes[0])
        if len(edge.quantities) == 1:  # one all-grade result: its count, total and percentage
            ((count, total, percent),) = edge.quantities
            row["has_count"], row["has_total"] = _integer(count), _integer(total)
            row["has_percentage"] = _percentage(percent)
        return row


def _category(cls: URIRef, curies: list[str]) -> str:
    if cls == CDEK.Drug:
        # a PubChem compound id marks a small molecule; antibodies have none
        small = any(c.startswith("PUBCHEM.COMPOUND:") for c in curies)
        return "biolink:SmallMolecule" if small else "biolink:ChemicalEntity"
    return _CATEGORY[cls]


def _preferred(category: str, curies: list[str]) -> str | None:
    for prefix in _PREFERRED[category]:
        for curie in curies:
            if curie.startswith(prefix + ":"):
                return curie
    return None


def _number(value: Any, default: int) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(default)


def _integer(value: str) -> str:
    return str(int(Decimal(value))) if value else ""


def _percentage(value: str) -> str:
    return format(Decimal(value).normalize(), "f") if value else ""


def _clean(text: str) -> str:
    """One line without the TSV delimiters or the list delimiter (KGX reads TSV unquoted)."""
    return re.sub(r"\s+", " ", text.replace(LIST_DELIMITER, "/")).strip()


# -- checks ------------------------------------------------------------------------------


def check_kgx(kgx: Kgx) -> list[str]:
    """What would make the export unfit to merge, whatever the kgx validator says.

    One row per node id; every edge end and supporting study is a node; targets have one
    category; a mechanism keeps its direction and is never a physical interaction claim built
    from a family; counts and percentages are numbers in range.
    """
    problems = []
    ids = [n["id"] for n in kgx.nodes]
    problems += [
        f"node {i} appears {ids.count(i)} times" for i in sorted(set(ids)) if ids.count(i) > 1
    ]
    nodes = {n["id"]: n for n in kgx.nodes}
    target_prefixes = ("HGNC", "NCBIGene", "UniProtKB")
    gene_like = {n["category"] for n in kgx.nodes if n["id"].split(":")[0] in target_prefixes}
    if len(gene_like) > 1:
        problems.append(f"targets have several categories: {sorted(gene_like)}")
    for edge in kgx.edges:
        name = edge["id"]
        ends = [edge["subject"], edge["object"]]
        ends += [s for s in edge.get("has_supporting_studies", "").split(LIST_DELIMITER) if s]
        problems += [f"{name}: {end} is not a node" for end in ends if end not in nodes]
        if edge["knowledge_level"] == "logical_entailment":
            problems.append(f"{name}: an entailed edge (a family statement spread over members)")
        subject = nodes.get(edge["subject"], {}).get("category", "")
        obj = nodes.get(edge["object"], {}).get("category", "")
        drug = subject.endswith(("SmallMolecule", "ChemicalEntity"))
        chemical_on_gene = drug and obj.endswith(("Gene", "Protein"))
        contact = edge["predicate"] == "biolink:directly_physically_interacts_with"
        if chemical_on_gene and contact and edge.get("causal_mechanism_qualifier") != "binding":
            problems.append(f"{name}: a drug-target edge claims direct physical contact")
        if edge["predicate"] == "biolink:affects":
            for slot in (
                "qualified_predicate",
                "object_aspect_qualifier",
                "object_direction_qualifier",
            ):
                if not edge.get(slot):
                    problems.append(f"{name}: affects without {slot}: the direction is lost")
        problems += _quantity_problems(edge)
    return problems


def _quantity_problems(edge: dict[str, str]) -> list[str]:
    problems = []
    count, total, percent = (edge.get(k, "") for k in ("has_count", "has_total", "has_percentage"))
    if percent and not Decimal(0) <= Decimal(percent) <= Decimal(100):
        problems.append(f"{edge['id']}: has_percentage {percent} is not within 0-100")
    if count and total and int(count) > int(total):
        problems.append(f"{edge['id']}: has_count {count} exceeds has_total {total}")
    return problems


# -- files -------------------------------------------------------------------------------


def _tsv(rows: list[dict[str, str]], columns: tuple[str, ...]) -> bytes:
    """Tab-separated, unquoted (as KGX reads it); values never hold a tab or a line break."""
    lines = ["\t".join(columns)]
    for row in rows:
        values = (re.sub(r"[\t\r\n]+", " ", row.get(c, "")) for c in columns)
        lines.append("\t".join(values))
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_kgx(asserted: Graph, inferred: Graph | None, out: Path) -> dict[str, Path]:
    """Write ``nodes.tsv`` and ``edges.tsv`` into ``out``; raises when :func:`check_kgx` fails."""
    kgx = to_kgx(asserted, inferred)
    problems = check_kgx(kgx)
    if problems:
        raise ValueError("the KGX export is not fit to merge:\n  " + "\n  ".join(problems))
    files = {
        "kgx_nodes": (out / "nodes.tsv", _tsv(kgx.nodes, NODE_COLUMNS)),
        "kgx_edges": (out / "edges.tsv", _tsv(kgx.edges, EDGE_COLUMNS)),
    }
    for path, data in files.values():
        atomic_write(path, data)
    return {name: path for name, (path, _) in files.items()}


def kgx_python() -> str:
    """A Python with kgx: this one, or ``$KGX_PYTHON``; raises :class:`KgxUnavailableError`."""
    if importlib.util.find_spec("kgx") and importlib.util.find_spec("biolink_model"):
        return sys.executable
    other = os.environ.get("KGX_PYTHON")
    if other and Path(other).exists():
        return other
    raise KgxUnavailableError(
        "kgx is not installed: pip install 'cdekg[validate]' (kgx + biolink-model), "
        "or set KGX_PYTHON to a Python that has them"
    )


def validate_kgx(nodes: Path, edges: Path, *, timeout: float = 300) -> dict[str, Any]:
    """Run the real kgx validator on a KGX pair, offline; its report (``errors`` by level).

    Its errors include ``INVALID_BIOLINK_SLOT``: columns and values the installed Biolink model
    does not allow for the edge's association class or the node's category, which kgx itself
    leaves unchecked (enumerations, association slots, predicate constraints).
    """
    python = kgx_python()
    shim = Path(__file__).with_name("kgx_shim.py")
    # a dead proxy makes any download kgx still tries fail at once instead of reaching out
    env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        done = subprocess.run(
            [python, "-P", str(shim), str(nodes), str(edges), str(report)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        if not report.exists():
            raise RuntimeError(
                f"kgx validate failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
            )
        result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return result
