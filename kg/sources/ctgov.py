"""ClinicalTrials.gov API v2 JSON: one study, or a page ``{"studies": [...]}``.

Every value keeps the RFC 6901 pointer it was read from. A bad measurement, analysis or
adverse-event row is an error naming the file, pointer and field, and is left out; the rest of
the study is still read. A study without an NCT id is left out whole.
"""

from __future__ import annotations

import re
from typing import Any

from kg.sources.checks import Problems, check_order
from kg.sources.locators import json_pointer
from kg.sources.trial import (
    AdverseEvent,
    AeCount,
    Analysis,
    Arm,
    EventGroup,
    FlowCount,
    Group,
    Intervention,
    Measurement,
    Mesh,
    OutcomeMeasure,
    Reference,
    Trial,
)

__all__ = ["NCT_ID", "read_studies", "read_study"]

NCT_ID = re.compile(r"^NCT\d{8}$")
# dispersions whose limits hold the value between them (a mean may lie outside its IQR)
_BRACKETING = ("confidence interval", "full range")


def read_studies(data: Any, problems: Problems) -> list[Trial]:
    """The studies of a parsed API v2 document (one study or a page of them)."""
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        found = []
        for i, study in enumerate(data["studies"]):
            trial = problems.keep(lambda s=study, i=i: read_study(s, problems, ("studies", i)))
            if trial is not None:
                found.append(trial)
        return found
    if isinstance(data, dict) and "protocolSection" in data:
        trial = problems.keep(lambda: read_study(data, problems, ()))
        return [trial] if trial is not None else []
    shown = sorted(data)[:5] if isinstance(data, dict) else type(data).__name__
    raise problems.error(
        "/", None, f"not a ClinicalTrials.gov API v2 study or page of studies (found {shown})"
    )


