"""Legacy ClinicalTrials.gov XML (``clinical_study``), as in the older full downloads.

Read into the same :class:`~kg.sources.trial.Trial` as API v2 JSON, every value with the XPath it
was read from. The "Total" rows of the adverse-event tables are the groups' totals (serious,
other, all-cause mortality), not terms.
"""

from __future__ import annotations

import datetime as dt
import re

from kg.sources.checks import Problems, check_order
from kg.sources.ctgov import NCT_ID
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
from kg.sources.xmltree import Node

__all__ = ["read_clinical_study"]

_ROLE = {
    "primary": "primary",
    "secondary": "secondary",
    "other pre-specified": "other",
    "post-hoc": "post-hoc",
}
_ALLOCATION = {"randomized": "RANDOMIZED", "non-randomized": "NON_RANDOMIZED", "n/a": "NA"}
_MASKING = (
    ("quadruple", "QUADRUPLE"),
    ("triple", "TRIPLE"),
    ("double", "DOUBLE"),
    ("single", "SINGLE"),
    ("none", "NONE"),
)
_BRACKETING = ("confidence interval", "full range")


def _upper(text: str | None) -> str | None:
    """``Placebo Comparator`` -> ``PLACEBO_COMPARATOR`` (API v2's spelling)."""
    return re.sub(r"[\s/-]+", "_", text.strip()).upper() if text else None


def _date(text: str | None) -> str | None:
    """``September 26, 2012`` -> ``2012-09-26``; ``September 2012`` -> ``2012-09``."""
    if not text:
        return None
    for form, iso in (("%B %d, %Y", "%Y-%m-%d"), ("%B %Y", "%Y-%m")):
        try:
            return dt.datetime.strptime(text.strip(), form).strftime(iso)
        except ValueError:
            continue
    return None


def read_clinical_study(root: Node, p: Problems) -> Trial:
    """One ``clinical_study``; raises :class:`~kg.sources.checks.Bad` without an NCT id."""
    nct = root.text("id_info/nct_id")
    if not nct or not NCT_ID.match(nct):
        found = "no nct_id" if not nct else f"nct_id {nct!r} is not NCT + 8 digits"
        raise p.error(root.at("id_info/nct_id"), "nct_id", f"{found}: study left out")
    t = Trial(nct=nct, at=p.at(root.path))
    t.fields_at["id"] = p.at(root.at("id_info[1]/nct_id[1]"))
    t.brief_title = root.text("brief_title")
    t.official_title = root.text("official_title")
    t.acronym = root.text("acronym")
    t.org_study_id = root.text("id_info/org_study_id")
    t.secondary_ids = root.texts("id_info/secondary_id")
    t.status = _upper(root.text("overall_status"))
    t.start_date = _date(root.text("start_date"))
    t.primary_completion_date = _date(root.text("primary_completion_date"))
    t.completion_date = _date(root.text("completion_date"))
    t.sponsor = root.text("sponsors/lead_sponsor/agency")
    t.conditions = root.texts("condition")
    t.study_type = _upper(root.text("study_type"))
    phase = root.text("phase") or ""
    t.phases = (
        []
        if not phase
        else (["NA"] if phase.upper() == "N/A" else re.findall(r"(?:Early )?Phase (\d)", phase))
    )
    design = root.one("study_design_info")
    t.fields_at["design"] = p.at(design.path if design else root.path)
    if design is not None:
        allocation = (design.text("allocation") or "").lower()
        t.allocation = _ALLOCATION.get(allocation, _upper(allocation) or None)
        t.model = (
            _upper(
                (
                    design.text("intervention_model") or design.text("observational_model") or ""
                ).replace(" Assignment", "")
            )
            or None
        )
        t.purpose = _upper(design.text("primary_purpose"))
        masking = (design.text("masking") or "").lower()
        t.masking = next((v for k, v in _MASKING if masking.startswith(k)), None)
    enrollment = root.one("enrollment")
    if enrollment is not None:
        t.enrollment = p.keep(lambda: p.count(enrollment.path, "enrollment", enrollment.text()))
        t.enrollment_type = _upper(enrollment.attr("type"))
    for node in root.all("arm_group"):
        t.arms.append(
            Arm(
                label=node.text("arm_group_label") or node.path,
                type=_upper(node.text("arm_group_type")),
                at=p.at(node.path),
                description=node.text("description"),
            )
        )
    for node in root.all("intervention"):
        name = node.text("intervention_name")
        if not name:
            p.warn(node.path, "intervention_name", "no name: left out")
            continue
        labels = node.texts("arm_group_label")
        t.interventions.append(
            Intervention(
                type=_upper(node.text("intervention_type")) or "OTHER",
                name=name,
                at=p.at(node.path),
                description=node.text("description"),
                other_names=node.texts("other_name"),
                arm_labels=labels,
            )
        )
        for arm in t.arms:
            if arm.label in labels:
                arm.interventions.append(name)
    t.condition_mesh = [Mesh(term) for term in root.texts("condition_browse/mesh_term")]
    t.intervention_mesh = [Mesh(term) for term in root.texts("intervention_browse/mesh_term")]
    for node in root.all("results_reference"):
        if node.text("PMID"):
            t.references.append(
                Reference(node.text("PMID") or "", "result", p.at(node.path), node.text("citation"))
            )
    for node in root.all("reference"):
        if node.text("PMID"):
            t.references.append(
                Reference(
                    node.text("PMID") or "", "background", p.at(node.path), node.text("citation")
                )
            )
    results = root.one("clinical_results")
    if results is not None:
        t.has_results = True
        _flow(results, t, p)
        _outcomes(results, t, p)
        _adverse_events(results, t, p)
    return t


