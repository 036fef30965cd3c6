"""What a node says about itself: its display label, tooltip lines and search names.

Labels never show internal keys: results are written from their values (``ORR 10% (3/31)``),
registry cohorts from their drugs and histotype, approvals from agency, indication and date.
Tooltips are plain text; the page adds the quoted source text of each span under them.
"""

from __future__ import annotations

from collections.abc import Callable

from kg.views.evidence import RESULT_CLASSES, STUDY_CLASSES, Evidence
from kg.views.facts import FactNode, Facts
from kg.views.words import abbreviation, arm_name, fmt, study_name

__all__ = ["display_label", "names", "tooltip"]


def _approval_label(facts: Facts, node: FactNode) -> str:
    agency = node.one("agency") or "approval"
    indication = facts.get(node.first("approvedIndication"))
    date = node.one("approvalDate")
    text = f"{agency} approval: {indication.label if indication else 'indication not stated'}"
    return text + (f" ({date})" if date else "")


def display_label(facts: Facts, evidence: Evidence, node: FactNode) -> str:
    """The label drawn under the node."""
    if node.cls in RESULT_CLASSES:
        return evidence.result_label(node.iri)
    if node.cls == "StudyArm":
        return arm_name(facts, node)
    if node.cls in STUDY_CLASSES:
        return study_name(node)
    if node.cls == "Approval":
        return _approval_label(facts, node)
    if node.cls == "TextSpan":
        return f"source: {node.one('section') or 'text'}"
    return node.label


def document_name(document: FactNode | None) -> str:
    """A source document's title."""
    if document is None:
        return "unknown document"
    return document.one("dcterms:title") or document.label


def names(facts: Facts, node: FactNode, label: str) -> list[str]:
    """What search matches: labels, synonyms, acronym, identifiers (CURIE and bare local id)."""
    found = [label, node.label, *node.lits.get("skos:altLabel", [])]
    found += node.lits.get("acronym", [])
    for curie in node.lits.get("xref", []):
        found += [curie, curie.split(":", 1)[-1]]
    return list(dict.fromkeys(n for n in found if n))


def _join(values: list[str]) -> str:
    return ", ".join(values)


def _patients_line(evidence: Evidence, node: FactNode) -> list[str]:
    counts = evidence.counts.get(node.iri, [])
    parts = []
    for count in sorted(counts, key=lambda c: (c.one("population") or "", c.iri)):
        n = count.num("count")
        if n is not None:
            parts.append(f"{count.one('population') or 'counted'} {fmt(n)}")
    return [f"patients: {_join(parts)}"] if parts else []


def tooltip(facts: Facts, evidence: Evidence, node: FactNode, label: str) -> str:
    """Plain-text lines describing the node (without the quoted sources)."""
    kind = facts.term(node.cls) if node.cls != "StudyArm" else "study arm"
    lines = [label, f"[{kind}]"]
    writer = _WRITERS.get(node.cls)
    if writer is not None:
        lines += writer(facts, evidence, node)
    synonyms = [s for s in node.lits.get("skos:altLabel", []) if s != label]
    if synonyms and node.cls not in RESULT_CLASSES:
        lines.append(f"also called: {_join(synonyms)}")
    if node.lits.get("xref"):
        lines.append(f"identifiers: {_join(node.lits['xref'])}")
    if node.one("skos:definition"):
        lines.append(node.one("skos:definition") or "")
    for note in node.lits.get("curatorNote", []):
        lines.append(f"curator's note: {note}")
    for warning in node.lits.get("warning", []):
        lines.append(f"warning: {warning}")
    for conflict in node.out.get("hasConflict", []):
        found = facts.get(conflict)
        fields = _join(found.lits.get("conflictField", [])) if found else ""
        lines.append(f"sources disagree on {fields or 'its value'}: see the linked results")
    return "\n".join(lines)


def _drug(facts: Facts, evidence: Evidence, node: FactNode) -> list[str]:
    targets = [facts.nodes[t].label for t in node.out.get("inhibits", []) if t in facts.nodes]
    return [f"inhibits: {_join(targets)}"] if targets else []


