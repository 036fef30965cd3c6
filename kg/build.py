"""Turn a loaded corpus into an RDF graph: a pure function, no file is written here.

Statements of the same quantity (same study, endpoint, statistic, arm, time point
and population) from several places are merged into one node with every source.
Where two places disagree, each value is kept with its own provenance and a
``cdek:ValueConflict`` node links them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from typing import Literal as Choice

import curies
import rdflib.namespace
from pydantic import BaseModel
from rdflib import Graph, Literal, URIRef

from kg import units, vocab
from kg.dates import PartialDate
from kg.iris import Minter
from kg.model import (
    AdverseEventRecord,
    ApprovalRecord,
    ArmRecord,
    BaselineRecord,
    DeviationRecord,
    DiseaseGeneRecord,
    DrugTargetRecord,
    FindingRecord,
    OutcomeRecord,
    ParticipantsRecord,
    ProtocolRuleRecord,
    SampleSizeRecord,
    StudyEndpointRecord,
    StudyRecord,
)
from kg.normalize import slug
from kg.sources.records import Corpus, Loaded, Problem, check_documents
from kg.triples import TripleSet
from kg.vocab import Terms

__all__ = ["BuildResult", "Conflict", "Part", "bind_prefixes", "build_graph"]

# each term looked up once (kg.vocab.Terms)
CDEK, OA = Terms(vocab.CDEK), Terms(vocab.OA)
DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD = (
    Terms(getattr(rdflib.namespace, name))
    for name in ("DCTERMS", "OWL", "PROV", "RDF", "RDFS", "SKOS", "XSD")
)

Part = Choice["all", "entities", "records"]

_STATISTIC = {
    "rate": CDEK.Rate,
    "median": CDEK.Median,
    "mean": CDEK.Mean,
    "hazard-ratio": CDEK.HazardRatio,
    "count": CDEK.Count,
    "proportion": CDEK.Proportion,
    "minimum": CDEK.Minimum,
    "difference": CDEK.Difference,
}
_METHOD = {
    "cox-ph": CDEK.CoxProportionalHazards,
    "stratified-cox-ph": CDEK.StratifiedCoxProportionalHazards,
    "log-rank": CDEK.LogRankTest,
    "stratified-log-rank": CDEK.StratifiedLogRankTest,
    "kaplan-meier": CDEK.KaplanMeier,
    "cmh": CDEK.CochranMantelHaenszel,
    "ancova": CDEK.Ancova,
    "exact-binomial": CDEK.ExactBinomial,
    "fisher-exact": CDEK.FisherExactTest,
    "chi-square": CDEK.ChiSquareTest,
}
_VALENCE = {"harmful": CDEK.HarmfulEvent, "beneficial": CDEK.BeneficialEvent}
# catalogue fields of identifiers that are not exact, and the SKOS relation each becomes
_MAPPINGS = (
    ("broad_identifiers", SKOS.broadMatch),
    ("narrow_identifiers", SKOS.narrowMatch),
    ("close_identifiers", SKOS.closeMatch),
)
# how a source document relates to a publication that was not itself read
_RELATED = {
    "source": DCTERMS.source,
    "protocol": CDEK.protocolPublication,
    "full-report": CDEK.fullReport,
}
_CONTEXT = 32  # characters of oa:prefix and oa:suffix around a quoted span
_STUDY_CLASS = {
    "randomized-controlled-trial": CDEK.RandomizedControlledTrial,
    "registry": CDEK.RegistryStudy,
    "observational": CDEK.ObservationalStudy,
    "single-arm-trial": CDEK.ClinicalStudy,
}


@dataclass(frozen=True)
class Conflict:
    """Two or more places that give different values for one quantity."""

    iri: URIRef
    quantity: str
    fields: tuple[str, ...]
    variants: tuple[tuple[str, tuple[str, ...]], ...]  # (values, sources)

    def __str__(self) -> str:
        shown = "; ".join(f"{values} [{', '.join(src)}]" for values, src in self.variants)
        return f"{self.quantity}: {', '.join(self.fields)} differ: {shown}"


@dataclass
class BuildResult:
    """The graph and what the build noticed on the way."""

    graph: Graph | TripleSet
    conflicts: list[Conflict] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


@dataclass
class _Variant:
    values: dict[str, Any]
    sources: list[Loaded]


def bind_prefixes(graph: Graph | TripleSet, minter: Minter) -> None:
    """The prefixes every output uses."""
    graph.bind("cdek", CDEK._NS, override=True)
    graph.bind("kgr", minter.base, override=True)
    for prefix, namespace in (
        ("oa", OA),
        ("prov", PROV),
        ("skos", SKOS),
        ("dcterms", DCTERMS),
        ("owl", OWL),
    ):
        graph.bind(prefix, namespace, override=True)


def build_graph(
    corpus: Corpus,
    *,
    minter: Minter,
    converter: curies.Converter,
    documents_dir: Path | None = None,
    part: Part = "all",
    quotes: bool = False,
    graph: Graph | TripleSet | None = None,
) -> BuildResult:
    """Build the evidence graph of a corpus.

    With ``documents_dir`` each span is first checked against its document's text
    (:func:`~kg.sources.records.check_documents`): a file with a span past the end of its
    document is left out of ``corpus``, and every span gets a text quote selector (``oa:exact``).
    ``part`` builds only the entities (drugs, diseases, targets, terms, endpoints) or only the
    documents and records: the streaming build (:mod:`kg.fragments`) makes each on its own.
    ``quotes`` says the corpus's documents were checked already and its texts give the quotes.
    ``graph`` receives the triples (default: a new rdflib graph).
    """
    if documents_dir is not None:
        check_documents(corpus, documents_dir)
    builder = _Builder(corpus, minter, converter, quotes or documents_dir is not None, graph)
    builder.run(part)
    return builder.result


class _Builder:
    def __init__(
        self,
        corpus: Corpus,
        minter: Minter,
        converter: curies.Converter,
        quotes: bool,
        graph: Graph | TripleSet | None = None,
    ) -> None:
        self.corpus = corpus
        self.mint = minter
        self.converter = converter
        self.quotes = quotes
        self.graph = graph if graph is not None else Graph()
        bind_prefixes(self.graph, minter)
        self.result = BuildResult(self.graph)
        self.doc_by_file = {d.file: d.id for d in corpus.documents.values()}
        self._spans: dict[tuple[str, str, int, int], URIRef] = {}  # written once each

    def add(self, s: URIRef, p: URIRef, o: Any) -> None:
        if o is None:
            return
        if not isinstance(o, (URIRef, Literal)):
            o = _literal(o)
        self.graph.add((s, p, o))

    # -- entities ------------------------------------------------------------------

    def run(self, part: Part = "all") -> None:
        if part != "records":
            self._entities()
        if part == "entities":
            return
        self._documents()
        self._studies()
        self._arms()
        self._quantities(
            ParticipantsRecord,
            identity=lambda r: (r.study, r.arm, r.condition, r.population),
            values=lambda r: {"n": r.n, "denominator": r.denominator, "percent": r.percent},
            compared=("n",),
            emit=self._emit_participants,
        )
        self._quantities(
            OutcomeRecord,
            identity=lambda r: (
                r.study,
                r.endpoint,
                r.statistic,
                r.arm,
                r.comparator,
                r.time_point,
                r.time_unit,
                r.population,
                r.condition,
            ),
            values=_outcome_values,
            compared=None,
            emit=self._emit_outcome,
        )
        self._quantities(
            AdverseEventRecord,
            identity=lambda r: (r.study, r.arm, r.term, r.grade, r.attribution, r.serious),
            values=lambda r: {
                "count": r.count,
                "denominator": r.denominator,
                "percent": r.percent.value if r.percent else None,
                "percent_relation": r.percent.relation if r.percent else None,
                "fatal": r.fatal,
            },
            compared=None,
            emit=self._emit_adverse_event,
        )
        self._statements()
        self._design()

    def _identifiers(self, node: URIRef, identifiers: Iterable[str], owner: str) -> None:
        for curie in identifiers:
            self.add(node, CDEK.xref, Literal(curie))
            iri = self.converter.expand(curie)
            if iri is None:
                self.result.errors.append(
                    Problem("prefixmap", owner, "identifiers", f"no IRI form for {curie!r}")
                )
                continue
            self.add(node, SKOS.exactMatch, URIRef(iri))

    def _documents(self) -> None:
        for doc in self.corpus.documents.values():
            node = self.mint.document(doc.id)
            self.add(node, RDF.type, CDEK.SourceDocument)
            self.add(node, RDFS.label, doc.title)
            self.add(node, DCTERMS.title, doc.title)
            self.add(node, CDEK.documentKind, doc.kind)
            self.add(node, CDEK.fileName, doc.file)
            self.add(node, CDEK.sha256, doc.sha256)
            self.add(node, DCTERMS.issued, doc.published)
            self.add(node, DCTERMS.bibliographicCitation, doc.venue)
            if doc.url:
                self.add(node, RDFS.seeAlso, URIRef(doc.url))
            if doc.describes:
                self.add(node, DCTERMS.isVersionOf, self.mint.document(doc.describes))
            self._identifiers(node, doc.identifiers, f"document {doc.id}")
            for pub in doc.related:  # a publication it rests on, not the document itself
                related = self.mint.publication(pub.identifiers[0])
                self.add(node, _RELATED[pub.relation], related)
                self.add(related, RDF.type, CDEK.Publication)
                self.add(related, CDEK.source, node)  # the document that names it
                self.add(related, RDFS.label, pub.label)
                self.add(related, DCTERMS.bibliographicCitation, pub.venue)
                self._identifiers(related, pub.identifiers, f"document {doc.id} related")

    def _entities(self) -> None:
        c, m = self.corpus, self.mint
        for drug in c.drugs.values():
            node = self._entity(m.drug(drug.key), CDEK.Drug, drug, [*drug.synonyms, *drug.brands])
            for curie in drug.salt_identifiers:
                iri = self.converter.expand(curie)
                if iri is None:
                    self.result.errors.append(
                        Problem(
                            "prefixmap", drug.key, "salt_identifiers", f"no IRI form for {curie!r}"
                        )
                    )
                    continue
                self.add(node, SKOS.closeMatch, URIRef(iri))
        for disease in c.diseases.values():
            node = self._entity(m.disease(disease.key), CDEK.Disease, disease, disease.synonyms)
            if disease.parent:
                self.add(node, CDEK.subtypeOf, m.disease(disease.parent))
        for target in c.targets.values():
            kind = CDEK.TargetFamily if target.kind == "family" else CDEK.GeneProduct
            node = self._entity(m.target(target.key), kind, target, target.synonyms)
            if target.kinase:  # as stated in its record file (kg/data/kinases.csv: the seed's)
                self.add(node, RDF.type, CDEK.ProteinKinase)
            for member in target.members:
                self.add(node, CDEK.hasMember, m.target(member))
        for term in c.ae_terms.values():
            node = self._entity(m.ae_term(term.key), CDEK.AdverseEventTerm, term, term.synonyms)
            kind = (
                CDEK.AdverseEventAggregate
                if term.aggregate
                else CDEK.AdverseEventCategory
                if term.category
                else CDEK.SpecificAdverseEventTerm
            )
            self.add(node, RDF.type, kind)
        for endpoint in c.endpoints.values():
            names = [*endpoint.synonyms, *filter(None, [endpoint.abbreviation])]
            node = self._entity(m.endpoint(endpoint.key), CDEK.Endpoint, endpoint, names)
            if endpoint.event:
                self.add(node, CDEK.eventValence, _VALENCE[endpoint.event])

    def _entity(self, node: URIRef, cls: URIRef, entity: Any, names: list[str]) -> URIRef:
        self.add(node, RDF.type, cls)
        self.add(node, RDFS.label, entity.label)
        for name in names:
            self.add(node, SKOS.altLabel, name)
        self.add(node, SKOS.definition, entity.definition)
        self._identifiers(node, entity.identifiers, f"{entity.key}")
        for field_name, relation in _MAPPINGS:  # not the same class: never an exactMatch/xref
            for curie in getattr(entity, field_name, []):
                iri = self.converter.expand(curie)
                if iri is None:
                    message = f"no IRI form for {curie!r}"
                    self.result.errors.append(Problem("prefixmap", entity.key, field_name, message))
                    continue
                self.add(node, relation, URIRef(iri))
        # a reason stated in the record file; kg/data/identifier-gaps.csv adds the embedded ones
        self.add(node, CDEK.identifierGap, getattr(entity, "identifier_gap", None))
        return node

    # -- provenance ----------------------------------------------------------------

    def _provenance(self, node: URIRef, sources: Iterable[Loaded]) -> None:
        for item in sources:
            for loc in item.record.loc:
                if hasattr(loc, "add_to"):  # a JSON Pointer or XPath (kg.sources.locators)
                    doc_id = self.doc_by_file.get(loc.file) if loc.file else item.document.id
                    self.add(node, PROV.wasDerivedFrom, loc.add_to(self.graph, self.mint, doc_id))
                    self.add(node, CDEK.source, self.mint.document(doc_id))
                    continue
                doc_id = self.doc_by_file.get(loc.file) if loc.file else item.document.id
                if doc_id is None:  # the loader leaves such records out
                    message = f"unknown document {loc.file!r}"
                    self.result.errors.append(
                        Problem(item.file, item.name, "loc.file", message, item.line)
                    )
                    continue
                span = self._span(doc_id, loc.section, *loc.span)
                self.add(node, PROV.wasDerivedFrom, span)
                self.add(node, CDEK.source, self.mint.document(doc_id))
            if item.record.note:
                self.add(node, CDEK.curatorNote, item.record.note)
            if getattr(item.record, "extraction", None) is not None:
                self._extracted(node, item.record)

    def _extracted(self, node: URIRef, record: Any) -> None:
        """A machine-drafted fact: generated by a text extraction, with its rule and review."""
        how = record.extraction
        activity = self.mint("extraction", slug(how.tool))
        self.add(activity, RDF.type, CDEK.TextExtraction)
        self.add(activity, RDFS.label, how.tool)
        self.add(node, PROV.wasGeneratedBy, activity)
        self.add(node, CDEK.extractionRule, how.rule)
        self.add(node, CDEK.extractionConfidence, Decimal(str(how.confidence)))
        self.add(node, CDEK.reviewStatus, record.review or "draft")

    def _span(self, doc_id: str, section: str, start: int, end: int) -> URIRef:
        key = (doc_id, section, start, end)  # records cite one span ~4 times: its triples once
        if key not in self._spans:
            quote = self._quote(doc_id, start, end)
            self._spans[key] = add_span(self.add, self.mint, doc_id, section, (start, end), quote)
        return self._spans[key]

    def _quote(self, doc_id: str, start: int, end: int) -> tuple[str, str, str] | None:
        """The supporting text (0-based, end-exclusive offsets) and up to 32 characters before
        and after it (to tell repeats apart), when the document was read."""
        text = self.corpus.texts.get(doc_id) if self.quotes else None
        if text is None:
            return None
        return text[start:end], text[max(0, start - _CONTEXT) : start], text[end : end + _CONTEXT]

    # -- studies and arms ----------------------------------------------------------

    def _merge_fields(
        self, kind: str, key: str, items: list[Loaded]
    ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """One value per field, and the further values of fields records give differently.

        Lists are united and sub-models (a design) completed from each other; a field two
        records give differently is also a warning.
        """
        merged: dict[str, Any] = {}
        others: dict[str, list[Any]] = defaultdict(list)
        for item in items:
            for name, value in item.record:
                if value in (None, [], "") or name in {"loc", "note", "type"}:
                    continue
                if isinstance(value, list):
                    merged[name] = sorted(set(merged.get(name, [])) | set(value))
                elif isinstance(value, BaseModel) and isinstance(merged.get(name), BaseModel):
                    combined = _combine(merged[name], value)
                    if combined is None:
                        message = f"{kind} {key!r}: {name} differs"
                        self.result.warnings.append(
                            Problem(item.file, item.name, name, message, item.line)
                        )
                    else:
                        merged[name] = combined
                elif name in merged and merged[name] != value:
                    self.result.warnings.append(
                        Problem(
                            item.file,
                            item.name,
                            name,
                            f"{kind} {key!r} already has {merged[name]!r}; kept both",
                            item.line,
                        )
                    )
                    others[name].append(value)
                else:
                    merged[name] = value
        return merged, others

    def _studies(self) -> None:
        groups = _group(self.corpus.of_type(StudyRecord), lambda r: r.id)
        for key, items in groups.items():
            node = self.mint.study(key)
            fields, others = self._merge_fields("study", key, items)
            design = fields.get("design")
            self.add(node, RDF.type, CDEK.ClinicalStudy)
            if design is not None:
                self.add(node, RDF.type, _STUDY_CLASS[design.kind])
                self.add(node, CDEK.phase, design.phase)
                self.add(node, CDEK.randomized, design.randomized)
                self.add(node, CDEK.blinding, design.blinding)
                self.add(node, CDEK.controlType, design.control)
                self.add(node, CDEK.allocationRatio, design.allocation_ratio)
                self.add(node, CDEK.multicenter, design.multicenter)
                self.add(node, CDEK.offLabelUse, design.off_label)
            self.add(node, RDFS.label, fields.get("label") or fields.get("acronym") or key)
            self.add(node, CDEK.acronym, fields.get("acronym"))
            self.add(node, CDEK.sponsor, fields.get("sponsor"))
            self.add(node, CDEK.enrollmentStart, fields.get("enrollment_start"))
            self.add(node, CDEK.enrollmentEnd, fields.get("enrollment_end"))
            for sites in [fields.get("sites"), *others["sites"]]:
                self.add(node, CDEK.siteCount, sites)
            for qualifier in fields.get("condition_qualifiers", []):
                self.add(node, CDEK.conditionQualifier, qualifier)
            self._identifiers(node, fields.get("registry_ids", []), f"study {key}")
            for disease in fields.get("conditions", []):
                self.add(node, CDEK.studiesCondition, self.mint.disease(disease))
            for drug in fields.get("drugs", []):
                self.add(node, CDEK.studiesDrug, self.mint.drug(drug))
            self._provenance(node, items)
        # every document that holds a record about a study reports it
        for item in self.corpus.records:
            study = getattr(item.record, "study", None) or (
                item.record.id if isinstance(item.record, StudyRecord) else None
            )
            if study is not None:
                self.add(
                    self.mint.document(item.document.id), CDEK.reportsStudy, self.mint.study(study)
                )

    def _arms(self) -> None:
        groups = _group(self.corpus.of_type(ArmRecord), lambda r: (r.study, r.id))
        for (study, key), items in groups.items():
            fields, _ = self._merge_fields("arm", f"{study}/{key}", items)
            node = self.mint.arm(study, key)
            study_node = self.mint.study(study)
            cohort = fields["role"] == "cohort"  # a registry stratum: may share patients
            self.add(node, RDF.type, CDEK.RegistryCohort if cohort else CDEK.StudyArm)
            self.add(node, RDFS.label, fields["label"])
            self.add(node, CDEK.armRole, fields["role"])
            self.add(node, CDEK.onLabelUse, True if fields.get("on_label") else None)
            for larger in fields.get("within", []):
                self.add(node, CDEK.withinCohort, self.mint.arm(study, larger))
            self.add(node, CDEK.inStudy, study_node)
            self.add(study_node, CDEK.hasArm, node)
            if fields.get("condition"):
                self.add(node, CDEK.cohortCondition, self.mint.disease(fields["condition"]))
            regimen = fields["regimen"]
            reg = self.mint.regimen(study, key)
            self.add(node, CDEK.receivesRegimen, reg)
            self.add(reg, RDF.type, CDEK.Regimen)
            self.add(reg, RDFS.label, _regimen_label(regimen, self.corpus))
            for drug in regimen.drugs:
                self.add(reg, CDEK.regimenDrug, self.mint.drug(drug))
            for drug in regimen.with_some:
                self.add(reg, CDEK.someAlsoReceived, self.mint.drug(drug))
            for part in regimen.components:
                self._dosing(self._component(reg, part), part, items[0])
            self.add(reg, CDEK.isPlacebo, regimen.placebo or None)
            self.add(reg, CDEK.isObservation, regimen.observation or None)
            self.add(reg, CDEK.dose, regimen.dose)
            self.add(reg, CDEK.doseUnit, regimen.unit)
            self.add(reg, CDEK.frequency, regimen.frequency)
            self.add(reg, CDEK.route, regimen.route)
            self.add(reg, CDEK.maxDuration, regimen.max_duration)
            self._dosing(reg, regimen, items[0])
            self._provenance(node, items)
            self._provenance(reg, items)

    def _component(self, regimen: URIRef, part: Any) -> URIRef:
        """One drug of a combination with its own dose."""
        node = URIRef(f"{regimen}/{part.drug}")
        self.add(regimen, CDEK.hasComponent, node)
        self.add(node, RDF.type, CDEK.RegimenComponent)
        self.add(node, RDFS.label, f"{self.corpus.drugs[part.drug].label} {part.dose} {part.unit}")
        self.add(node, CDEK.regimenDrug, self.mint.drug(part.drug))
        self.add(node, CDEK.dose, part.dose)
        self.add(node, CDEK.doseUnit, part.unit)
        self.add(node, CDEK.frequency, part.frequency)
        self.add(node, CDEK.route, part.route)
        return node

    def _ucum(self, word: str, record: Any) -> str | None:
        """The UCUM code of a unit word, or an error naming the record's file and record."""
        try:
            return units.ucum(word)
        except units.UnknownTerm as error:
            item = next(i for i in self.corpus.records if i.record is record)
            self.result.errors.append(Problem(item.file, item.name, "unit", str(error), item.line))
            return None

    def _dosing(self, node: URIRef, regimen: Any, item: Loaded) -> None:
        """Beside the words of a regimen (or component): the UCUM code of its dose unit and of its
        maximum duration, and the coded frequency and route (kg/units.py)."""
        try:
            if regimen.unit:
                self.add(node, CDEK.doseUnitCode, units.ucum(regimen.unit))
            if regimen.frequency:
                self.add(node, CDEK.dosingFrequency, CDEK[units.frequency(regimen.frequency)])
            if regimen.route:
                self.add(node, CDEK.administrationRoute, CDEK[units.route(regimen.route)])
            if getattr(regimen, "max_duration", None):
                value, code = units.duration(regimen.max_duration)
                self.add(node, CDEK.maxDurationValue, value)
                self.add(node, CDEK.maxDurationUnitCode, code)
        except ValueError as error:  # records are checked on loading: this is a model gap
            problem = Problem(item.file, item.name, "regimen", str(error), item.line)
            self.result.errors.append(problem)

    # -- quantities (participants, outcomes, adverse events) -----------------------

    def _quantities(
        self,
        kind: type[Any],
        *,
        identity: Callable[[Any], Hashable],
        values: Callable[[Any], dict[str, Any]],
        compared: tuple[str, ...] | None,
        emit: Callable[[URIRef, Any, dict[str, Any]], None],
    ) -> None:
        groups = _group(self.corpus.of_type(kind), identity)
        for key, items in groups.items():
            variants = _variants(items, values)
            first = items[0].record
            base = self._quantity_iri(first)
            nodes = [
                base if len(variants) == 1 else URIRef(f"{base}-v{i}")
                for i in range(1, len(variants) + 1)
            ]
            for node, variant in zip(nodes, variants, strict=True):
                emit(node, first, variant.values)
                self._provenance(node, variant.sources)
                self._consistency(node, variant)
            self._conflict(base, key, variants, nodes, compared)

    def _quantity_iri(self, r: Any) -> URIRef:
        if isinstance(r, ParticipantsRecord):
            return self.mint.in_study(
                r.study, "participants", r.population, r.arm or "all", r.condition or ""
            )
        if isinstance(r, OutcomeRecord):
            versus = f"vs-{r.comparator}" if r.comparator else ""
            when = f"{r.time_point}{r.time_unit}" if r.time_point is not None else ""
            return self.mint.in_study(
                r.study,
                "result",
                r.endpoint,
                r.statistic,
                r.arm or "all",
                versus,
                when,
                r.population or "",
                r.condition or "",
            )
        return self.mint.in_study(
            r.study,
            "adverse-event",
            r.arm or "all",
            r.term,
            f"grade-{r.grade or 'any'}",
            r.attribution or "",
            "serious" if r.serious else "",
        )

    def _conflict(
        self,
        base: URIRef,
        key: Hashable,
        variants: list[_Variant],
        nodes: list[URIRef],
        compared: tuple[str, ...] | None,
    ) -> None:
        if len(variants) < 2:
            return
        names = sorted({n for v in variants for n in v.values})
        differing = tuple(
            n
            for n in names
            if (compared is None or n in compared)
            and len({v.values[n] for v in variants if v.values.get(n) is not None}) > 1
        )
        if not differing:
            return
        node = URIRef(f"{base}-conflict")
        self.add(node, RDF.type, CDEK.ValueConflict)
        label = base.removeprefix(self.mint.base)
        self.add(node, RDFS.label, f"Sources disagree on {', '.join(differing)} of {label}")
        for name in differing:
            self.add(node, CDEK.conflictField, name)
        shown = []
        for variant, variant_node in zip(variants, nodes, strict=True):
            self.add(node, CDEK.conflictingResult, variant_node)
            self.add(variant_node, CDEK.hasConflict, node)
            values = ", ".join(f"{n}={variant.values.get(n)}" for n in differing)
            where = tuple(
                f"{s.document.file[:3]} {loc.section} @{loc.span[0]}"
                for s in variant.sources
                for loc in s.record.loc
            )
            shown.append((values, where))
        self.result.conflicts.append(Conflict(node, label, differing, tuple(shown)))

    def _consistency(self, node: URIRef, variant: _Variant) -> None:
        """Warn where a stated percent does not match its count and denominator."""
        v = variant.values
        count = v.get("count", v.get("n"))
        percent = v.get("percent")
        if percent is None and v.get("unit") == "percent" and v.get("relation") == "=":
            percent = v.get("value")
        denominator = v.get("denominator")
        if count is None or not denominator or percent is None:
            return
        computed = Decimal(count) * 100 / Decimal(denominator)
        exponent = percent.as_tuple().exponent
        # a stated percent must be the rounding of count/denominator
        tolerance = Decimal("0.5").scaleb(exponent if isinstance(exponent, int) else 0)
        if abs(computed - percent) > tolerance:
            message = (
                f"stated {percent}% does not match {count}/{denominator} = {computed:.1f}%;"
                " both kept as stated"
            )
            self.add(node, CDEK.warning, message)
            item = variant.sources[0]
            self.result.warnings.append(
                Problem(item.file, item.name, "percent", message, item.line)
            )

    def _emit_participants(self, node: URIRef, r: ParticipantsRecord, v: dict[str, Any]) -> None:
        target = self.mint.arm(r.study, r.arm) if r.arm else self.mint.study(r.study)
        self.add(node, RDF.type, CDEK.ParticipantCount)
        where = f"{r.arm or r.study}" + (f" / {r.condition}" if r.condition else "")
        self.add(node, RDFS.label, f"{r.population} {where}: n={v['n']}")
        self.add(node, CDEK.countsParticipantsOf, target)
        self.add(node, CDEK.inStudy, self.mint.study(r.study))
        if r.condition:
            self.add(node, CDEK.subgroupCondition, self.mint.disease(r.condition))
        self.add(node, CDEK.population, r.population)
        self.add(node, CDEK.count, v["n"])
        self.add(node, CDEK.denominator, v["denominator"])
        self.add(node, CDEK.percent, v["percent"])

    def _emit_outcome(self, node: URIRef, r: OutcomeRecord, v: dict[str, Any]) -> None:
        study = self.mint.study(r.study)
        self.add(node, RDF.type, CDEK.ComparativeResult if r.comparator else CDEK.ArmResult)
        self.add(node, CDEK.inStudy, study)
        self.add(study, CDEK.hasResult, node)
        self.add(node, CDEK.measuresEndpoint, self.mint.endpoint(r.endpoint))
        self.add(node, CDEK.statistic, _STATISTIC[r.statistic])
        if r.arm:
            self.add(node, CDEK.resultArm, self.mint.arm(r.study, r.arm))
        if r.comparator:
            self.add(node, CDEK.comparatorArm, self.mint.arm(r.study, r.comparator))
        self.add(node, RDFS.label, _outcome_label(r, v, self.corpus))
        self.add(node, CDEK.value, v["value"])
        self.add(node, CDEK.valueRelation, v["relation"])
        self.add(node, CDEK.unit, v["unit"])
        self.add(node, CDEK.unitCode, self._ucum(v["unit"], r))
        self.add(node, CDEK.ciLower, v["ci_low"])
        self.add(node, CDEK.ciUpper, v["ci_high"])
        self.add(node, CDEK.ciLevel, v["ci_level"])
        self.add(node, CDEK.dispersionKind, v["dispersion"])
        self.add(node, CDEK.dispersionLower, v["dispersion_low"])
        self.add(node, CDEK.dispersionUpper, v["dispersion_high"])
        self.add(node, CDEK.pValue, v["p"])
        self.add(node, CDEK.pValueRelation, v["p_relation"])
        self.add(node, CDEK.count, v["count"])
        self.add(node, CDEK.denominator, v["denominator"])
        self.add(node, CDEK.timePoint, r.time_point)
        self.add(node, CDEK.timeUnit, r.time_unit)
        self.add(node, CDEK.timeUnitCode, self._ucum(r.time_unit, r) if r.time_unit else None)
        self.add(node, CDEK.analysisPopulation, r.population)
        if r.condition:
            self.add(node, CDEK.subgroupCondition, self.mint.disease(r.condition))
        self.add(node, CDEK.assessment, v["assessment"])
        self.add(node, CDEK.analysisMethod, _METHOD.get(v["method"]))
        self.add(node, CDEK.sidedness, v["sides"])

    def _emit_adverse_event(self, node: URIRef, r: AdverseEventRecord, v: dict[str, Any]) -> None:
        study = self.mint.study(r.study)
        self.add(node, RDF.type, CDEK.AdverseEventResult)
        self.add(node, CDEK.inStudy, study)
        self.add(study, CDEK.hasResult, node)
        if r.arm:
            self.add(node, CDEK.resultArm, self.mint.arm(r.study, r.arm))
        self.add(node, CDEK.adverseEventTerm, self.mint.ae_term(r.term))
        term = self.corpus.ae_terms[r.term].label
        amount = f"{v['percent_relation'] if v['percent_relation'] not in (None, '=') else ''}"
        amount += f"{v['percent']}%" if v["percent"] is not None else f"n={v['count']}"
        grade = f" (grade {r.grade})" if r.grade else ""
        self.add(node, RDFS.label, f"{term} {amount}{grade}")
        self.add(node, CDEK.grade, r.grade)
        low, high = r.grade_range()
        self.add(node, CDEK.gradeMin, low)
        self.add(node, CDEK.gradeMax, high)
        self.add(node, CDEK.count, v["count"])
        self.add(node, CDEK.denominator, v["denominator"])
        self.add(node, CDEK.percent, v["percent"])
        self.add(node, CDEK.valueRelation, v["percent_relation"])
        self.add(node, CDEK.serious, r.serious)
        self.add(node, CDEK.fatal, v["fatal"])
        self.add(node, CDEK.attribution, r.attribution)

    # -- statements ----------------------------------------------------------------

    def _statements(self) -> None:
        m = self.mint
        for (drug, target, action), items in _group(
            self.corpus.of_type(DrugTargetRecord), lambda r: (r.drug, r.target, r.action)
        ).items():
            node = m.statement("statement", drug, action, target)
            self.add(node, RDF.type, CDEK.DrugTargetStatement)
            self.add(node, RDFS.label, f"{drug} {action} {target}")
            self.add(node, CDEK.aboutDrug, m.drug(drug))
            self.add(node, CDEK.aboutTarget, m.target(target))
            self.add(node, CDEK.action, action)
            if action == "inhibits":
                self.add(m.drug(drug), CDEK.inhibits, m.target(target))
            self._provenance(node, items)
        for (disease, gene, relation), items in _group(
            self.corpus.of_type(DiseaseGeneRecord), lambda r: (r.disease, r.gene, r.relation)
        ).items():
            node = m.statement("statement", gene, relation, disease)
            self.add(node, RDF.type, CDEK.DiseaseGeneStatement)
            self.add(node, RDFS.label, f"{gene} {relation} {disease}")
            self.add(node, CDEK.aboutDisease, m.disease(disease))
            self.add(node, CDEK.aboutTarget, m.target(gene))
            self.add(node, CDEK.relation, relation)
            self.add(m.target(gene), CDEK.associatedWithDisease, m.disease(disease))
            self._provenance(node, items)
        for (drug, agency, indication), items in _group(
            self.corpus.of_type(ApprovalRecord), lambda r: (r.drug, r.agency, r.indication)
        ).items():
            node = m.statement("approval", drug, agency, indication)
            fields, _ = self._merge_fields("approval", str(node), items)
            self.add(node, RDF.type, CDEK.Approval)
            when = f" on {fields['date']}" if fields.get("date") else ""
            self.add(node, RDFS.label, f"{agency} approval of {drug} for {indication}{when}")
            self.add(node, CDEK.approvedDrug, m.drug(drug))
            self.add(node, CDEK.approvedIndication, m.disease(indication))
            self.add(node, CDEK.agency, agency)
            self.add(node, CDEK.approvalDate, fields.get("date"))
            for qualifier in fields.get("indication_qualifiers", []):
                self.add(node, CDEK.conditionQualifier, qualifier)
            if fields.get("based_on"):
                self.add(node, CDEK.basedOnStudy, m.study(fields["based_on"]))
            self._provenance(node, items)

    # -- study design: endpoints and their role, baseline, plans, rules, findings ----------

    def _design(self) -> None:
        """Study endpoints, baseline rows, sample-size plans, protocol rules, deviations and
        results stated without a number; then each result links to its study's endpoint."""
        m = self.mint
        self._design_nodes(
            StudyEndpointRecord,
            lambda r: (r.study, r.endpoint),
            lambda r: m.in_study(r.study, "endpoint", r.endpoint),
            self._emit_study_endpoint,
        )
        self._design_nodes(
            FindingRecord,
            lambda r: (r.study, r.endpoint, r.kind, r.statistic, r.arm, r.comparator, r.subgroup),
            lambda r: m.in_study(
                r.study,
                "finding",
                r.endpoint,
                r.statistic or "",
                r.kind,
                r.arm or "all",
                f"vs-{r.comparator}" if r.comparator else "",
                r.subgroup or "",
            ),
            self._emit_finding,
        )
        self._design_nodes(
            BaselineRecord,
            lambda r: (
                r.study,
                r.arm,
                r.population,
                r.characteristic,
                r.timing,
                r.category,
                r.statistic,
            ),
            lambda r: m.in_study(
                r.study,
                "baseline",
                r.characteristic,
                r.timing or "",
                r.category or r.statistic or "",
                r.arm or "all",
                r.population or "",
            ),
            self._emit_baseline,
        )
        self._design_nodes(
            SampleSizeRecord,
            lambda r: (r.study, r.endpoint),
            lambda r: m.in_study(r.study, "sample-size-plan", r.endpoint or "study"),
            self._emit_sample_size,
        )
        self._design_nodes(
            ProtocolRuleRecord,
            lambda r: (r.study, r.arm, r.rule),
            lambda r: m.in_study(r.study, "protocol-rule", r.rule, r.arm or "all"),
            self._emit_protocol_rule,
        )
        self._design_nodes(
            DeviationRecord,
            lambda r: (r.study, r.kind),
            lambda r: m.in_study(r.study, "deviation", r.kind),
            self._emit_deviation,
        )
        self._link_results_to_study_endpoints()

    def _design_nodes(
        self,
        kind: type[Any],
        identity: Callable[[Any], Hashable],
        iri: Callable[[Any], URIRef],
        emit: Callable[[URIRef, Any, list[Loaded]], None],
    ) -> None:
        """Statements of one thing from several places become one node with every source;
        where they disagree, each variant is kept and a cdek:ValueConflict links them."""
        for key, items in _group(self.corpus.of_type(kind), identity).items():
            variants = _variants(items, _design_values)
            base = iri(items[0].record)
            nodes = [
                base if len(variants) == 1 else URIRef(f"{base}-v{i}")
                for i in range(1, len(variants) + 1)
            ]
            for node, variant in zip(nodes, variants, strict=True):
                # lists and sub-records are compared through their text: the first source's
                given = {
                    k: v
                    for k, v in variant.values.items()
                    if v is not None and not isinstance(v, tuple)
                }
                emit(node, variant.sources[0].record.model_copy(update=given), variant.sources)
                self._provenance(node, variant.sources)
                self._consistency(node, variant)
            self._conflict(base, key, variants, nodes, None)

    def _in_study(self, node: URIRef, cls: URIRef, study: str, link: URIRef) -> None:
        self.add(node, RDF.type, cls)
        self.add(node, CDEK.inStudy, self.mint.study(study))
        self.add(self.mint.study(study), link, node)

    def _emit_study_endpoint(self, node: URIRef, r: StudyEndpointRecord, _: list[Loaded]) -> None:
        self._in_study(node, CDEK.StudyEndpoint, r.study, CDEK.hasStudyEndpoint)
        endpoint = self.corpus.endpoints[r.endpoint]
        name = endpoint.abbreviation or endpoint.label
        self.add(node, RDFS.label, f"{name} ({r.role} endpoint of {r.study})")
        self.add(node, CDEK.forEndpoint, self.mint.endpoint(r.endpoint))
        self.add(node, CDEK.endpointRole, _ENDPOINT_ROLE[r.role])
        self.add(node, CDEK.assessedBy, _ASSESSOR.get(r.assessor or ""))
        for criterion in r.criteria:
            criteria = self.mint("criteria", criterion.label())
            self.add(node, CDEK.usesCriteria, criteria)
            self.add(criteria, RDF.type, CDEK.AssessmentCriteria)
            self.add(criteria, RDFS.label, criterion.label())
            self.add(criteria, CDEK.criteriaName, criterion.name)
            self.add(criteria, CDEK.criteriaVersion, criterion.version)
        self.add(node, CDEK.eventDefinition, r.event_definition)
        self.add(node, CDEK.timeOrigin, r.time_origin)
        self.add(node, CDEK.censoringRule, r.censoring)
        for point in r.time_points:
            self.add(node, CDEK.endpointTimePoint, point)
        self.add(node, CDEK.endpointTimeUnit, _ucum(r.time_unit))
        self.add(node, CDEK.analysisPopulation, r.population)

    def _emit_finding(self, node: URIRef, r: FindingRecord, _: list[Loaded]) -> None:
        self.add(node, RDF.type, CDEK.QualitativeResult)
        self.add(node, CDEK.inStudy, self.mint.study(r.study))
        self.add(node, CDEK.aboutEndpoint, self.mint.endpoint(r.endpoint))
        self.add(node, CDEK.aboutStatistic, _STATISTIC.get(r.statistic or ""))
        self.add(node, CDEK.findingKind, _FINDING[r.kind])
        if r.arm:
            self.add(node, CDEK.resultArm, self.mint.arm(r.study, r.arm))
        if r.comparator:
            self.add(node, CDEK.versusArm, self.mint.arm(r.study, r.comparator))
        self.add(node, CDEK.subgroupFactor, r.subgroup)
        self.add(node, CDEK.analysisPopulation, r.population)
        endpoint = self.corpus.endpoints[r.endpoint]
        text = " ".join(filter(None, [endpoint.abbreviation or endpoint.label, r.statistic]))
        if r.fraction is not None:
            self.add(node, CDEK.fractionNumerator, r.fraction[0])
            self.add(node, CDEK.fractionDenominator, r.fraction[1])
            self.add(node, CDEK.valueRelation, r.relation)
            relation = "" if r.relation == "=" else r.relation
            text += f" {relation}{r.fraction[0]}/{r.fraction[1]}"
        else:
            text += f": {r.kind.replace('-', ' ')}"
        if r.arm:
            text += f", {r.arm}" + (f" vs {r.comparator}" if r.comparator else "")
        if r.subgroup:
            text += f" ({r.subgroup})"
        self.add(node, RDFS.label, text)

    def _emit_baseline(self, node: URIRef, r: BaselineRecord, _: list[Loaded]) -> None:
        self._in_study(node, CDEK.BaselineCharacteristic, r.study, CDEK.hasBaselineCharacteristic)
        self.add(node, CDEK.characteristicKind, _CHARACTERISTIC[r.characteristic])
        if r.arm:
            self.add(node, CDEK.characteristicOf, self.mint.arm(r.study, r.arm))
        self.add(node, CDEK.analysisPopulation, r.population)
        self.add(node, CDEK.characteristicTiming, r.timing)
        self.add(node, CDEK.category, r.category)
        self.add(node, CDEK.count, r.n)
        self.add(node, CDEK.denominator, r.denominator)
        self.add(node, CDEK.percent, r.percent)
        self.add(node, CDEK.summaryStatistic, _STATISTIC.get(r.statistic or ""))
        self.add(node, CDEK.value, r.value)
        self.add(node, CDEK.valueUnitCode, _ucum(r.unit))  # (cdek:unit is a result's)
        self.add(node, CDEK.dispersionKind, r.dispersion)
        if r.dispersion_span is not None:
            self.add(node, CDEK.dispersionLower, r.dispersion_span.low)
            self.add(node, CDEK.dispersionUpper, r.dispersion_span.high)
        self.add(node, CDEK.standardDeviation, r.sd)
        text = r.characteristic.replace("-", " ") + (f" {r.timing}" if r.timing else "")
        text += f": {r.category}" if r.category else ""
        if r.n is not None:
            text += f" {r.n}" + (f" ({r.percent}%)" if r.percent is not None else "")
        elif r.percent is not None:
            text += f" {r.percent}%"
        if r.value is not None:
            text += f" {r.statistic} {r.value}" + (f" {r.unit}" if r.unit else "")
            span = r.dispersion_span
            if span is not None:
                text += f" ({r.dispersion} {_fmt(span.low)}-{_fmt(span.high)})"
            elif r.sd is not None:
                text += f" (SD {r.sd})"
        self.add(node, RDFS.label, text + (f", {r.arm}" if r.arm else ""))

    def _emit_sample_size(self, node: URIRef, r: SampleSizeRecord, _: list[Loaded]) -> None:
        self._in_study(node, CDEK.SampleSizePlan, r.study, CDEK.hasSampleSizePlan)
        if r.endpoint:
            self.add(node, CDEK.poweredForEndpoint, self.mint.endpoint(r.endpoint))
        self.add(node, CDEK.plannedSampleSize, r.target_n)
        self.add(node, CDEK.statisticalPower, r.power)
        self.add(node, CDEK.significanceLevel, r.alpha)
        self.add(node, CDEK.testSidedness, {"one-sided": 1, "two-sided": 2}.get(r.sides or ""))
        self.add(node, CDEK.plannedTest, _METHOD.get(r.test or ""))
        self.add(node, CDEK.assumedHazardRatio, r.hazard_ratio)
        self.add(node, CDEK.assumedControlMedian, r.control_median)
        self.add(node, CDEK.targetMedianGain, r.median_gain)
        self.add(node, CDEK.plannedFollowUp, r.follow_up)
        self.add(node, CDEK.planTimeUnit, _ucum(r.time_unit))
        self.add(node, CDEK.requiredEvents, r.events)
        self.add(node, CDEK.accrualRate, r.accrual_rate)
        self.add(node, CDEK.accrualDuration, r.accrual_duration)
        self.add(node, CDEK.interimAnalysis, r.interim_kind)
        self.add(node, CDEK.interimEvents, r.interim_events)
        self.add(node, CDEK.interimPercent, r.interim_percent)
        self.add(node, CDEK.interimBinding, r.interim_binding)
        parts = [f"{r.target_n} patients" if r.target_n is not None else None]
        parts.append(f"{r.power}% power" if r.power is not None else None)
        parts.append(f"{r.sides or ''} alpha {r.alpha}".strip() if r.alpha is not None else None)
        parts.append(f"HR {r.hazard_ratio}" if r.hazard_ratio is not None else None)
        parts.append(f"{r.events} events" if r.events is not None else None)
        self.add(
            node, RDFS.label, f"Sample size plan of {r.study}: " + ", ".join(filter(None, parts))
        )

    def _emit_protocol_rule(self, node: URIRef, r: ProtocolRuleRecord, _: list[Loaded]) -> None:
        self._in_study(node, CDEK.ProtocolRule, r.study, CDEK.hasProtocolRule)
        self.add(node, CDEK.ruleKind, _RULE[r.rule])
        if r.arm:
            self.add(node, CDEK.appliesToArm, self.mint.arm(r.study, r.arm))
        self.add(node, CDEK.ruleLimit, r.limit)
        self.add(node, CDEK.ruleLimitUnit, _ucum(r.limit_unit))
        self.add(node, CDEK.ruleRelativeTo, r.relative_to)
        self.add(node, CDEK.ruleInterval, r.interval)
        self.add(node, CDEK.ruleIntervalUnit, _ucum(r.interval_unit))
        self.add(node, CDEK.ruleMaxCount, r.max_count)
        self.add(node, CDEK.ruleDose, r.dose)
        self.add(node, CDEK.ruleDoseUnit, r.dose_unit)
        self.add(node, CDEK.ruleFrequency, r.frequency)
        for modality in r.modalities:
            self.add(node, CDEK.imagingModality, modality)
        for factor in r.factors:
            part = URIRef(f"{node}/{slug(factor.name)}")
            self.add(node, CDEK.stratifiedBy, part)
            self.add(part, RDF.type, CDEK.StratificationFactor)
            self.add(part, RDFS.label, factor.name)
            for level in factor.levels:
                self.add(part, CDEK.factorLevel, level)
            self.add(part, CDEK.factorCutoff, factor.cutoff)
            self.add(part, CDEK.factorCutoffUnit, _ucum(factor.cutoff_unit))
        text = r.rule.replace("-", " ") + (f" ({r.arm})" if r.arm else "")
        details = []
        if r.interval is not None:
            details.append(f"every {r.interval} {r.interval_unit}")
        if r.limit is not None:
            within = "within" if r.rule == "randomization-window" else "up to"
            since = f" of {r.relative_to}" if r.relative_to else ""
            details.append(f"{within} {r.limit} {r.limit_unit}{since}")
        if r.max_count is not None:
            details.append(f"at most {r.max_count}")
        if r.dose is not None:
            details.append(f"to {r.dose} {r.dose_unit} {r.frequency or ''}".strip())
        if r.factors:
            details.append(", ".join(f.name for f in r.factors))
        self.add(node, RDFS.label, text + (": " + "; ".join(details) if details else ""))

    def _emit_deviation(self, node: URIRef, r: DeviationRecord, sources: list[Loaded]) -> None:
        self._in_study(node, CDEK.ProtocolDeviation, r.study, CDEK.hasDeviation)
        self.add(node, CDEK.deviationKind, r.kind)
        self.add(node, CDEK.plannedValue, r.planned)
        if r.observed is not None:
            self.add(node, CDEK.observedLower, r.observed.low)
            self.add(node, CDEK.observedUpper, r.observed.high)
        self.add(node, CDEK.detectedAfterEnrolled, r.detected_after)
        if r.disclosed is not None:
            self.add(node, CDEK.disclosedOn, r.disclosed.literal())
        self.add(node, CDEK.corrected, r.corrected)
        population = "before-deviation"  # randomized before the deviation was found
        for counted in r.arm_counts:
            part = self.mint.in_study(r.study, "participants", f"{r.kind}-deviation", counted.arm)
            arm = self.mint.arm(r.study, counted.arm)
            self.add(node, CDEK.deviationCount, part)
            self.add(part, RDF.type, CDEK.ParticipantCount)
            label = f"enrolled before the {r.kind} deviation was found {counted.arm}: n={counted.n}"
            self.add(part, RDFS.label, label)
            self.add(part, CDEK.countsParticipantsOf, arm)
            self.add(part, CDEK.inStudy, self.mint.study(r.study))
            self.add(part, CDEK.population, population)
            self.add(part, CDEK.count, counted.n)
            self._provenance(part, sources)
        observed = ""
        if r.observed is not None:
            observed = f" kept {_fmt(r.observed.low)} to {_fmt(r.observed.high)}"
        planned = f" planned {r.planned}" if r.planned else ""
        self.add(node, RDFS.label, f"{r.kind} deviation in {r.study}:{planned}{observed}")

    def _link_results_to_study_endpoints(self) -> None:
        """Each result (and result without a number) points at its study's endpoint."""
        g = self.graph
        for node in list(g.subjects(RDF.type, CDEK.StudyEndpoint)):
            study, endpoint = g.value(node, CDEK.inStudy), g.value(node, CDEK.forEndpoint)
            for prop in (CDEK.measuresEndpoint, CDEK.aboutEndpoint):
                for result in list(g.subjects(prop, endpoint)):
                    if isinstance(result, URIRef) and (result, CDEK.inStudy, study) in g:
                        self.add(result, CDEK.studyEndpoint, node)


