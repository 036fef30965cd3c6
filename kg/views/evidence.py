"""The evidence of the graph as a reader wants it: table rows, result labels, patient counts.

Every figure is the graph's own value, formatted; nothing is computed that the graph does not
state, except sums of patients (for sizes) and the "best" hazard ratio of a set of results.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from kg.network import STUDY_CLASSES
from kg.views.facts import FactNode, Facts
from kg.views.words import (
    STATISTIC_SHORT,
    UNIT_SUFFIX,
    abbreviation,
    arm_drugs,
    arm_name,
    fmt,
    study_name,
)

__all__ = ["POPULATIONS", "RESULT_CLASSES", "STUDY_CLASSES", "Evidence", "Row", "value_text"]

RESULT_CLASSES = ("ArmResult", "ComparativeResult", "AdverseEventResult")
# populations in the order a count of an arm or study is preferred for its size
POPULATIONS = ("randomized", "enrolled", "efficacy", "safety")


@dataclass(frozen=True)
class Row:
    """One result or adverse event, as the table shows it (text) and filters it (numbers)."""

    node: str
    kind: str  # "result" or "ae"
    study: str | None
    arm: str | None
    comparator: str | None
    about: str | None  # the endpoint (results) or the adverse-event term
    cells: dict[str, str]
    spans: tuple[str, ...]
    p: float | None = None
    percent: float | None = None
    n: int | None = None
    grade_min: int | None = None
    grade_max: int | None = None
    value: float | None = None
    statistic: str = ""


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _int(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def _rel(node: FactNode, key: str) -> str:
    relation = node.one(key)
    if relation in (None, "="):
        return ""
    return relation if relation == "~" else f"{relation} "


def value_text(node: FactNode) -> str:
    """A result's value as the table shows it: relation, number, unit (``< 0.13``, ``10%``)."""
    unit = node.one("unit") or ""
    value = node.num("value")
    if value is None:
        return ""
    return f"{_rel(node, 'valueRelation')}{fmt(value)}{UNIT_SUFFIX.get(unit, ' ' + unit)}".strip()


