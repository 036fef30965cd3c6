"""Which nodes a view covers: the whole graph, or one drug, study or disease and its evidence.

A scope holds entities, arms, results, adverse events, endpoints, adverse-event terms and text
spans; the page draws part of it and expands the rest on demand. A focused scope never widens
through a node that merely shares a study: a disease view holds the studies of that disease and
the registry cohorts restricted to it, not every drug of a registry that also had such a cohort.
"""

from __future__ import annotations

from collections.abc import Iterable

from kg.views.evidence import RESULT_CLASSES, STUDY_CLASSES, Evidence
from kg.views.facts import Facts

__all__ = [
    "DRAWN_CLASSES",
    "ENTITY_CLASSES",
    "disease_scope",
    "drug_scope",
    "narrower",
    "nodes_named",
    "study_scope",
    "whole_scope",
]

ENTITY_CLASSES = ("Drug", "GeneProduct", "TargetFamily", "Disease", *STUDY_CLASSES, "Approval")
DRAWN_CLASSES = (
    *ENTITY_CLASSES,
    "StudyArm",
    *RESULT_CLASSES,
    "Endpoint",
    "AdverseEventTerm",
    "TextSpan",
)


def _with_context(facts: Facts, nodes: set[str]) -> set[str]:
    """``nodes`` with the endpoints and terms of their results and the spans of everything."""
    found = set(nodes)
    for iri in nodes:
        node = facts.nodes[iri]
        for key in ("measuresEndpoint", "adverseEventTerm"):
            found.update(node.out.get(key, []))
    for iri in list(found):
        found.update(
            facts.nodes[iri].out.get("prov:wasDerivedFrom", []) if iri in facts.nodes else []
        )
    return {n for n in found if n in facts.nodes and facts.nodes[n].cls in DRAWN_CLASSES}


def whole_scope(facts: Facts) -> set[str]:
    """Every node of a drawn class."""
    return {n.iri for n in facts.of_class(*DRAWN_CLASSES)}


def _results_of_arms(evidence: Evidence, arms: set[str]) -> set[str]:
    return {r.node for r in evidence.rows.values() if r.arm in arms}


def _targets(facts: Facts, drug: str) -> set[str]:
    targets = set(facts.nodes[drug].out.get("inhibits", []))
    for target in list(targets):
        node = facts.get(target)
        targets.update(node.out.get("hasMember", []) if node else [])
    return {t for t in targets if t in facts.nodes}


def drug_scope(facts: Facts, evidence: Evidence, drug: str) -> set[str]:
    """The drug; its studies with the arms given it and their control arms without a drug; the
    results of those arms (a study's results without an arm only where every drug-given arm is
    this drug's); its targets and their family members and diseases; its approvals."""
    node = facts.nodes[drug]
    given = {
        arm
        for regimen in node.inc.get("regimenDrug", [])
        for arm in facts.nodes[regimen].inc.get("receivesRegimen", [])
    }
    studies = set(node.inc.get("studiesDrug", []))
    studies |= {s for a in given for s in facts.nodes[a].out.get("inStudy", [])}
    arms: set[str] = set()
    whole: set[str] = set()  # studies in which every arm given a drug is given this one
    for study in studies:
        study_arms = facts.nodes[study].out.get("hasArm", []) if study in facts.nodes else []
        with_drug = {a for a in study_arms if evidence.arm_drugs(facts.nodes[a])}
        arms |= {a for a in study_arms if a in given or a not in with_drug}
        if with_drug <= given:
            whole.add(study)
    results = _results_of_arms(evidence, arms)
    results |= {r.node for r in evidence.rows.values() if r.arm is None and r.study in whole}
    targets = _targets(facts, drug)
    diseases = {d for t in targets for d in facts.nodes[t].out.get("associatedWithDisease", [])}
    for arm in arms:
        diseases.update(evidence.arm_conditions(facts.nodes[arm]))
    for study in studies:
        diseases.update(facts.nodes[study].out.get("studiesCondition", []))
    approvals = set(node.inc.get("approvedDrug", []))
    for approval in approvals:
        diseases.update(facts.nodes[approval].out.get("approvedIndication", []))
        studies.update(facts.nodes[approval].out.get("basedOnStudy", []))
    nodes = {drug} | studies | arms | results | targets | diseases | approvals
    return _with_context(facts, {n for n in nodes if n in facts.nodes})


def study_scope(facts: Facts, evidence: Evidence, study: str) -> set[str]:
    """The study, all its arms and results, the drugs and conditions it names, the approvals
    based on it."""
    node = facts.nodes[study]
    arms = set(node.out.get("hasArm", []))
    results = {r.node for r in evidence.rows.values() if r.study == study}
    drugs = set(node.out.get("studiesDrug", []))
    diseases = set(node.out.get("studiesCondition", []))
    for arm in arms:
        drugs.update(evidence.arm_drugs(facts.nodes[arm]))
        diseases.update(facts.nodes[arm].out.get("cohortCondition", []))
    approvals = set(node.inc.get("basedOnStudy", []))
    nodes = {study} | arms | results | drugs | diseases | approvals
    return _with_context(facts, {n for n in nodes if n in facts.nodes})


def narrower(facts: Facts, disease: str) -> set[str]:
    """The disease and every disease that is a subtype of it, at any depth."""
    found, todo = {disease}, [disease]
    while todo:
        node = facts.nodes[todo.pop()]
        for child in node.inc.get("subtypeOf", []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def disease_scope(facts: Facts, evidence: Evidence, disease: str) -> set[str]:
    """Studies of the disease (or a subtype) with all their arms and results; registry cohorts
    restricted to it with their results and drugs (not the rest of the registry); approvals for
    it; the genes associated with it."""
    diseases = narrower(facts, disease)
    studies = {s for d in diseases for s in facts.nodes[d].inc.get("studiesCondition", [])}
    nodes: set[str] = set(diseases)
    for study in studies:
        nodes |= study_scope(facts, evidence, study)
    cohorts = {a for d in diseases for a in facts.nodes[d].inc.get("cohortCondition", [])}
    nodes |= cohorts | _results_of_arms(evidence, cohorts)
    for arm in cohorts:
        nodes.update(facts.nodes[arm].out.get("inStudy", []))
        nodes.update(evidence.arm_drugs(facts.nodes[arm]))
    for d in diseases:
        for approval in facts.nodes[d].inc.get("approvedIndication", []):
            nodes.add(approval)
            nodes.update(facts.nodes[approval].out.get("approvedDrug", []))
        nodes.update(facts.nodes[d].inc.get("associatedWithDisease", []))
    return _with_context(facts, {n for n in nodes if n in facts.nodes})


def nodes_named(facts: Facts, iris: Iterable[str]) -> set[str]:
    """The drawn nodes among ``iris`` (a query's answer)."""
    return {i for i in iris if i in facts.nodes and facts.nodes[i].cls in DRAWN_CLASSES}