def _groups(node: Node | None, p: Problems) -> list[Group]:
    if node is None:
        return []
    return [
        Group(
            g.attr("group_id") or g.path,
            g.text("title") or g.attr("group_id") or "",
            p.at(g.path),
            g.text("description"),
        )
        for g in node.all("group_list/group")
    ]


def _group(p: Problems, where: str, group: str | None, known: set[str]) -> str:
    if group not in known:
        raise p.error(
            where,
            "@group_id",
            f"group {group!r} is not one of this table's groups "
            f"({', '.join(sorted(known)) or 'none'})",
        )
    return str(group)


def _flow(results: Node, t: Trial, p: Problems) -> None:
    flow = results.one("participant_flow")
    t.flow_groups = _groups(flow, p)
    known = {g.id for g in t.flow_groups}
    for period in flow.all("period_list/period") if flow else []:
        title = period.text("title") or period.path
        for kind, path in (
            ("milestone", "milestone_list/milestone"),
            ("withdrawal", "drop_withdraw_reason_list/drop_withdraw_reason"),
        ):
            for row in period.all(path):
                for cell in row.all("participants_list/participants"):

                    def read(cell: Node = cell) -> tuple[str, int]:
                        group = _group(p, cell.path, cell.attr("group_id"), known)
                        n = p.count(cell.path, "@count", cell.attr("count"))
                        if n is None:
                            raise p.error(cell.path, "@count", "no number of participants")
                        return group, n

                    item = p.keep(read)
                    if item is not None:
                        t.flow.append(
                            FlowCount(
                                title,
                                kind,
                                row.text("title") or "",
                                item[0],
                                item[1],
                                p.at(cell.path),
                            )
                        )


def _analyzed(node: Node | None, known: set[str], p: Problems) -> dict[str, int]:
    if node is None:
        return {}
    lists = list(node.all("analyzed_list/analyzed"))
    chosen = next(
        (a for a in lists if (a.text("units") or "").lower() == "participants"),
        lists[0] if lists else None,
    )
    counts: dict[str, int] = {}
    for cell in chosen.all("count_list/count") if chosen else []:
        n = p.keep(lambda c=cell: p.count(c.path, "@value", c.attr("value")))
        group = cell.attr("group_id")
        if n is not None and group in known:
            counts[group] = n
    return counts