def _combine(a: BaseModel, b: BaseModel) -> BaseModel | None:
    """``a`` completed with ``b``'s fields, or None when they disagree."""
    update = {}
    for name, value in b:
        mine = getattr(a, name)
        if value in (None, []) or mine == value:
            continue
        if mine not in (None, []):
            return None
        update[name] = value
    return a.model_copy(update=update)


def _group(items: Iterable[Loaded], key: Callable[[Any], Any]) -> dict[Any, list[Loaded]]:
    groups: dict[Any, list[Loaded]] = defaultdict(list)
    for item in items:
        groups[key(item.record)].append(item)
    return dict(sorted(groups.items(), key=lambda kv: repr(kv[0])))


def _variants(items: list[Loaded], values: Callable[[Any], dict[str, Any]]) -> list[_Variant]:
    """Merge statements that agree wherever both give a value; keep the rest apart."""
    variants: list[_Variant] = []
    for item in items:
        stated = values(item.record)
        for variant in variants:
            if all(
                variant.values.get(k) is None or v is None or variant.values[k] == v
                for k, v in stated.items()
            ):
                for k, v in stated.items():
                    if v is not None:
                        variant.values[k] = v
                variant.sources.append(item)
                break
        else:
            variants.append(_Variant(dict(stated), [item]))
    return variants


