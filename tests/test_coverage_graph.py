"""The study-design facts of the seeds are in the graph: endpoints with their role (and the
results that measure them), the desmoid trial's statistical plan, allocation error, baseline and
protocol rules, the registry's Table 1 and other partial responses, DECISION's and RESORT's
design and the results they state without a number. Shapes and the reasoner catch them broken.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from rdflib import RDF, XSD, Graph, Literal, URIRef

from kg.api import KnowledgeGraph
from kg.iris import DEFAULT_BASE
from kg.pipeline import BuildReport
from kg.reason import explain_inconsistency
from kg.validate import ValidationReport, validate
from kg.vocab import CDEK

R = DEFAULT_BASE
A = R + "study/alliance-a091105"
DECISION = R + "study/decision"
RESORT = R + "study/resort"
OUTCS = R + "study/outcs"
PREFIXES = """
PREFIX cdek: <https://w3id.org/cdekg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX st: <https://w3id.org/cdekg/resource/study/>
PREFIX ep: <https://w3id.org/cdekg/resource/endpoint/>
PREFIX oe: <https://w3id.org/cdekg/resource/study/outcs/endpoint/>
PREFIX rr: <https://w3id.org/cdekg/resource/study/resort/protocol-rule/>
PREFIX ap: <https://w3id.org/cdekg/resource/study/alliance-a091105/arm/>
"""
NOT_REACHED = URIRef(A + "/finding/pfs-median-not-reached-sorafenib")
PFS_ENDPOINT = URIRef(A + "/endpoint/pfs")
ORR_ENDPOINT = URIRef(A + "/endpoint/orr")
PLAN = URIRef(A + "/sample-size-plan/pfs")
HR = URIRef(A + "/result/pfs-hazard-ratio-sorafenib-vs-placebo")
TWO_THIRDS = URIRef(
    DECISION + "/finding/dose-interruption-or-reduction-proportion-fraction-sorafenib"
)
AGE = URIRef(A + "/baseline/age-median-all-enrolled")
WINDOW = URIRef(RESORT + "/protocol-rule/randomization-window-all")
DEVIATION = URIRef(A + "/deviation/allocation-ratio")
FEMALE = URIRef(A + "/baseline/sex-female-all-enrolled")
WHITE = URIRef(A + "/baseline/race-white-self-reported-all-enrolled")


@pytest.fixture(scope="module")
def graph(seed_build: BuildReport) -> Graph:
    return seed_build.result.graph


def rows(graph: Graph, query: str) -> set[tuple[object, ...]]:
    """The answers of a SELECT, as Python values (IRIs as text)."""
    out = set()
    for row in graph.query(PREFIXES + query):
        out.add(
            tuple(v.toPython() if isinstance(v, Literal) else (str(v) if v else None) for v in row)
        )
    return out


def test_every_study_states_its_primary_endpoint(graph: Graph) -> None:
    found = rows(
        graph,
        """SELECT ?study ?endpoint WHERE {
            ?se a cdek:StudyEndpoint ; cdek:inStudy ?study ;
                cdek:endpointRole cdek:PrimaryEndpoint ; cdek:forEndpoint ?endpoint }""",
    )
    assert found == {
        (A, R + "endpoint/pfs"),
        (DECISION, R + "endpoint/pfs"),
        (RESORT, R + "endpoint/rfs"),
        (OUTCS, R + "endpoint/orr"),
        (OUTCS, R + "endpoint/dcr"),
        (OUTCS, R + "endpoint/pfs"),
        (OUTCS, R + "endpoint/os"),
    }


def test_endpoint_roles_criteria_and_assessors(graph: Graph) -> None:
    found = rows(
        graph,
        """SELECT ?study ?endpoint ?role ?assessor ?criteria ?version WHERE {
            ?se a cdek:StudyEndpoint ; cdek:inStudy ?study ; cdek:forEndpoint ?endpoint ;
                cdek:endpointRole ?role .
            OPTIONAL { ?se cdek:assessedBy ?assessor }
            OPTIONAL { ?se cdek:usesCriteria ?c . ?c cdek:criteriaName ?criteria
                       OPTIONAL { ?c cdek:criteriaVersion ?version } } }""",
    )
    ns = str(CDEK._NS)
    expected = {
        (A, "pfs", "PrimaryEndpoint", "InvestigatorAssessment", "RECIST", "1.1"),
        (A, "toxicity", "SecondaryEndpoint", None, "CTCAE", "4.03"),
        (A, "orr", "SecondaryEndpoint", "InvestigatorAssessment", "RECIST", "1.1"),
        (A, "os", "SecondaryEndpoint", None, None, None),
        (A, "pain", "ExploratoryEndpoint", "PatientReported", "Brief Pain Inventory", None),
        (
            A,
            "patient-reported-side-effects",
            "ExploratoryEndpoint",
            "PatientReported",
            "PRO-CTCAE",
            "1.0",
        ),
        (A, "tumor-volume-and-t2-signal", "ExploratoryEndpoint", None, None, None),
        (DECISION, "pfs", "PrimaryEndpoint", "IndependentReview", None, None),
        (DECISION, "os", "SecondaryEndpoint", None, None, None),
        (DECISION, "orr", "SecondaryEndpoint", None, None, None),
        (RESORT, "rfs", "PrimaryEndpoint", None, None, None),
        (OUTCS, "orr", "PrimaryEndpoint", None, "RECIST", None),
        (OUTCS, "toxicity", "SecondaryEndpoint", None, "CTCAE", None),
    }
    shown = {
        (s, e.removeprefix(R + "endpoint/"), r.removeprefix(ns), a and a.removeprefix(ns), c, v)
        for s, e, r, a, c, v in found
    }
    assert expected <= shown


def test_event_definitions_and_time_frames(graph: Graph) -> None:
    origins = rows(
        graph,
        """SELECT ?study ?endpoint ?origin WHERE {
            ?se cdek:inStudy ?study ; cdek:forEndpoint ?endpoint ; cdek:timeOrigin ?origin }""",
    )
    assert {
        (A, R + "endpoint/pfs", "randomization"),
        (RESORT, R + "endpoint/rfs", "randomization"),
        (OUTCS, R + "endpoint/pfs", "treatment-start"),
        (OUTCS, R + "endpoint/os", "diagnosis"),
    } == origins
    dcr = rows(
        graph,
        """SELECT ?t ?unit WHERE { oe:dcr cdek:endpointTimePoint ?t ;
            cdek:endpointTimeUnit ?unit }""",
    )
    assert dcr == {(Decimal(2), "mo"), (Decimal(4), "mo"), (Decimal(6), "mo")}


def test_results_point_at_their_studys_endpoint_and_role(graph: Graph) -> None:
    role = graph.value(graph.value(HR, CDEK.studyEndpoint), CDEK.endpointRole)
    assert role == CDEK.PrimaryEndpoint
    linked = rows(
        graph,
        """SELECT ?study ?role (COUNT(DISTINCT ?r) AS ?n) WHERE {
            ?r cdek:studyEndpoint ?se . ?se cdek:inStudy ?study ; cdek:endpointRole ?role }
            GROUP BY ?study ?role""",
    )
    counts = {(s, r.removeprefix(str(CDEK._NS))): n for s, r, n in linked}
    assert counts[(A, "PrimaryEndpoint")] >= 6  # rates, hazard ratio, progressions, not reached
    assert counts[(RESORT, "PrimaryEndpoint")] == 8  # two medians, four rates, two findings
    assert counts[(DECISION, "SecondaryEndpoint")] >= 3  # ORR rates and OS: no difference
    crossed = rows(
        graph,
        """SELECT ?r WHERE { ?r cdek:studyEndpoint ?se ; cdek:inStudy ?s1 .
            ?se cdek:inStudy ?s2 FILTER(?s1 != ?s2) }""",
    )
    assert crossed == set()


def test_the_desmoid_sample_size_plan(graph: Graph) -> None:
    def one(prop: URIRef) -> object:
        value = graph.value(PLAN, prop)
        return value.toPython() if isinstance(value, Literal) else value

    assert graph.value(URIRef(A), CDEK.hasSampleSizePlan) == PLAN
    assert one(CDEK.plannedSampleSize) == 75
    assert one(CDEK.statisticalPower) == Decimal(90)
    assert one(CDEK.significanceLevel) == Decimal("0.025")
    assert one(CDEK.testSidedness) == 1
    assert one(CDEK.assumedHazardRatio) == Decimal("0.4")
    assert one(CDEK.requiredEvents) == 52
    assert one(CDEK.assumedControlMedian) == Decimal(6)
    assert one(CDEK.targetMedianGain) == Decimal(9)
    assert one(CDEK.plannedFollowUp) == Decimal(12)
    assert one(CDEK.planTimeUnit) == "mo"
    assert (one(CDEK.accrualRate), one(CDEK.accrualDuration)) == (Decimal(4), Decimal(21))
    assert (one(CDEK.interimEvents), one(CDEK.interimPercent)) == (24, Decimal(45))
    assert one(CDEK.interimBinding) is False
    assert one(CDEK.plannedTest) == CDEK.StratifiedLogRankTest
    assert one(CDEK.poweredForEndpoint) == URIRef(R + "endpoint/pfs")


def test_median_pfs_not_reached_is_a_fact_without_a_number(graph: Graph) -> None:
    assert (NOT_REACHED, RDF.type, CDEK.QualitativeResult) in graph
    assert graph.value(NOT_REACHED, CDEK.findingKind) == CDEK.NotReached
    assert graph.value(NOT_REACHED, CDEK.aboutStatistic) == CDEK.Median
    assert graph.value(NOT_REACHED, CDEK.studyEndpoint) == PFS_ENDPOINT
    assert graph.value(NOT_REACHED, CDEK.value) is None
    medians = rows(
        graph,
        """SELECT ?r WHERE { ?r cdek:inStudy st:alliance-a091105 ;
            cdek:measuresEndpoint ep:pfs ; cdek:statistic cdek:Median }""",
    )
    assert medians == set()  # no invented number anywhere


def test_decision_results_without_a_number(graph: Graph) -> None:
    found = rows(
        graph,
        """SELECT ?endpoint ?kind ?arm ?versus ?factor WHERE {
            ?f a cdek:QualitativeResult ; cdek:inStudy st:decision ;
               cdek:aboutEndpoint ?endpoint ; cdek:findingKind ?kind .
            OPTIONAL { ?f cdek:resultArm ?arm } OPTIONAL { ?f cdek:versusArm ?versus }
            OPTIONAL { ?f cdek:subgroupFactor ?factor } }""",
    )
    arm = DECISION + "/arm/"
    assert {
        (R + "endpoint/os", str(CDEK.NoDifference), arm + "sorafenib", arm + "placebo", None),
        (
            R + "endpoint/pfs",
            str(CDEK.NoAssociation),
            arm + "sorafenib",
            None,
            "BRAF and RAS mutation status",
        ),
        (
            R + "endpoint/dose-interruption-or-reduction",
            str(CDEK.StatedFraction),
            arm + "sorafenib",
            None,
            None,
        ),
    } == found
    assert graph.value(TWO_THIRDS, CDEK.fractionNumerator).toPython() == 2
    assert graph.value(TWO_THIRDS, CDEK.fractionDenominator).toPython() == 3
    assert str(graph.value(TWO_THIRDS, CDEK.valueRelation)) == "~"
    assert graph.value(TWO_THIRDS, CDEK.value) is None


def test_the_allocation_ratio_deviation(graph: Graph) -> None:
    assert str(graph.value(DEVIATION, CDEK.plannedValue)) == "2:1"
    assert graph.value(DEVIATION, CDEK.observedLower).toPython() == Decimal("1.6")
    assert graph.value(DEVIATION, CDEK.observedUpper).toPython() == Decimal("1.7")
    assert graph.value(DEVIATION, CDEK.detectedAfterEnrolled).toPython() == 70
    disclosed = graph.value(DEVIATION, CDEK.disclosedOn)
    assert (str(disclosed), disclosed.datatype) == ("2015-10", XSD.gYearMonth)  # no invented day
    assert graph.value(DEVIATION, CDEK.corrected).toPython() is True
    counts = {
        (str(graph.value(c, CDEK.countsParticipantsOf)), graph.value(c, CDEK.count).toPython())
        for c in graph.objects(DEVIATION, CDEK.deviationCount)
    }
    assert counts == {(A + "/arm/sorafenib", 38), (A + "/arm/placebo", 32)}


def test_baseline_rows(graph: Graph) -> None:
    found = rows(
        graph,
        """SELECT ?study ?kind ?category ?n ?denominator ?percent WHERE {
            ?b a cdek:BaselineCharacteristic ; cdek:inStudy ?study ; cdek:characteristicKind ?kind .
            OPTIONAL { ?b cdek:category ?category } OPTIONAL { ?b cdek:count ?n }
            OPTIONAL { ?b cdek:denominator ?denominator } OPTIONAL { ?b cdek:percent ?percent }
            FILTER(BOUND(?n) || BOUND(?percent)) }""",
    )
    shown = {(s, k.removeprefix(str(CDEK._NS)), *rest) for s, k, *rest in found}
    assert {
        (A, "Sex", "female", None, None, Decimal(69)),
        (A, "Race", "white (self-reported)", None, None, Decimal(80)),
        (OUTCS, "Sex", "male", 153, 278, Decimal("55.0")),
        (OUTCS, "Sex", "female", 125, 278, Decimal("45.0")),
        (OUTCS, "TumorSite", "abdomen", 60, 278, Decimal("21.6")),
        (OUTCS, "TumorSite", "retroperitoneum", 20, 278, Decimal("7.2")),
        (OUTCS, "TumorGrade", "grade III", 98, 158, Decimal("62.0")),
        (OUTCS, "TumorGrade", "unknown", 93, 278, Decimal("33.4")),
        (OUTCS, "MetastaticDisease", "yes", 96, 278, Decimal("34.5")),
        (OUTCS, "PriorTherapyLines", "0", 31, 278, Decimal("11.2")),
        (OUTCS, "PriorTherapyLines", "4 or more", 91, 278, Decimal("32.7")),
        (OUTCS, "Age", "70 years or older", 36, 278, Decimal("12.9")),
    } <= shown
    assert len([r for r in shown if r[0] == OUTCS and r[1] == "TumorSite"]) == 9
    assert len([r for r in shown if r[0] == OUTCS and r[1] == "PriorTherapyLines"]) == 6
    age = {p.removeprefix(str(CDEK._NS)): o for p, o in graph.predicate_objects(AGE)}
    assert age["summaryStatistic"] == CDEK.Median
    assert (age["value"].toPython(), age["valueUnitCode"].toPython()) == (Decimal(37), "a")
    assert (age["dispersionLower"].toPython(), age["dispersionUpper"].toPython()) == (28, 50)
    assert graph.value(AGE, CDEK.characteristicKind) == CDEK.Age
    diagnosis = rows(
        graph,
        """SELECT ?statistic ?value ?sd ?low ?high WHERE {
            ?b cdek:characteristicKind cdek:AgeAtDiagnosis ; cdek:summaryStatistic ?statistic ;
               cdek:value ?value .
            OPTIONAL { ?b cdek:standardDeviation ?sd }
            OPTIONAL { ?b cdek:dispersionLower ?low ; cdek:dispersionUpper ?high } }""",
    )
    assert diagnosis == {
        (str(CDEK.Mean), Decimal("42.7"), Decimal("17.8"), None, None),
        (str(CDEK.Median), Decimal("45.0"), None, Decimal(6), Decimal(81)),
    }


def test_protocol_rules(graph: Graph) -> None:
    found = rows(
        graph,
        """SELECT ?study ?kind ?limit ?limit_unit ?interval ?interval_unit ?max ?dose WHERE {
            ?r a cdek:ProtocolRule ; cdek:inStudy ?study ; cdek:ruleKind ?kind .
            OPTIONAL { ?r cdek:ruleLimit ?limit ; cdek:ruleLimitUnit ?limit_unit }
            OPTIONAL { ?r cdek:ruleInterval ?interval ; cdek:ruleIntervalUnit ?interval_unit }
            OPTIONAL { ?r cdek:ruleMaxCount ?max } OPTIONAL { ?r cdek:ruleDose ?dose } }""",
    )
    shown = {(s, k.removeprefix(str(CDEK._NS)), *rest) for s, k, *rest in found}
    assert {
        (A, "ImagingScheduleRule", None, None, Decimal(8), "wk", None, None),
        (A, "DoseInterruptionRule", Decimal(28), "d", None, None, None, None),
        (A, "DoseReductionRule", None, None, None, None, 1, Decimal(200)),
        (A, "CrossoverRule", None, None, None, None, None, None),
        (RESORT, "RandomizationWindowRule", Decimal(12), "wk", None, None, None, None),
        (RESORT, "ImagingScheduleRule", None, None, Decimal(12), "wk", None, None),
        (RESORT, "StratificationRule", None, None, None, None, None, None),
        (DECISION, "CrossoverRule", None, None, None, None, None, None),
        (OUTCS, "FollowUpScheduleRule", None, None, Decimal(2), "mo", None, None),
    } <= shown
    modalities = set(graph.objects(URIRef(A + "/protocol-rule/imaging-schedule-all"),
                                   CDEK.imagingModality))  # fmt: skip
    assert {str(m) for m in modalities} == {"CT", "MRI"}
    assert "surgery" in str(graph.value(WINDOW, CDEK.ruleRelativeTo))
    factors = rows(
        graph,
        """SELECT ?name (COUNT(DISTINCT ?level) AS ?levels) ?cutoff WHERE {
            rr:stratification-all cdek:stratifiedBy ?f .
            ?f rdfs:label ?name ; cdek:factorLevel ?level .
            OPTIONAL { ?f cdek:factorCutoff ?cutoff } } GROUP BY ?name ?cutoff""",
    )
    assert factors == {
        ("time from nephrectomy to metastases", 2, Decimal(12)),
        ("site of disease", 2, None),
        ("number of lesions", 2, None),
    }


def test_crossover_counts(graph: Graph) -> None:
    found = rows(
        graph,
        """SELECT ?endpoint ?n ?population WHERE {
            ?r cdek:inStudy st:alliance-a091105 ; cdek:resultArm ?arm ;
               cdek:measuresEndpoint ?endpoint ; cdek:count ?n ;
               cdek:analysisPopulation ?population .
            FILTER(?arm = ap:placebo)
            FILTER(?endpoint IN (ep:crossover, ep:still-on-treatment)) }""",
    )
    assert {(e.removeprefix(R + "endpoint/"), n) for e, n, _ in found} == {
        ("crossover", 20),
        ("crossover", 7),
        ("still-on-treatment", 12),
    }


def test_registry_partial_responses_under_other_therapies(graph: Graph) -> None:
    found = rows(
        graph,
        """SELECT ?arm ?n (GROUP_CONCAT(DISTINCT ?drug; separator="+") AS ?drugs) WHERE {
            ?r cdek:inStudy st:outcs ; cdek:measuresEndpoint ep:partial-response ;
               cdek:count ?n ; cdek:resultArm ?arm .
            ?arm cdek:receivesRegimen/cdek:regimenDrug/rdfs:label ?drug } GROUP BY ?arm ?n""",
    )
    arms = {a.removeprefix(OUTCS + "/arm/"): (n, d) for a, n, d in found}
    assert arms["erlotinib-chordoma"] == (1, "erlotinib")
    assert arms["sirolimus-plus-cyclophosphamide-ewing-sarcoma"][0] == 1
    beva_tmz = arms["bevacizumab-plus-temozolomide-solitary-fibrous-tumor"]
    assert beva_tmz[0] == 1 and set(beva_tmz[1].split("+")) == {"bevacizumab", "temozolomide"}
    beva_pacli = arms["bevacizumab-plus-paclitaxel-epithelioid-sarcoma"]
    assert beva_pacli[0] == 1 and set(beva_pacli[1].split("+")) == {"bevacizumab", "paclitaxel"}
    assert arms["pazopanib-synovial-sarcoma"][0] == 1


def test_the_endpoint_roles_question_answers(seed_build: BuildReport) -> None:
    kg = KnowledgeGraph.load(seed_build.outputs["turtle"])
    answers = kg.query("13-endpoint-roles", study="DECISION").values()
    assert {(r["role"], r["endpoint"]) for r in answers} == {
        ("primary endpoint", "progression-free survival"),
        ("secondary endpoint", "overall survival"),
        ("secondary endpoint", "objective response rate"),
    }
    primary = [r for r in answers if r["role"] == "primary endpoint"]
    assert primary[0]["assessor"] == "independent review" and primary[0]["results"] >= 2
    efficacy = kg.query("02-efficacy-of-drug").values()
    hr = [r for r in efficacy if r["result"] == str(HR)]
    assert [r["endpoint_role"] for r in hr] == ["primary endpoint"]


# -- shapes and the reasoner catch the design facts broken ----------------------------------------


def _set(node: URIRef, prop: URIRef, value: object) -> Callable[[Graph], None]:
    return lambda g: g.set(
        (node, prop, value if isinstance(value, URIRef | Literal) else Literal(value))
    )


def _drop(node: URIRef, prop: URIRef) -> Callable[[Graph], None]:
    return lambda g: g.remove((node, prop, None))


def _dec(text: str) -> Literal:
    return Literal(text, datatype=XSD.decimal)


BREAKS = [
    ("not reached given a value of 0", _set(NOT_REACHED, CDEK.value, _dec("0")), NOT_REACHED,
     "QualitativeResultShape"),
    ("finding without a kind", _drop(NOT_REACHED, CDEK.findingKind), NOT_REACHED,
     "QualitativeResultShape"),
    ("fraction above 1", _set(TWO_THIRDS, CDEK.fractionNumerator, Literal(4)), TWO_THIRDS,
     "QualitativeResultShape"),
    ("endpoint without a role", _drop(PFS_ENDPOINT, CDEK.endpointRole), PFS_ENDPOINT,
     "StudyEndpointShape"),
    ("endpoint with two roles", lambda g: g.add((ORR_ENDPOINT, CDEK.endpointRole,
     CDEK.PrimaryEndpoint)), ORR_ENDPOINT, "StudyEndpointShape"),
    ("result of another study's endpoint", _set(HR, CDEK.studyEndpoint,
     URIRef(DECISION + "/endpoint/pfs")), HR, "ResultStudyEndpointShape"),
    ("power of 120%", _set(PLAN, CDEK.statisticalPower, _dec("120")), PLAN,
     "SampleSizePlanShape"),
    ("alpha of 1.5", _set(PLAN, CDEK.significanceLevel, _dec("1.5")), PLAN,
     "SampleSizePlanShape"),
    ("interim after the final analysis", _set(PLAN, CDEK.interimEvents, Literal(60)), PLAN,
     "SampleSizePlanShape"),
    ("baseline percent of 140", _set(FEMALE, CDEK.percent, _dec("140")), FEMALE, "PercentRange"),
    ("baseline without a number", _drop(WHITE, CDEK.percent), WHITE,
     "BaselineCharacteristicShape"),
    ("rule in a unit that is not UCUM", _set(WINDOW, CDEK.ruleLimitUnit, Literal("weeks")),
     WINDOW, "ProtocolRuleShape"),
    ("deviation observed backwards", _set(DEVIATION, CDEK.observedLower, _dec("2")), DEVIATION,
     "ProtocolDeviationShape"),
    ("plan without a source", _drop(PLAN, CDEK.source), PLAN, "DesignSource"),
]  # fmt: skip


@pytest.fixture(scope="module")
def broken(seed_build: BuildReport) -> ValidationReport:
    g = Graph() + seed_build.result.graph
    for _, change, _, _ in BREAKS:
        change(g)
    return validate(g)


def test_the_seed_design_facts_conform(seed_build: BuildReport) -> None:
    mine = {b[3] for b in BREAKS}
    report = seed_build.trust.validation
    assert not [str(v) for v in report.violations if v.shape in mine]


@pytest.mark.parametrize(("name", "focus", "shape"), [(b[0], b[2], b[3]) for b in BREAKS])
def test_each_design_shape_fires_on_a_broken_copy(
    broken: ValidationReport, name: str, focus: URIRef, shape: str
) -> None:
    hits = [v for v in broken.violations if v.shape == shape and v.focus == str(focus)]
    assert hits, f"{name}: {shape} did not fire"
    assert all(v.message for v in hits)


def test_the_reasoner_refuses_a_finding_that_is_also_a_numeric_result(graph: Graph) -> None:
    """A result stated without a number measured like a numeric result: disjoint classes."""
    part = Graph()
    for triple in graph.triples((NOT_REACHED, None, None)):
        part.add(triple)
    part.add((NOT_REACHED, CDEK.measuresEndpoint, URIRef(R + "endpoint/pfs")))
    problems = explain_inconsistency(part)
    found = [p for p in problems if p.individual.endswith("pfs-median-not-reached-sorafenib")]
    assert found, problems
    alone = Graph()
    for triple in graph.triples((NOT_REACHED, None, None)):
        alone.add(triple)
    assert explain_inconsistency(alone) == []
