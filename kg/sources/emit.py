"""Write what registries and PubMed records hold, beyond the study itself, into the graph.

Every node gets ``prov:wasDerivedFrom`` its :class:`~kg.sources.locators.PointerLocator` and
``cdek:source`` its document. Nodes of one registry record live under the study, in a folder
named after the record's digest, so two records of one study never overwrite each other.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rdflib import DCTERMS, PROV, RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef

from kg.build import add_span
from kg.iris import Minter
from kg.model import SourceDocument
from kg.normalize import slug
from kg.sources.groups import match_groups
from kg.sources.load import SourceSet, Study
from kg.sources.locators import PointerLocator
from kg.sources.records import Corpus
from kg.sources.trial import Analysis, Arm, Article, Group, Measurement, OutcomeMeasure
from kg.vocab import CDEK

__all__ = ["emit_sources"]

MESH = "https://identifiers.org/mesh:"
_ROLE = {
    "EXPERIMENTAL": "experimental",
    "ACTIVE_COMPARATOR": "control",
    "PLACEBO_COMPARATOR": "control",
    "SHAM_COMPARATOR": "control",
    "NO_INTERVENTION": "control",
}
_STATISTIC = (
    ("hazard ratio", CDEK.HazardRatio),
    ("odds ratio", CDEK.OddsRatio),
    ("risk ratio", CDEK.RiskRatio),
    ("relative risk", CDEK.RiskRatio),
    ("difference", CDEK.Difference),
    ("median", CDEK.Median),
    ("mean", CDEK.Mean),
)


def emit_sources(
    graph: Graph,
    sources: SourceSet,
    corpus: Corpus,
    mint: Minter,
    *,
    studies: dict[str, str] | None = None,
) -> None:
    """Add the registry studies' arms and results and the PubMed articles to ``graph``.

    ``studies`` maps NCT ids to study keys (default: from ``corpus``'s study records): a slice
    of the build passes the whole corpus's map, so an article links to a study of another slice.
    """
    writer = _Writer(graph, mint, corpus)
    studies = studies if studies is not None else study_keys(corpus)
    for study in sources.studies:
        writer.study(study)
    for article, document in sources.articles:
        writer.article(article, document, studies)


def study_keys(corpus: Corpus) -> dict[str, str]:
    """NCT id -> the key of a study in the graph (curated or read from the registry)."""
    return {
        curie.partition(":")[2]: item.record.id
        for item in corpus.records
        if getattr(item.record, "type", "") == "study"
        for curie in getattr(item.record, "registry_ids", [])
        if curie.startswith("clinicaltrials:")
    }


def _lit(value: Any) -> Literal:
    if isinstance(value, Decimal):
        text = format(value, "f")
        return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)
    return Literal(value)


def _date(text: str | None) -> Literal | None:
    if not text:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return Literal(text, datatype=XSD.date)
    return Literal(text)  # a month ("2015-09") stays a string: OWL 2 has no xsd:gYearMonth


class _Writer:
    def __init__(self, graph: Graph, mint: Minter, corpus: Corpus) -> None:
        from kg.pipeline import prefix_converter

        self.g = graph
        self.mint = mint
        self.corpus = corpus
        self.converter = prefix_converter()

    def xref(self, node: URIRef, curie: str) -> None:
        """A CURIE and the IRI it stands for, as every identifier of the graph has both."""
        self.add(node, CDEK.xref, Literal(curie))
        iri = self.converter.expand(curie)
        if iri:
            self.add(node, SKOS.exactMatch, URIRef(iri))

    def add(self, s: URIRef, p: URIRef, o: Any) -> None:
        if o is None or o == "":
            return
        self.g.add((s, p, o if isinstance(o, (URIRef, Literal)) else _lit(o)))

    def located(
        self,
        node: URIRef,
        cls: URIRef,
        at: PointerLocator,
        doc: SourceDocument,
        label: str | None = None,
    ) -> URIRef:
        self.add(node, RDF.type, cls)
        self.add(node, RDFS.label, label)
        self.add(node, PROV.wasDerivedFrom, at.add_to(self.g, self.mint, doc.id))
        self.add(node, CDEK.source, self.mint.document(doc.id))
        return node

    # -- a registry study ----------------------------------------------------------------

    def study(self, s: Study) -> None:
        t, doc = s.trial, s.document
        node = self.mint.study(s.key)
        base = f"{self.mint.study(s.key)}/record-{(doc.sha256 or '')[:12]}"
        self.add(node, DCTERMS.title, t.official_title or t.brief_title)
        self.add(node, DCTERMS.alternative, t.brief_title if t.official_title else None)
        for value, prop in (
            (t.status, CDEK.overallStatus),
            (t.study_type, CDEK.studyType),
            (t.allocation, CDEK.allocation),
            (t.masking, CDEK.masking),
            (t.model, CDEK.interventionModel),
            (t.purpose, CDEK.primaryPurpose),
            (t.enrollment, CDEK.enrollment),
            (t.enrollment_type, CDEK.enrollmentType),
            (t.ae_threshold, CDEK.aeFrequencyThreshold),
            (t.ae_time_frame, CDEK.aeTimeFrame),
        ):
            self.add(node, prop, value)
        for phase in t.phases:
            self.add(node, CDEK.registryPhase, phase)
        for other in [t.org_study_id, *t.secondary_ids]:
            self.add(node, CDEK.secondaryId, other)
        self.add(node, CDEK.startDate, _date(t.start_date))
        self.add(node, CDEK.primaryCompletionDate, _date(t.primary_completion_date))
        self.add(node, CDEK.completionDate, _date(t.completion_date))
        for name in s.unmatched_conditions:
            self.add(node, CDEK.conditionText, name)
        arms = {arm.label: self.arm(s, base, arm) for arm in t.arms}

        def groups(kind: str, found: list[Group]) -> dict[str, URIRef]:
            matched = match_groups(found, t.arms)
            nodes = {}
            for group in found:
                iri = URIRef(f"{base}/{kind}-group-{slug(group.id)}")
                self.located(iri, CDEK.ResultGroup, group.at, doc, group.title)
                self.add(iri, CDEK.inStudy, node)
                self.add(iri, CDEK.groupId, group.id)
                self.add(iri, RDFS.comment, group.description)
                if group.id in matched:
                    self.add(iri, CDEK.groupOfArm, arms[matched[group.id].label])
                nodes[group.id] = iri
            return nodes

        flow = groups("flow", t.flow_groups)
        for i, count in enumerate(t.flow, start=1):
            iri = self.located(
                URIRef(f"{base}/flow-{i}"),
                CDEK.ParticipantFlowCount,
                count.at,
                doc,
                f"{count.period}: {count.title} {count.count}",
            )
            self.add(iri, CDEK.inStudy, node)
            self.add(iri, CDEK.resultGroup, flow[count.group])
            self.add(iri, CDEK.period, count.period)
            self.add(
                iri,
                CDEK.milestone if count.kind == "milestone" else CDEK.withdrawalReason,
                count.title,
            )
            self.add(iri, CDEK.count, count.count)
        for i, measure in enumerate(t.outcomes, start=1):
            self.outcome(
                s, node, f"{base}/outcome-{i}", measure, groups(f"outcome-{i}", measure.groups)
            )
        events = groups("events", [e.group for e in t.event_groups])
        for group in t.event_groups:
            iri = events[group.group.id]
            for (affected, at_risk), (p_affected, p_risk) in (
                (group.deaths, (CDEK.deathsAffected, CDEK.deathsAtRisk)),
                (group.serious, (CDEK.seriousAffected, CDEK.seriousAtRisk)),
                (group.other, (CDEK.otherAffected, CDEK.otherAtRisk)),
            ):
                self.add(iri, p_affected, affected)
                self.add(iri, p_risk, at_risk)
        self.adverse_events(s, node, base, events)
        for i, ref in enumerate(t.references, start=1):
            iri = self.located(
                URIRef(f"{base}/reference-{i}"),
                CDEK.StudyReference,
                ref.at,
                doc,
                f"PMID {ref.pmid} ({ref.type or 'reference'})",
            )
            publication = self.publication(ref.pmid, ref.at, doc)
            self.add(node, CDEK.hasReference, iri)
            self.add(iri, CDEK.referencedPublication, publication)
            self.add(iri, CDEK.referenceType, ref.type)
            self.add(iri, DCTERMS.bibliographicCitation, ref.citation)

    def arm(self, s: Study, base: str, arm: Arm) -> URIRef:
        node = self.located(
            URIRef(f"{base}/arm-{slug(arm.label)}"), CDEK.StudyArm, arm.at, s.document, arm.label
        )
        study = self.mint.study(s.key)
        self.add(study, CDEK.hasArm, node)
        self.add(node, CDEK.inStudy, study)
        role = _ROLE.get(arm.type or "") or (
            "cohort" if s.trial.study_type == "OBSERVATIONAL" else None
        )
        self.add(node, CDEK.armRole, role)
        self.add(node, CDEK.armType, arm.type)
        regimen = self.located(URIRef(f"{node}/regimen"), CDEK.Regimen, arm.at, s.document)
        self.add(node, CDEK.receivesRegimen, regimen)
        self.add(regimen, CDEK.doseText, arm.description)
        given = [
            i
            for i in s.trial.interventions
            if i.name in arm.interventions or arm.label in i.arm_labels
        ]
        names = []
        for item in given:
            names.append(f"{item.type.replace('_', ' ').lower()}: {item.name}")
            self.add(regimen, CDEK.interventionText, names[-1])
            if item.name in s.drugs:
                self.add(regimen, CDEK.regimenDrug, self.mint.drug(s.drugs[item.name]))
            if item.name in s.placebo:
                self.add(regimen, CDEK.isPlacebo, True)
        self.add(regimen, RDFS.label, "; ".join(names) or arm.label)
        return node

    # -- results -----------------------------------------------------------------------

    def outcome(
        self, s: Study, study: URIRef, base: str, m: OutcomeMeasure, groups: dict[str, URIRef]
    ) -> None:
        doc = s.document
        node = self.located(URIRef(base), CDEK.OutcomeMeasure, m.at, doc, m.title)
        self.add(study, CDEK.hasOutcomeMeasure, node)
        self.add(node, CDEK.inStudy, study)
        self.add(node, CDEK.outcomeRole, m.role)
        self.add(node, SKOS.definition, m.description)
        self.add(node, CDEK.timeFrame, m.time_frame)
        self.add(node, CDEK.populationDescription, m.population)
        self.add(node, CDEK.unitOfMeasure, m.unit)
        self.add(node, CDEK.parameterType, m.param_type)
        self.add(node, CDEK.dispersionType, m.dispersion)
        self.add(node, CDEK.reportingStatus, m.status)
        for j, value in enumerate(m.measurements, start=1):
            self.measurement(s, study, m, URIRef(f"{base}/measurement-{j}"), value, groups)
        for j, analysis in enumerate(m.analyses, start=1):
            self.analysis(s, study, node, URIRef(f"{base}/analysis-{j}"), analysis, groups)

    def measurement(
        self,
        s: Study,
        study: URIRef,
        m: OutcomeMeasure,
        node: URIRef,
        v: Measurement,
        groups: dict[str, URIRef],
    ) -> None:
        shown = "NA" if v.value is None else str(v.value)
        where = " / ".join(x for x in (v.class_title, v.category) if x)
        label = f"{m.title[:60]}: {shown} {m.unit or ''}".strip() + (f" ({where})" if where else "")
        self.located(node, CDEK.Measurement, v.at, s.document, label)
        self.add(node, CDEK.inStudy, study)
        self.add(node, CDEK.ofOutcomeMeasure, URIRef(str(node).rsplit("/", 1)[0]))
        self.add(node, CDEK.resultGroup, groups[v.group])
        self.add(node, CDEK.value, v.value)
        if v.value is None:
            self.add(node, CDEK.notAvailable, v.comment or "not available")
        else:
            self.add(node, RDFS.comment, v.comment)
        self.add(node, CDEK.spread, v.spread)
        dispersion = (m.dispersion or "").lower()
        if "confidence interval" in dispersion:
            self.add(node, CDEK.ciLower, v.lower)
            self.add(node, CDEK.ciUpper, v.upper)
            level = re.match(r"\s*(\d+(?:\.\d+)?)\s*%", m.dispersion or "")
            self.add(node, CDEK.ciLevel, Decimal(level[1]) if level else None)
        else:
            self.add(node, CDEK.dispersionLower, v.lower)
            self.add(node, CDEK.dispersionUpper, v.upper)
        self.add(node, CDEK.classTitle, v.class_title)
        self.add(node, CDEK.category, v.category)
        self.add(node, CDEK.participantsAnalyzed, v.analyzed)

    def analysis(
        self,
        s: Study,
        study: URIRef,
        measure: URIRef,
        node: URIRef,
        a: Analysis,
        groups: dict[str, URIRef],
    ) -> None:
        shown = f"{a.param_type or 'analysis'} {a.value if a.value is not None else ''}".strip()
        if a.ci_lower is not None or a.ci_upper is not None:
            shown += f" ({a.ci_lower}-{a.ci_upper})"
        if a.p_value is not None:
            shown += f", p{'' if a.p_relation == '=' else a.p_relation}{a.p_value}"
        self.located(node, CDEK.StatisticalAnalysis, a.at, s.document, shown)
        self.add(node, CDEK.inStudy, study)
        self.add(measure, CDEK.hasAnalysis, node)
        self.add(node, CDEK.ofOutcomeMeasure, measure)
        for group in a.groups:
            self.add(node, CDEK.comparesGroup, groups[group])
        self.add(node, CDEK.parameterType, a.param_type)
        kind = (a.param_type or "").lower()
        self.add(node, CDEK.analysisStatistic, next((k for w, k in _STATISTIC if w in kind), None))
        self.add(node, CDEK.value, a.value)
        self.add(node, CDEK.ciLevel, a.ci_level)
        self.add(node, CDEK.ciSides, a.ci_sides)
        self.add(node, CDEK.ciLower, a.ci_lower)
        self.add(node, CDEK.ciUpper, a.ci_upper)
        self.add(node, CDEK.pValue, a.p_value)
        self.add(node, CDEK.pValueRelation, a.p_relation)
        self.add(node, CDEK.statisticalMethod, a.method)
        self.add(node, CDEK.nonInferiorityType, a.non_inferiority)
        self.add(node, CDEK.estimateDescription, a.estimate_description)
        self.add(node, SKOS.scopeNote, a.groups_description)
        self.add(node, RDFS.comment, a.comment)

    def adverse_events(self, s: Study, study: URIRef, base: str, groups: dict[str, URIRef]) -> None:
        arms = self._arms_of(groups)
        for i, event in enumerate(s.trial.adverse_events, start=1):
            kind = "serious" if event.serious else "other"
            row = self.located(
                URIRef(f"{base}/{kind}-event-{i}"),
                CDEK.ReportedAdverseEvent,
                event.at,
                s.document,
                f"{event.term} ({kind})",
            )
            term = self.mint.ae_term(s.terms[event.term])
            self.add(row, CDEK.inStudy, study)
            self.add(row, CDEK.adverseEventTermOf, term)
            self.add(row, CDEK.serious, event.serious)
            self.add(row, CDEK.organSystem, event.organ_system)
            self.add(row, CDEK.sourceVocabulary, event.vocabulary)
            self.add(row, CDEK.assessmentType, event.assessment)
            for count in event.counts:
                if count.affected is None:
                    continue
                node = self.located(
                    URIRef(f"{row}/{slug(count.group)}"),
                    CDEK.AdverseEventResult,
                    count.at,
                    s.document,
                    f"{event.term} {count.affected}/{count.at_risk}",
                )
                self.add(node, CDEK.inStudy, study)
                self.add(study, CDEK.hasResult, node)
                self.add(node, CDEK.reportedEvent, row)
                self.add(node, CDEK.adverseEventTerm, term)
                self.add(node, CDEK.resultGroup, groups[count.group])
                self.add(node, CDEK.resultArm, arms.get(count.group))
                self.add(node, CDEK.serious, event.serious)
                # the registry gives no grade: a count of the term at any grade, 1 to 5
                self.add(node, CDEK.gradeMin, 1)
                self.add(node, CDEK.gradeMax, 5)
                self.add(node, CDEK.count, count.affected)
                if count.at_risk:
                    self.add(node, CDEK.denominator, count.at_risk)
                else:
                    self.add(node, CDEK.atRiskCount, count.at_risk)
                self.add(node, CDEK.eventCount, count.events)

    def _arms_of(self, groups: dict[str, URIRef]) -> dict[str, URIRef]:
        return {
            gid: arm
            for gid, iri in groups.items()
            if (arm := self.g.value(iri, CDEK.groupOfArm)) is not None
        }

    # -- PubMed --------------------------------------------------------------------------

    def publication(self, pmid: str, at: PointerLocator, doc: SourceDocument) -> URIRef:
        node = self.mint("publication", pmid)
        self.located(node, CDEK.Publication, at, doc)
        self.xref(node, f"pubmed:{pmid}")
        return node

    def article(self, a: Article, doc: SourceDocument, studies: dict[str, str]) -> None:
        node = self.publication(a.pmid, a.at, doc)
        self.add(node, RDFS.label, a.title or f"PMID {a.pmid}")
        self.add(node, DCTERMS.title, a.title)
        self.add(node, CDEK.journal, a.journal)
        self.add(node, DCTERMS.issued, a.published)
        self.add(node, CDEK.publicationDate, None if a.published else a.year)
        if a.doi:
            self.xref(node, f"doi:{a.doi}")
        if a.pmc:
            self.xref(node, f"pmc:{a.pmc}")
        for author in a.authors:
            self.add(node, DCTERMS.creator, author)
        for kind in a.publication_types:
            self.add(node, CDEK.publicationType, kind.term)
        for chemical in a.chemicals:
            self.add(node, CDEK.chemical, URIRef(MESH + chemical.id) if chemical.id else None)
        for i, heading in enumerate(a.mesh, start=1):
            iri = URIRef(f"{node}/mesh-{i}")
            self.add(node, CDEK.meshHeading, iri)
            self.add(iri, RDF.type, CDEK.MeshHeading)
            self.add(iri, RDFS.label, "/".join([heading.term, *(q[0] for q in heading.qualifiers)]))
            self.add(iri, CDEK.descriptor, URIRef(MESH + heading.id) if heading.id else None)
            self.add(iri, CDEK.majorTopic, heading.major)
            for _, ui, major in heading.qualifiers:
                qualifier = URIRef(MESH + ui) if ui else None
                self.add(iri, CDEK.qualifier, qualifier)
                if major:
                    self.add(iri, CDEK.majorQualifier, qualifier)
        for nct, _ in a.nct_ids:
            self.add(node, CDEK.trialRegistration, nct)
            key = studies.get(nct)
            if key is not None:
                self.add(node, CDEK.aboutStudy, self.mint.study(key))
        if a.abstract:
            self.abstract(a, node, doc)

    def abstract(self, a: Article, publication: URIRef, doc: SourceDocument) -> None:
        """The abstract as a document of its own, each section a span of its text."""
        doc_id = f"pubmed-{a.pmid}-abstract"
        node = self.mint.document(doc_id)
        self.add(publication, CDEK.abstractDocument, node)
        self.add(node, RDF.type, CDEK.SourceDocument)
        self.add(node, RDFS.label, f"Abstract of PMID {a.pmid}")
        self.add(node, DCTERMS.title, f"Abstract of PMID {a.pmid}")
        self.add(node, CDEK.documentKind, "bibliographic-record")
        self.add(node, CDEK.text, a.abstract)
        self.add(node, DCTERMS.isPartOf, self.mint.document(doc.id))
        for section in a.sections:
            name = section.label or section.category or "abstract"
            exact = a.abstract[section.start : section.end]
            offsets = (section.start, section.end)
            add_span(self.add, self.mint, doc_id, name, offsets, (exact, "", ""))
