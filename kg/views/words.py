"""How numbers, units, abbreviations and names read on the page."""

from __future__ import annotations

import re
from decimal import Decimal

from kg.views.facts import FactNode, Facts

__all__ = [
    "STATISTIC_SHORT",
    "UNIT_SUFFIX",
    "abbreviation",
    "arm_drugs",
    "arm_name",
    "fmt",
    "study_name",
]

# statistic kind (local name) -> how a table or label names it
# (rates, proportions and counts read from their unit: "10%", "3/31")
STATISTIC_SHORT = {"HazardRatio": "HR", "Rate": "", "Proportion": "", "Count": ""}
UNIT_SUFFIX = {
    "percent": "%",
    "ratio": "",
    "patients": "",
    "months": " months",
    "years": " years",
    "weeks": " weeks",
    "days": " days",
}
_ACRONYM = re.compile(r"[A-Z][A-Z0-9]{1,6}")


def fmt(value: Decimal | None) -> str:
    """A number as the source would print it: no exponent, no trailing zeros (95.0 -> 95)."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def abbreviation(node: FactNode) -> str | None:
    """The node's acronym among its synonyms (PFS for progression-free survival), if any."""
    found = sorted(a for a in node.lits.get("skos:altLabel", []) if _ACRONYM.fullmatch(a))
    return found[0] if found else None


def study_name(study: FactNode | None) -> str:
    """A study's acronym, else its label."""
    if study is None:
        return ""
    return study.one("acronym") or study.label


def arm_drugs(facts: Facts, arm: FactNode) -> list[FactNode]:
    """The drugs of an arm's regimen(s)."""
    drugs = []
    for regimen in arm.out.get("receivesRegimen", []):
        node = facts.get(regimen)
        for drug in node.out.get("regimenDrug", []) if node else []:
            found = facts.get(drug)
            if found is not None and found not in drugs:
                drugs.append(found)
    return drugs


def arm_name(facts: Facts, arm: FactNode) -> str:
    """An arm as a reader names it: a trial arm's own label; a registry cohort's drugs and the
    histotype it is restricted to (never the record's key, never the source's shorthand)."""
    if arm.one("armRole") != "cohort":
        return arm.label
    drugs = " + ".join(d.label for d in arm_drugs(facts, arm)) or arm.label
    condition = facts.get(arm.first("cohortCondition"))
    return f"{drugs} · {condition.label}" if condition is not None else f"{drugs} (all histotypes)"