def _outcome_values(r: OutcomeRecord) -> dict[str, Any]:
    return {
        "value": r.value.value,
        "relation": r.value.relation,
        "unit": r.unit,
        "ci_low": r.ci.low if r.ci else None,
        "ci_high": r.ci.high if r.ci else None,
        "ci_level": r.ci_level,
        "dispersion": r.dispersion,
        "dispersion_low": r.dispersion_span.low if r.dispersion_span else None,
        "dispersion_high": r.dispersion_span.high if r.dispersion_span else None,
        "p": r.p_value.value if r.p_value else None,
        "p_relation": r.p_value.relation if r.p_value else None,
        "count": r.count,
        "denominator": r.denominator,
        "assessment": r.assessment,
        "method": r.method,
        "sides": r.sides,
    }


def _fmt(value: Decimal | None) -> str:
    return "NA" if value is None else str(value)


def _outcome_label(r: OutcomeRecord, v: dict[str, Any], corpus: Corpus) -> str:
    endpoint = corpus.endpoints[r.endpoint]
    name = endpoint.abbreviation or endpoint.label
    stat = {"hazard-ratio": "HR", "rate": "", "count": "n"}.get(r.statistic, r.statistic)
    relation = "" if v["relation"] == "=" else v["relation"]
    unit = {"percent": "%", "months": " mo", "years": " y", "weeks": " wk"}.get(v["unit"], "")
    text = " ".join(p for p in (name, stat) if p) + f" {relation}{v['value']}{unit}"
    if v["ci_low"] is not None or v["ci_high"] is not None:
        text += f" ({_fmt(v['ci_low'])}-{_fmt(v['ci_high'])})"
    if r.time_point is not None:
        text += f" at {r.time_point} {r.time_unit}"
    if r.arm:
        text += f", {r.arm}" + (f" vs {r.comparator}" if r.comparator else "")
    return text