def _outcomes(results: Node, t: Trial, p: Problems) -> None:
    for node in results.all("outcome_list/outcome"):
        measure = p.keep(lambda n=node: _outcome(n, p))
        if measure is not None:
            t.outcomes.append(measure)


def _outcome(node: Node, p: Problems) -> OutcomeMeasure:
    measure = node.one("measure")
    m = OutcomeMeasure(
        role=_ROLE.get((node.text("type") or "").lower(), (node.text("type") or "").lower()),
        title=node.text("title") or "",
        at=p.at(node.path),
        description=node.text("description"),
        time_frame=node.text("time_frame"),
        population=node.text("population"),
        unit=measure.text("units") if measure else None,
        param_type=_upper(measure.text("param")) if measure else None,
        dispersion=measure.text("dispersion") if measure else None,
        status="POSTED" if measure is not None else "NOT_POSTED",
        groups=_groups(node, p),
    )
    known = {g.id for g in m.groups}
    analyzed = _analyzed(measure, known, p)
    for klass in measure.all("class_list/class") if measure else []:
        in_class = {**analyzed, **_analyzed(klass, known, p)}
        for category in klass.all("category_list/category"):
            for cell in category.all("measurement_list/measurement"):
                item = p.keep(
                    lambda c=cell, k=klass, ca=category, ic=in_class: _measurement(
                        c, m, known, ic, k.text("title"), ca.text("title"), p
                    )
                )
                if item is not None:
                    m.measurements.append(item)
    for analysis in node.all("analysis_list/analysis"):
        item = p.keep(lambda a=analysis: _analysis(a, known, p))
        if item is not None:
            m.analyses.append(item)
    return m


def _measurement(
    cell: Node,
    m: OutcomeMeasure,
    known: set[str],
    analyzed: dict[str, int],
    class_title: str | None,
    category: str | None,
    p: Problems,
) -> Measurement:
    where = cell.path
    group = _group(p, where, cell.attr("group_id"), known)
    value = p.number(where, "@value", cell.attr("value"))
    lower = p.number(where, "@lower_limit", cell.attr("lower_limit"))
    upper = p.number(where, "@upper_limit", cell.attr("upper_limit"))
    dispersion = (m.dispersion or "").lower()
    if any(k in dispersion for k in _BRACKETING) or (
        "inter-quartile" in dispersion and m.param_type == "MEDIAN"
    ):
        check_order(p, where, value, ("@lower_limit", lower), ("@upper_limit", upper))
    comment = cell.text()
    if value is None and cell.attr("value") and not comment:
        comment = f"given as {cell.attr('value')!r}"
    return Measurement(
        group=group,
        value=value,
        at=p.at(where),
        spread=p.number(where, "@spread", cell.attr("spread")),
        lower=lower,
        upper=upper,
        comment=comment,
        class_title=class_title,
        category=category,
        analyzed=analyzed.get(group),
    )


def _analysis(node: Node, known: set[str], p: Problems) -> Analysis:
    where = node.path
    groups = [_group(p, g.path, g.text(), known) for g in node.all("group_id_list/group_id")]
    value = p.number(node.at("param_value"), "param_value", node.text("param_value"))
    lower = p.number(node.at("ci_lower_limit"), "ci_lower_limit", node.text("ci_lower_limit"))
    upper = p.number(node.at("ci_upper_limit"), "ci_upper_limit", node.text("ci_upper_limit"))
    check_order(p, where, value, ("ci_lower_limit", lower), ("ci_upper_limit", upper))
    level = p.number(node.at("ci_percent"), "ci_percent", node.text("ci_percent"))
    if level is not None and not 0 < level < 100:
        raise p.error(where, "ci_percent", f"a confidence level lies within 0-100: {level}")
    pv = p.p_value(node.at("p_value"), "p_value", node.text("p_value"))
    comments = [node.text(k) for k in ("p_value_desc", "method_desc", "ci_upper_limit_na_comment")]
    return Analysis(
        groups=groups,
        at=p.at(where),
        param_type=node.text("param_type"),
        value=value,
        ci_level=level,
        ci_sides=node.text("ci_n_sides"),
        ci_lower=lower,
        ci_upper=upper,
        p_value=pv.value if pv else None,
        p_relation=pv.relation if pv else None,
        method=node.text("method"),
        non_inferiority=node.text("non_inferiority_type"),
        groups_description=node.text("groups_desc"),
        estimate_description=node.text("estimate_desc"),
        comment=" ".join(c for c in comments if c) or None,
    )