class _Study:
    """Reads one study; ``base`` is the path of the study in its document."""

    def __init__(self, data: dict[str, Any], problems: Problems, base: tuple[Any, ...]) -> None:
        self.data = data
        self.p = problems
        self.base = base

    def ptr(self, *steps: Any) -> str:
        return json_pointer(*self.base, *steps)

    def get(self, *steps: Any) -> Any:
        node: Any = self.data
        for step in steps:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                return None
        return node

    def items(self, *steps: Any) -> list[tuple[int, dict[str, Any]]]:
        value = self.get(*steps)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.p.error(self.ptr(*steps), str(steps[-1]), "expected a list")
        return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]

    # -- protocol --------------------------------------------------------------------

    def trial(self) -> Trial:
        ident = ("protocolSection", "identificationModule")
        nct = self.get(*ident, "nctId")
        if not isinstance(nct, str) or not NCT_ID.match(nct.strip()):
            found = "no nctId" if nct is None else f"nctId {nct!r} is not NCT + 8 digits"
            raise self.p.error(self.ptr(*ident, "nctId"), "nctId", f"{found}: study left out")
        t = Trial(nct=nct.strip(), at=self.p.at(self.ptr()))
        t.fields_at["id"] = self.p.at(self.ptr(*ident, "nctId"))
        t.brief_title = self.get(*ident, "briefTitle")
        t.official_title = self.get(*ident, "officialTitle")
        t.acronym = self.get(*ident, "acronym")
        t.org_study_id = self.get(*ident, "orgStudyIdInfo", "id")
        t.secondary_ids = [
            s["id"] for _, s in self.items(*ident, "secondaryIdInfos") if s.get("id")
        ]
        status = ("protocolSection", "statusModule")
        t.status = self.get(*status, "overallStatus")
        t.start_date = self.get(*status, "startDateStruct", "date")
        t.primary_completion_date = self.get(*status, "primaryCompletionDateStruct", "date")
        t.completion_date = self.get(*status, "completionDateStruct", "date")
        t.sponsor = self.get("protocolSection", "sponsorCollaboratorsModule", "leadSponsor", "name")
        t.conditions = list(self.get("protocolSection", "conditionsModule", "conditions") or [])
        design = ("protocolSection", "designModule")
        t.study_type = self.get(*design, "studyType")
        t.phases = [_phase(p) for p in self.get(*design, "phases") or []]
        info = (*design, "designInfo")
        t.allocation = self.get(*info, "allocation")
        t.model = self.get(*info, "interventionModel") or self.get(*info, "observationalModel")
        t.purpose = self.get(*info, "primaryPurpose")
        t.masking = self.get(*info, "maskingInfo", "masking")
        t.fields_at["design"] = self.p.at(self.ptr(*design))
        enrollment = (*design, "enrollmentInfo")
        t.enrollment = self.p.keep(
            lambda: self.p.count(
                self.ptr(*enrollment, "count"), "count", self.get(*enrollment, "count")
            )
        )
        t.enrollment_type = self.get(*enrollment, "type")
        self.arms(t)
        for key, target in (
            ("conditionBrowseModule", t.condition_mesh),
            ("interventionBrowseModule", t.intervention_mesh),
        ):
            for _, mesh in self.items("derivedSection", key, "meshes"):
                if mesh.get("term"):
                    target.append(Mesh(mesh["term"], mesh.get("id")))
        for i, ref in self.items("protocolSection", "referencesModule", "references"):
            if ref.get("pmid"):
                at = self.p.at(self.ptr("protocolSection", "referencesModule", "references", i))
                kind = (ref.get("type") or "").lower() or None
                t.references.append(Reference(str(ref["pmid"]), kind, at, ref.get("citation")))
        t.has_results = bool(self.data.get("hasResults")) or "resultsSection" in self.data
        if isinstance(self.get("resultsSection"), dict):
            self.flow(t)
            self.outcomes(t)
            self.adverse_events(t)
        return t

    def arms(self, t: Trial) -> None:
        module = ("protocolSection", "armsInterventionsModule")
        for i, arm in self.items(*module, "armGroups"):
            names = [n.split(":", 1)[-1].strip() for n in arm.get("interventionNames") or []]
            t.arms.append(
                Arm(
                    label=str(arm.get("label") or f"arm {i + 1}"),
                    type=arm.get("type"),
                    at=self.p.at(self.ptr(*module, "armGroups", i)),
                    description=arm.get("description"),
                    interventions=names,
                )
            )
        for i, item in self.items(*module, "interventions"):
            if not item.get("name"):
                self.p.warn(self.ptr(*module, "interventions", i), "name", "no name: left out")
                continue
            t.interventions.append(
                Intervention(
                    type=str(item.get("type") or "OTHER"),
                    name=item["name"],
                    at=self.p.at(self.ptr(*module, "interventions", i)),
                    description=item.get("description"),
                    other_names=list(item.get("otherNames") or []),
                    arm_labels=list(item.get("armGroupLabels") or []),
                )
            )

    # -- results -----------------------------------------------------------------------

    def groups(self, *steps: Any) -> list[Group]:
        return [
            Group(
                id=str(g.get("id")),
                title=str(g.get("title") or g.get("id")),
                at=self.p.at(self.ptr(*steps, i)),
                description=g.get("description"),
            )
            for i, g in self.items(*steps)
        ]

    def flow(self, t: Trial) -> None:
        module = ("resultsSection", "participantFlowModule")
        t.flow_groups = self.groups(*module, "groups")
        known = {g.id for g in t.flow_groups}
        for p, period in self.items(*module, "periods"):
            title = str(period.get("title") or f"period {p + 1}")
            for kind, key, inner in (
                ("milestone", "milestones", "achievements"),
                ("withdrawal", "dropWithdraws", "reasons"),
            ):
                for m, row in self.items(*module, "periods", p, key):
                    for a, count in self.items(*module, "periods", p, key, m, inner):
                        where = self.ptr(*module, "periods", p, key, m, inner, a)
                        item = self.p.keep(lambda c=count, w=where: self._flow_count(c, w, known))
                        if item is not None:
                            group, n = item
                            label = str(row.get("type") or "")
                            t.flow.append(FlowCount(title, kind, label, group, n, self.p.at(where)))

    def _flow_count(self, raw: dict[str, Any], where: str, known: set[str]) -> tuple[str, int]:
        group = self._group(raw.get("groupId"), known, where)
        n = self.p.count(where, "numSubjects", raw.get("numSubjects"))
        if n is None:
            raise self.p.error(where, "numSubjects", "no number of participants")
        return group, n

    def _group(self, group: Any, known: set[str], where: str) -> str:
        if group not in known:
            raise self.p.error(
                where,
                "groupId",
                f"group {group!r} is not one of this table's groups "
                f"({', '.join(sorted(known)) or 'none'})",
            )
        return str(group)

    def outcomes(self, t: Trial) -> None:
        module = ("resultsSection", "outcomeMeasuresModule", "outcomeMeasures")
        for i, raw in self.items(*module):
            measure = self.p.keep(lambda r=raw, i=i: self._measure(r, (*module, i)))
            if measure is not None:
                t.outcomes.append(measure)

    def _measure(self, raw: dict[str, Any], at: tuple[Any, ...]) -> OutcomeMeasure:
        m = OutcomeMeasure(
            role=_role(raw.get("type")),
            title=str(raw.get("title") or ""),
            at=self.p.at(self.ptr(*at)),
            description=raw.get("description"),
            time_frame=raw.get("timeFrame"),
            population=raw.get("populationDescription"),
            unit=raw.get("unitOfMeasure"),
            param_type=raw.get("paramType"),
            dispersion=raw.get("dispersionType"),
            status=raw.get("reportingStatus"),
            groups=self.groups(*at, "groups"),
        )
        known = {g.id for g in m.groups}
        analyzed = self._denoms(raw.get("denoms"), (*at, "denoms"), known)
        for c, klass in self.items(*at, "classes"):
            in_class = {
                **analyzed,
                **self._denoms(klass.get("denoms"), (*at, "classes", c, "denoms"), known),
            }
            for k, category in self.items(*at, "classes", c, "categories"):
                for j, value in self.items(*at, "classes", c, "categories", k, "measurements"):
                    where = self.ptr(*at, "classes", c, "categories", k, "measurements", j)
                    item = self.p.keep(
                        lambda v=value, w=where, kl=klass, ca=category, ic=in_class: (
                            self._measurement(v, w, m, known, ic, kl.get("title"), ca.get("title"))
                        )
                    )
                    if item is not None:
                        m.measurements.append(item)
        for a, raw_analysis in self.items(*at, "analyses"):
            where = self.ptr(*at, "analyses", a)
            analysis = self.p.keep(lambda r=raw_analysis, w=where: self._analysis(r, w, known))
            if analysis is not None:
                m.analyses.append(analysis)
        return m

    def _denoms(self, raw: Any, at: tuple[Any, ...], known: set[str]) -> dict[str, int]:
        """Each group's number analyzed, in participants (else the first unit given)."""
        if not isinstance(raw, list) or not raw:
            return {}
        index = next(
            (i for i, d in enumerate(raw) if str(d.get("units", "")).lower() == "participants"), 0
        )
        counts: dict[str, int] = {}
        for j, row in enumerate(raw[index].get("counts") or []):
            where = self.ptr(*at, index, "counts", j)
            n = self.p.keep(lambda r=row, w=where: self.p.count(w, "value", r.get("value")))
            if n is not None and row.get("groupId") in known:
                counts[row["groupId"]] = n
        return counts

    def _measurement(
        self,
        raw: dict[str, Any],
        where: str,
        m: OutcomeMeasure,
        known: set[str],
        analyzed: dict[str, int],
        class_title: str | None,
        category: str | None,
    ) -> Measurement:
        group = self._group(raw.get("groupId"), known, where)
        value = self.p.number(where, "value", raw.get("value"))
        spread = self.p.number(where, "spread", raw.get("spread"))
        lower = self.p.number(where, "lowerLimit", raw.get("lowerLimit"))
        upper = self.p.number(where, "upperLimit", raw.get("upperLimit"))
        if any(k in (m.dispersion or "").lower() for k in _BRACKETING) or (
            "inter-quartile" in (m.dispersion or "").lower() and m.param_type == "MEDIAN"
        ):
            check_order(self.p, where, value, ("lowerLimit", lower), ("upperLimit", upper))
        comment = raw.get("comment")
        if value is None and raw.get("value") not in (None, "") and not comment:
            comment = f"given as {raw.get('value')!r}"
        return Measurement(
            group=group,
            value=value,
            at=self.p.at(where),
            spread=spread,
            lower=lower,
            upper=upper,
            comment=comment,
            class_title=class_title,
            category=category,
            analyzed=analyzed.get(group),
        )

    def _analysis(self, raw: dict[str, Any], where: str, known: set[str]) -> Analysis:
        groups = [self._group(g, known, where) for g in raw.get("groupIds") or []]
        value = self.p.number(where, "paramValue", raw.get("paramValue"))
        lower = self.p.number(where, "ciLowerLimit", raw.get("ciLowerLimit"))
        upper = self.p.number(where, "ciUpperLimit", raw.get("ciUpperLimit"))
        check_order(self.p, where, value, ("ciLowerLimit", lower), ("ciUpperLimit", upper))
        level = self.p.number(where, "ciPctValue", raw.get("ciPctValue"))
        if level is not None and not 0 < level < 100:
            raise self.p.error(
                where, "ciPctValue", f"a confidence level lies within 0-100: {level}"
            )
        p = self.p.p_value(where, "pValue", raw.get("pValue"))
        comments = [raw.get(k) for k in ("pValueComment", "statisticalComment", "estimateComment")]
        return Analysis(
            groups=groups,
            at=self.p.at(where),
            param_type=raw.get("paramType"),
            value=value,
            ci_level=level,
            ci_sides=raw.get("ciNumSides"),
            ci_lower=lower,
            ci_upper=upper,
            p_value=p.value if p else None,
            p_relation=p.relation if p else None,
            method=raw.get("statisticalMethod"),
            non_inferiority=raw.get("nonInferiorityType"),
            groups_description=raw.get("groupDescription"),
            estimate_description=raw.get("estimateComment"),
            comment=" ".join(c for c in comments if c) or None,
        )

    def adverse_events(self, t: Trial) -> None:
        module = ("resultsSection", "adverseEventsModule")
        if not isinstance(self.get(*module), dict):
            return
        t.ae_threshold = self.p.keep(
            lambda: self.p.number(
                self.ptr(*module, "frequencyThreshold"),
                "frequencyThreshold",
                self.get(*module, "frequencyThreshold"),
            )
        )
        t.ae_time_frame = self.get(*module, "timeFrame")
        groups = self.groups(*module, "eventGroups")
        known = {g.id for g in groups}
        for (i, raw), group in zip(self.items(*module, "eventGroups"), groups, strict=True):
            where = self.ptr(*module, "eventGroups", i)

            def pair(kind: str, raw: dict[str, Any] = raw, where: str = where) -> Any:
                return tuple(
                    self.p.keep(lambda k=k: self.p.count(where, k, raw.get(k)))
                    for k in (f"{kind}NumAffected", f"{kind}NumAtRisk")
                )

            t.event_groups.append(EventGroup(group, pair("deaths"), pair("serious"), pair("other")))
        for key, serious in (("seriousEvents", True), ("otherEvents", False)):
            for i, raw in self.items(*module, key):
                where = self.ptr(*module, key, i)
                event = self.p.keep(lambda r=raw, w=where, s=serious: self._event(r, w, s, known))
                if event is not None:
                    t.adverse_events.append(event)

    def _event(
        self, raw: dict[str, Any], where: str, serious: bool, known: set[str]
    ) -> AdverseEvent:
        if not raw.get("term"):
            raise self.p.error(where, "term", "an adverse event without a term")
        event = AdverseEvent(
            term=str(raw["term"]),
            serious=serious,
            at=self.p.at(where),
            organ_system=raw.get("organSystem"),
            vocabulary=raw.get("sourceVocabulary"),
            assessment=raw.get("assessmentType"),
        )
        for j, stat in enumerate(raw.get("stats") or []):
            at = f"{where}/stats/{j}"
            group = self._group(stat.get("groupId"), known, at)
            affected = self.p.count(at, "numAffected", stat.get("numAffected"))
            at_risk = self.p.count(at, "numAtRisk", stat.get("numAtRisk"))
            events = self.p.count(at, "numEvents", stat.get("numEvents"))
            if affected is not None and at_risk is not None and affected > at_risk:
                raise self.p.error(
                    at, "numAffected", f"{affected} affected is above the {at_risk} at risk"
                )
            event.counts.append(AeCount(group, self.p.at(at), affected, at_risk, events))
        return event


def read_study(data: Any, problems: Problems, base: tuple[Any, ...] = ()) -> Trial:
    """One API v2 study; raises :class:`~kg.sources.checks.Bad` when it cannot be read."""
    if not isinstance(data, dict) or not isinstance(data.get("protocolSection"), dict):
        raise problems.error(json_pointer(*base), "protocolSection", "not an API v2 study")
    return _Study(data, problems, base).trial()


def _phase(raw: str) -> str:
    """``PHASE3`` -> ``3``; ``EARLY_PHASE1`` -> ``early 1``; ``NA`` stays."""
    text = str(raw).upper()
    if text.startswith("EARLY_PHASE"):
        return "early " + text.removeprefix("EARLY_PHASE")
    return text.removeprefix("PHASE")


def _role(raw: Any) -> str:
    return {
        "PRIMARY": "primary",
        "SECONDARY": "secondary",
        "OTHER_PRE_SPECIFIED": "other",
        "POST_HOC": "post-hoc",
    }.get(str(raw).upper(), str(raw).lower())