def _regimen_label(regimen: Any, corpus: Corpus) -> str:
    if regimen.placebo:
        return "placebo"
    if regimen.observation:
        return "observation"
    text = " + ".join(corpus.drugs[d].label for d in regimen.drugs)
    if regimen.with_some:
        text += " ± " + " / ".join(corpus.drugs[d].label for d in regimen.with_some)
    if regimen.dose is not None:
        text += f" {regimen.dose} {regimen.unit}"
    if regimen.frequency:
        text += f" {regimen.frequency}"
    return text


def add_span(
    add: Callable[[URIRef, URIRef, Any], None],
    mint: Minter,
    doc_id: str,
    section: str,
    offsets: tuple[int, int],
    quote: tuple[str, str, str] | None,
) -> URIRef:
    """A span as the W3C Web Annotation model has it: a specific resource of the document
    (``oa:hasSource``) with selectors (``oa:hasSelector``): a text position selector (the
    offsets) and, when the text is known, a text quote selector (exact, prefix, suffix)."""
    start, end = offsets
    span = mint.span(doc_id, start, end)
    add(span, RDF.type, CDEK.TextSpan)
    add(span, RDF.type, OA.SpecificResource)
    add(span, OA.hasSource, mint.document(doc_id))
    add(span, CDEK.section, section)
    add(span, RDFS.label, f"{section} [{start}-{end}]")
    position = URIRef(f"{span}/position")
    add(span, OA.hasSelector, position)
    add(position, RDF.type, OA.TextPositionSelector)
    add(position, OA.start, Literal(start, datatype=XSD.nonNegativeInteger))
    add(position, OA.end, Literal(end, datatype=XSD.nonNegativeInteger))
    if quote is not None:
        exact, prefix, suffix = quote
        selector = URIRef(f"{span}/quote")
        add(span, OA.hasSelector, selector)
        add(selector, RDF.type, OA.TextQuoteSelector)
        add(selector, OA.exact, exact)
        add(selector, OA.prefix, prefix or None)
        add(selector, OA.suffix, suffix or None)
    return span