@dataclass
class Evidence:
    """Rows, labels and patient counts of every result, arm and study of ``facts``."""

    facts: Facts
    rows: dict[str, Row] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for node in self.facts.of_class("ArmResult", "ComparativeResult"):
            self.rows[node.iri] = self._result_row(node)
        for node in self.facts.of_class("AdverseEventResult"):
            self.rows[node.iri] = self._ae_row(node)

    # -- counts -------------------------------------------------------------------------------

    @cached_property
    def counts(self) -> dict[str, list[FactNode]]:
        """Participant counts by the arm or study they count."""
        found: dict[str, list[FactNode]] = defaultdict(list)
        for node in self.facts.of_class("ParticipantCount"):
            if node.out.get("subgroupCondition"):
                continue  # a subgroup is not the size of the arm or study
            for target in node.out.get("countsParticipantsOf", []):
                found[target].append(node)
        return found

    def patients(self, iri: str) -> int | None:
        """The number of patients (or treatment lines) of an arm or study, as counted."""
        counts = self.counts.get(iri, [])
        for population in POPULATIONS:
            found = [c.num("count") for c in counts if c.one("population") == population]
            values = [v for v in found if v is not None]
            if values:
                return int(max(values))
        values = [v for v in (c.num("count") for c in counts) if v is not None]
        if values:
            return int(max(values))
        node = self.facts.get(iri)
        if node is not None and node.cls in STUDY_CLASSES:
            arms = [self.patients(a) for a in node.out.get("hasArm", [])]
            known = [a for a in arms if a is not None]
            return sum(known) if known else None
        return None

    def arm_conditions(self, arm: FactNode) -> list[str]:
        """The arm's cohort condition, else the conditions of its study."""
        if arm.out.get("cohortCondition"):
            return list(arm.out["cohortCondition"])
        study = self.facts.get(arm.first("inStudy"))
        return list(study.out.get("studiesCondition", [])) if study is not None else []

    def arm_drugs(self, arm: FactNode) -> list[str]:
        return [d.iri for d in arm_drugs(self.facts, arm)]

    # -- rows ---------------------------------------------------------------------------------

    def _common(self, node: FactNode) -> dict[str, str]:
        study = self.facts.get(node.first("inStudy"))
        arm = self.facts.get(node.first("resultArm"))
        comparator = self.facts.get(node.first("comparatorArm"))
        arm_text = arm_name(self.facts, arm) if arm is not None else "all patients"
        if comparator is not None:
            arm_text += f" vs {arm_name(self.facts, comparator)}"
        count, denominator = node.num("count"), node.num("denominator")
        if count is not None and denominator is not None:
            n_text = f"{fmt(count)}/{fmt(denominator)}"
        elif denominator is not None:
            n_text = f"N={fmt(denominator)}"
        else:
            n_text = f"n={fmt(count)}" if count is not None else ""
        return {"study": study_name(study), "arm": arm_text, "n": n_text}

    def _result_row(self, node: FactNode) -> Row:
        cells = self._common(node)
        endpoint = self.facts.get(node.first("measuresEndpoint"))
        statistic = (node.first("statistic") or "").rsplit("#", 1)[-1]
        cells["endpoint"] = endpoint.label if endpoint is not None else ""
        if endpoint is not None and abbreviation(endpoint):
            cells["endpoint"] += f" ({abbreviation(endpoint)})"
        cells["statistic"] = self.facts.term(statistic) if statistic else ""
        unit = node.one("unit") or ""
        value = node.num("value")
        cells["value"] = value_text(node)
        named = STATISTIC_SHORT.get(statistic, cells["statistic"])
        cells["measure"] = f"{named} {cells['value']}".strip() if named else cells["value"]
        low, high, level = node.num("ciLower"), node.num("ciUpper"), node.num("ciLevel")
        cells["ci"] = ""
        if low is not None or high is not None:
            cells["ci"] = f"{fmt(low) or '?'} to {fmt(high) or '?'}"
            cells["ci"] += f" ({fmt(level)}%)" if level is not None and level != 95 else ""
        p = node.num("pValue")
        cells["p"] = f"{_rel(node, 'pValueRelation')}{fmt(p)}" if p is not None else ""
        time, unit_of_time = node.num("timePoint"), node.one("timeUnit")
        cells["time"] = f"{fmt(time)} {unit_of_time or ''}".strip() if time is not None else ""
        count = node.num("count")
        denominator = node.num("denominator")
        percent = value if unit == "percent" else None
        return Row(
            node.iri,
            "result",
            node.first("inStudy"),
            node.first("resultArm"),
            node.first("comparatorArm"),
            node.first("measuresEndpoint"),
            cells,
            tuple(node.out.get("prov:wasDerivedFrom", [])),
            p=_float(p),
            percent=_float(percent),
            n=self._n(node, denominator if denominator is not None else count),
            value=_float(value),
            statistic=statistic,
        )

    def _n(self, node: FactNode, stated: Decimal | None) -> int | None:
        """The patients a row counts: as stated, else its arm's; a row without an arm, its
        study's."""
        if stated is not None:
            return int(stated)
        arm, study = node.first("resultArm"), node.first("inStudy")
        if arm:
            return self.patients(arm)
        return self.patients(study) if study else None

    def _ae_row(self, node: FactNode) -> Row:
        cells = self._common(node)
        term = self.facts.get(node.first("adverseEventTerm"))
        cells["term"] = term.label if term is not None else ""
        cells["grade"] = node.one("grade") or ""
        percent = node.num("percent")
        cells["percent"] = (
            f"{_rel(node, 'valueRelation')}{fmt(percent)}%" if percent is not None else ""
        )
        flags = [
            word
            for word, key in (("serious", "serious"), ("fatal", "fatal"))
            if node.one(key) == "true"
        ]
        if node.one("attribution"):
            flags.append(node.one("attribution") or "")
        cells["notes"] = ", ".join(flags)
        count, denominator = node.num("count"), node.num("denominator")
        return Row(
            node.iri,
            "ae",
            node.first("inStudy"),
            node.first("resultArm"),
            None,
            node.first("adverseEventTerm"),
            cells,
            tuple(node.out.get("prov:wasDerivedFrom", [])),
            percent=_float(percent),
            n=self._n(node, denominator if denominator is not None else count),
            grade_min=_int(node.num("gradeMin")),
            grade_max=_int(node.num("gradeMax")),
        )

    # -- labels -------------------------------------------------------------------------------

    def result_label(self, iri: str) -> str:
        """A short label: endpoint, statistic, value with its unit, interval and n/N.

        ``ORR 10% (3/31)``, ``PFS HR 0.13 (0.05-0.31)``, ``hypertension 15% (9/60), grade >=3``.
        """
        node, row = self.facts.nodes[iri], self.rows[iri]
        n_part = f" ({row.cells['n']})" if row.cells["n"] else ""
        if row.kind == "ae":
            amount = row.cells["percent"] or ""
            text = f"{row.cells['term']} {amount}".strip() + n_part
            grade = row.cells["grade"]
            return text + (f", grade {grade}" if grade and grade != "any" else "")
        endpoint = self.facts.get(row.about)
        name = (abbreviation(endpoint) or endpoint.label) if endpoint is not None else "result"
        value, statistic = row.cells["value"], row.statistic
        if statistic == "HazardRatio":
            text = f"{name} HR {value}"
            low, high = node.num("ciLower"), node.num("ciUpper")
            if low is not None and high is not None:
                text += f" ({fmt(low)}–{fmt(high)})"
            n_part = ""
        elif statistic == "Count":
            text = f"{name} {row.cells['n'] if '/' in row.cells['n'] else 'n=' + value}"
            n_part = ""
        elif statistic in ("Rate", "Proportion"):
            text = f"{name} {value}"
        else:
            text = f"{name} {self.facts.term(statistic)} {value}"
        if row.cells["time"]:
            text += f" at {row.cells['time']}"
        return text.strip() + n_part

    def study_of(self, iri: str) -> FactNode | None:
        return self.facts.get(self.facts.nodes[iri].first("inStudy"))