def _study(facts: Facts, evidence: Evidence, node: FactNode) -> list[str]:
    lines = [node.label] if node.label != study_name(node) else []
    design = []
    if node.one("phase"):
        design.append(f"phase {node.one('phase')}")
    if node.one("randomized") == "true":
        design.append("randomized")
    for key in ("blinding", "controlType", "allocationRatio"):
        if node.one(key):
            design.append(f"{facts.term(key)} {node.one(key)}")
    if design:
        lines.append(f"design: {_join(design)}")
    conditions = [facts.nodes[c].label for c in node.out.get("studiesCondition", [])]
    qualifiers = node.lits.get("conditionQualifier", [])
    if conditions:
        lines.append(
            f"condition: {_join(qualifiers + conditions) if qualifiers else _join(conditions)}"
        )
    lines += _patients_line(evidence, node)
    if node.one("sponsor"):
        lines.append(f"sponsor: {node.one('sponsor')}")
    start, end = node.one("enrollmentStart"), node.one("enrollmentEnd")
    if start or end:
        lines.append(f"enrolment: {start or '?'} to {end or '?'}")
    return lines


def _arm(facts: Facts, evidence: Evidence, node: FactNode) -> list[str]:
    study = facts.get(node.first("inStudy"))
    lines = [f"study: {study_name(study)}", f"role: {node.one('armRole') or 'not stated'}"]
    if node.label != arm_name(facts, node):
        lines.append(f"as the source names it: {node.label}")
    for regimen_iri in node.out.get("receivesRegimen", []):
        regimen = facts.get(regimen_iri)
        if regimen is not None:
            lines.append(f"regimen: {regimen.label}")
            if regimen.one("route"):
                lines.append(f"route: {regimen.one('route')}")
    lines += _patients_line(evidence, node)
    return lines


def _result(facts: Facts, evidence: Evidence, node: FactNode) -> list[str]:
    row = evidence.rows[node.iri]
    study = facts.get(row.study)
    registry = [x for x in (study.lits.get("xref", []) if study else []) if "NCT" in x]
    lines = [f"study: {study_name(study)}" + (f" ({_join(registry)})" if registry else "")]
    lines.append(f"arm: {row.cells['arm']}")
    if row.kind == "ae":
        lines.append(f"adverse event: {row.cells['term']}")
        lines.append(f"grade: {row.cells['grade'] or 'not stated'}")
        if row.cells["percent"]:
            lines.append(f"patients with it: {row.cells['percent']}")
        if row.cells["notes"]:
            lines.append(f"notes: {row.cells['notes']}")
    else:
        lines.append(f"endpoint: {row.cells['endpoint']}")
        value = f"{row.cells['statistic']} {row.cells['value']}".strip()
        if row.cells["ci"]:
            value += f", confidence interval {row.cells['ci']}"
        if row.cells["p"]:
            value += f", p {row.cells['p']}"
        lines.append(value)
        if row.cells["time"]:
            lines.append(f"at: {row.cells['time']}")
        for key in ("analysisPopulation", "assessment"):
            if node.one(key):
                lines.append(f"{facts.term(key)}: {node.one(key)}")
    lines.append(
        f"patients (n/N): {row.cells['n']}" if row.cells["n"] else "patients (n/N): not stated"
    )
    return lines


def _endpoint(facts: Facts, evidence: Evidence, node: FactNode) -> list[str]:
    short = abbreviation(node)
    return [f"abbreviation: {short}"] if short else []


def _approval(facts: Facts, evidence: Evidence, node: FactNode) -> list[str]:
    drug = facts.get(node.first("approvedDrug"))
    lines = [f"drug: {drug.label}"] if drug else []
    qualifiers = node.lits.get("conditionQualifier", [])
    if qualifiers:
        lines.append(f"indication qualified as: {_join(qualifiers)}")
    study = facts.get(node.first("basedOnStudy"))
    if study is not None:
        lines.append(f"based on: {study_name(study)}")
    if not node.one("approvalDate"):
        lines.append("date: not stated")
    return lines


def _span(facts: Facts, evidence: Evidence, node: FactNode) -> list[str]:
    document = facts.get(node.first("oa:hasSource"))
    return [
        f"document: {document_name(document)}",
        f"characters {node.one('oa:start')}-{node.one('oa:end')}",
    ]


_WRITERS: dict[str, Callable[[Facts, Evidence, FactNode], list[str]]] = {
    "Drug": _drug,
    **{cls: _study for cls in STUDY_CLASSES},
    "StudyArm": _arm,
    **{cls: _result for cls in RESULT_CLASSES},
    "Endpoint": _endpoint,
    "Approval": _approval,
    "TextSpan": _span,
}