def _literal(value: Any) -> Literal:
    if isinstance(value, PartialDate):  # xsd:date, xsd:gYearMonth or xsd:gYear: no invented day
        return value.literal()
    if isinstance(value, Decimal):
        text = format(value, "f")  # XSD canonical decimals always have a point: 95 -> 95.0
        return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)
    return Literal(value)


# -- study design (endpoint, finding, baseline, sample_size, protocol_rule, deviation) ----------

_ENDPOINT_ROLE = {
    "primary": CDEK.PrimaryEndpoint,
    "secondary": CDEK.SecondaryEndpoint,
    "exploratory": CDEK.ExploratoryEndpoint,
}
_ASSESSOR = {
    "investigator": CDEK.InvestigatorAssessment,
    "central-review": CDEK.CentralReview,
    "independent-review": CDEK.IndependentReview,
    "blinded-independent-central-review": CDEK.BlindedIndependentCentralReview,
    "patient-reported": CDEK.PatientReported,
}
_FINDING = {
    "not-reached": CDEK.NotReached,
    "not-estimable": CDEK.NotEstimable,
    "not-interpretable": CDEK.NotInterpretable,
    "no-difference": CDEK.NoDifference,
    "no-association": CDEK.NoAssociation,
    "fraction": CDEK.StatedFraction,
}
_CHARACTERISTIC = {
    "sex": CDEK.Sex,
    "age": CDEK.Age,
    "age-at-diagnosis": CDEK.AgeAtDiagnosis,
    "race": CDEK.Race,
    "ethnicity": CDEK.Ethnicity,
    "tumor-site": CDEK.TumorSite,
    "tumor-grade": CDEK.TumorGrade,
    "histology": CDEK.Histology,
    "metastatic-disease": CDEK.MetastaticDisease,
    "prior-therapy-lines": CDEK.PriorTherapyLines,
    "performance-status": CDEK.PerformanceStatus,
    "disease-status": CDEK.DiseaseStatus,
    "time-since-diagnosis": CDEK.TimeSinceDiagnosis,
}
_RULE = {
    "dose-interruption": CDEK.DoseInterruptionRule,
    "dose-reduction": CDEK.DoseReductionRule,
    "imaging-schedule": CDEK.ImagingScheduleRule,
    "follow-up-schedule": CDEK.FollowUpScheduleRule,
    "randomization-window": CDEK.RandomizationWindowRule,
    "stratification": CDEK.StratificationRule,
    "crossover": CDEK.CrossoverRule,
    "treatment-duration": CDEK.TreatmentDurationRule,
}


def _design_values(record: BaseModel) -> dict[str, Any]:
    """A record's stated fields in a comparable form (lists and sub-records as tuples)."""
    values: dict[str, Any] = {}
    for name, value in record:
        if name in {"loc", "note", "type"}:
            continue
        if isinstance(value, list | tuple):
            value = tuple(repr(v) if isinstance(v, BaseModel) else v for v in value) or None
        values[name] = value
    return values


def _ucum(word: str | None) -> str | None:
    """The UCUM code of a duration word (``weeks`` -> ``wk``). The record model admits only
    words kg.units codes, so an unknown one is a bug to raise, not a word to pass on."""
    return None if word is None else units.ucum(word)