def _adverse_events(results: Node, t: Trial, p: Problems) -> None:
    events = results.one("reported_events")
    if events is None:
        return
    t.ae_time_frame = events.text("time_frame")
    groups = _groups(events, p)
    known = {g.id for g in groups}
    totals: dict[str, dict[str, tuple[int | None, int | None]]] = {g.id: {} for g in groups}
    for kind, serious in (("serious_events", True), ("other_events", False)):
        table = events.one(kind)
        if table is None:
            continue
        if not serious and table.text("frequency_threshold"):
            t.ae_threshold = p.keep(
                lambda tb=table: p.number(
                    tb.at("frequency_threshold"),
                    "frequency_threshold",
                    tb.text("frequency_threshold"),
                )
            )
        vocabulary = table.text("default_vocab")
        assessment = table.text("default_assessment")
        for category in table.all("category_list/category"):
            system = category.text("title")
            for row in category.all("event_list/event"):
                term = row.text("sub_title")
                if system == "Total" and term and term.lower().startswith("total"):
                    which = (
                        "deaths"
                        if "mortality" in term.lower()
                        else "serious"
                        if serious
                        else "other"
                    )
                    for cell in row.all("counts"):
                        pair = tuple(
                            p.keep(lambda c=cell, k=k: p.count(c.path, k, c.attr(k[1:])))
                            for k in ("@subjects_affected", "@subjects_at_risk")
                        )
                        totals.setdefault(cell.attr("group_id") or "", {})[which] = pair  # type: ignore[assignment]
                    continue
                item = p.keep(
                    lambda r=row, s=system, v=vocabulary, a=assessment, se=serious: _event(
                        r, se, s, v, a, known, p
                    )
                )
                if item is not None:
                    t.adverse_events.append(item)
    for group in groups:
        found = totals.get(group.id, {})
        t.event_groups.append(
            EventGroup(
                group,
                found.get("deaths", (None, None)),
                found.get("serious", (None, None)),
                found.get("other", (None, None)),
            )
        )


def _event(
    row: Node,
    serious: bool,
    system: str | None,
    vocabulary: str | None,
    assessment: str | None,
    known: set[str],
    p: Problems,
) -> AdverseEvent:
    term = row.text("sub_title")
    if not term:
        raise p.error(row.path, "sub_title", "an adverse event without a term")
    title = row.one("sub_title")
    event = AdverseEvent(
        term=term,
        serious=serious,
        at=p.at(row.path),
        organ_system=system,
        vocabulary=(title.attr("vocab") if title else None) or vocabulary,
        assessment=row.text("assessment") or assessment,
    )
    for cell in row.all("counts"):
        group = _group(p, cell.path, cell.attr("group_id"), known)
        affected = p.count(cell.path, "@subjects_affected", cell.attr("subjects_affected"))
        at_risk = p.count(cell.path, "@subjects_at_risk", cell.attr("subjects_at_risk"))
        events = p.count(cell.path, "@events", cell.attr("events"))
        if affected is not None and at_risk is not None and affected > at_risk:
            raise p.error(
                cell.path,
                "@subjects_affected",
                f"{affected} affected is above the {at_risk} at risk",
            )
        event.counts.append(AeCount(group, p.at(cell.path), affected, at_risk, events))
    return event
