"""Evidence model v2 (issue 10): each test breaks the graph the old way and shows the shape,
the record model or the reasoner catching it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from rdflib import RDF, XSD, Graph, Literal, URIRef

from kg.iris import DEFAULT_BASE, Minter
from kg.model import OutcomeRecord
from kg.reason import java_available, reason
from kg.validate import ValidationReport, validate
from kg.vocab import CDEK

R = DEFAULT_BASE
A = R + "study/alliance-a091105/"
HR = URIRef(A + "result/pfs-hazard-ratio-sorafenib-vs-placebo")
OUTCS = R + "study/outcs/"
AE = R + "adverse-event-term/"
needs_java = pytest.mark.skipif(not java_available(), reason="HermiT needs Java (none on PATH)")


def _copy(seed_build) -> Graph:
    g = Graph()
    for t in seed_build.result.graph:
        g.add(t)
    return g


def _fatal(g: Graph) -> URIRef:
    return sorted(g.subjects(CDEK.fatal, Literal(True)))[0]


@pytest.fixture(scope="module")
def broken(seed_build) -> ValidationReport:
    """One copy of the seed graph with every break below, validated once (SHACL costs seconds)."""
    g = _copy(seed_build)
    g.add((HR, CDEK.ciUpper, Literal("1.4", datatype=XSD.decimal)))
    g.set((HR, CDEK.comparatorArm, URIRef(A + "arm/sorafenib")))
    g.set((HR, CDEK.pValueRelation, Literal("about")))
    g.add((URIRef(OUTCS + "arm/sorafenib-gist"), CDEK.withinCohort, URIRef(A + "arm/sorafenib")))
    g.add((URIRef(AE + "diarrhea"), RDF.type, CDEK.AdverseEventCategory))
    g.set((URIRef(A + "participants/efficacy-all"), CDEK.population, Literal("ITT-ish")))
    fatal = _fatal(g)
    g.set((fatal, CDEK.gradeMax, Literal(3)))
    g.set((fatal, CDEK.gradeMin, Literal(1)))
    return validate(g)


def _hit(report: ValidationReport, shape: str, focus: URIRef) -> list[str]:
    return [str(v) for v in report.violations if v.shape == shape and v.focus == str(focus)]


# -- 1. statistics: one value each, a direction, a method, sidedness, valence ------------------


def test_the_seed_hazard_ratio_states_direction_method_and_sides(seed_build) -> None:
    g = seed_build.result.graph
    arm, ref = A + "arm/sorafenib", A + "arm/placebo"
    assert g.value(HR, CDEK.resultArm) == URIRef(arm)
    assert g.value(HR, CDEK.comparatorArm) == URIRef(ref)
    assert g.value(HR, CDEK.analysisMethod) == CDEK.StratifiedCoxProportionalHazards
    assert g.value(HR, CDEK.sidedness) == Literal(2)
    pfs = g.value(HR, CDEK.measuresEndpoint)
    assert g.value(pfs, CDEK.eventValence) == CDEK.HarmfulEvent


def test_a_second_upper_bound_is_caught_by_the_shapes(broken: ValidationReport) -> None:
    assert _hit(broken, "OneCiUpper", HR)


def test_a_comparison_of_an_arm_with_itself_is_caught(broken: ValidationReport) -> None:
    assert _hit(broken, "ComparativeResultShape", HR)


def test_a_relation_outside_the_operators_is_caught(broken: ValidationReport) -> None:
    assert _hit(broken, "OnePValueRelation", HR)


def _outcome(**changes: object) -> OutcomeRecord:
    fields: dict[str, object] = {
        "type": "outcome",
        "study": "s",
        "endpoint": "pfs",
        "statistic": "hazard-ratio",
        "arm": "a",
        "comparator": "b",
        "value": "0.5",
        "unit": "ratio",
        "ci": "0.3 to 0.8",
        "ci_level": 95,
        "p_value": "P=0.01",
        "loc": {"section": "s", "span": [0, 1]},
    }
    fields.update(changes)
    return OutcomeRecord.model_validate(fields)


def test_records_name_method_and_sides_and_refuse_self_comparison() -> None:
    r = _outcome(method="Stratified Cox PH", sides=2)
    assert (r.method, r.sides) == ("stratified-cox-ph", 2)
    with pytest.raises(ValidationError, match="compared with itself"):
        _outcome(comparator="a")
    with pytest.raises(ValidationError, match="sides"):
        _outcome(ci=None, ci_level=None, p_value=None, sides=1)
    with pytest.raises(ValidationError):
        _outcome(method="eyeballing")
    assert _outcome().value.value == Decimal("0.5")


def _comparison(
    *, valence: URIRef | None, low: str, high: str, first: str = "experimental"
) -> tuple[Graph, URIRef]:
    """A hazard ratio with its interval, first arm over reference arm, on one endpoint."""
    g, m = Graph(), Minter()
    study, exp, ctl = m.study("s"), m.arm("s", "exp"), m.arm("s", "ctl")
    endpoint = m.endpoint("e")
    g.add((study, RDF.type, CDEK.RandomizedControlledTrial))
    g.add((endpoint, RDF.type, CDEK.Endpoint))
    if valence is not None:
        g.add((endpoint, CDEK.eventValence, valence))
    for arm, role in ((exp, "experimental"), (ctl, "control")):
        g.add((study, CDEK.hasArm, arm))
        g.add((arm, RDF.type, CDEK.StudyArm))
        g.add((arm, CDEK.armRole, Literal(role)))
    hr = m.in_study("s", "result", "hr")
    g.add((hr, RDF.type, CDEK.ComparativeResult))
    g.add((hr, CDEK.statistic, CDEK.HazardRatio))
    g.add((hr, CDEK.measuresEndpoint, endpoint))
    first_arm, ref = (exp, ctl) if first == "experimental" else (ctl, exp)
    g.add((hr, CDEK.resultArm, first_arm))
    g.add((hr, CDEK.comparatorArm, ref))
    g.add((hr, CDEK.ciLower, Literal(low, datatype=XSD.decimal)))
    g.add((hr, CDEK.ciUpper, Literal(high, datatype=XSD.decimal)))
    return g, hr


def _favourable(g: Graph, hr: URIRef) -> bool:
    result = reason(g, engine="hermit")
    assert result.consistent, result.inconsistencies
    return (hr, RDF.type, CDEK.FavourableComparativeResult) in result.inferred


@pytest.mark.slow  # five HermiT runs: ~15 s
@needs_java
def test_favourable_follows_the_endpoint_valence_and_the_direction() -> None:
    # the old definition classed every HR wholly below 1 as favourable, whatever it counted
    assert _favourable(*_comparison(valence=CDEK.HarmfulEvent, low="0.05", high="0.31"))
    assert not _favourable(*_comparison(valence=CDEK.BeneficialEvent, low="0.05", high="0.31"))
    assert _favourable(*_comparison(valence=CDEK.BeneficialEvent, low="1.2", high="2.5"))
    assert not _favourable(*_comparison(valence=None, low="0.05", high="0.31"))
    # control over experimental: below 1 favours the control arm
    reverse = _comparison(valence=CDEK.HarmfulEvent, low="0.05", high="0.31", first="control")
    assert not _favourable(*reverse)


@needs_java
def test_a_second_upper_bound_makes_the_graph_inconsistent_for_hermit() -> None:
    g, hr = _comparison(valence=CDEK.HarmfulEvent, low="0.05", high="0.31")
    g.add((hr, CDEK.ciUpper, Literal("1.4", datatype=XSD.decimal)))
    result = reason(g, engine="hermit")
    assert not result.consistent
    assert (hr, RDF.type, CDEK.FavourableComparativeResult) not in result.inferred


# -- 3. combinations: the report's combination cohorts are no longer monotherapy ----------------


def _drugs(g: Graph, arm: str) -> set[str]:
    regimen = g.value(URIRef(OUTCS + "arm/" + arm.replace("--", "-")), CDEK.receivesRegimen)
    return {str(d).rsplit("/", 1)[1] for d in g.objects(regimen, CDEK.regimenDrug)}


def test_registry_combination_cohorts_name_every_drug(seed_build) -> None:
    g = seed_build.result.graph
    assert _drugs(g, "everolimus--gist") == {"everolimus", "cyclophosphamide"}
    assert _drugs(g, "bevacizumab--angiosarcoma") == {"bevacizumab", "paclitaxel"}
    assert _drugs(g, "sirolimus--chondrosarcoma") == {"sirolimus", "cyclophosphamide"}
    # 8 of the 10 osteosarcoma lines on sirolimus also had cyclophosphamide
    osteo = URIRef(OUTCS + "arm/sirolimus-osteosarcoma")
    regimen = g.value(osteo, CDEK.receivesRegimen)
    assert _drugs(g, "sirolimus--osteosarcoma") == {"sirolimus"}
    assert set(g.objects(regimen, CDEK.someAlsoReceived)) == {URIRef(R + "drug/cyclophosphamide")}
    split = URIRef(OUTCS + "participants/combination-sirolimus-osteosarcoma")
    assert (g.value(split, CDEK.count), g.value(split, CDEK.denominator)) == (
        Literal(8),
        Literal(10),
    )


def test_a_combination_gives_each_drug_its_own_dose() -> None:
    from kg.model import ArmRecord

    arm = ArmRecord.model_validate(
        {
            "type": "arm",
            "study": "s",
            "id": "combo",
            "label": "a + b",
            "role": "experimental",
            "regimen": {
                "drugs": ["a", "b"],
                "components": [
                    {"drug": "a", "dose": 400, "unit": "mg"},
                    {"drug": "b", "dose": 175, "unit": "mg/m2"},
                ],
            },
            "loc": {"section": "s", "span": [0, 1]},
        }
    )
    assert arm.stated_numbers() == {Decimal(400), Decimal(175)}
    with pytest.raises(ValidationError, match="several drugs"):
        ArmRecord.model_validate(
            {**arm.model_dump(), "regimen": {"drugs": ["a", "b"], "dose": 400, "unit": "mg"}}
        )
    with pytest.raises(ValidationError, match="components"):
        ArmRecord.model_validate(
            {
                **arm.model_dump(),
                "regimen": {"drugs": ["a"], "components": [{"drug": "c", "dose": 1, "unit": "mg"}]},
            }
        )


# -- 4. cohorts are not arms: they overlap, and LMS is the report's non-uterine group ------------


def test_registry_cohorts_are_their_own_class_and_nest(seed_build) -> None:
    g = seed_build.result.graph
    gist = URIRef(OUTCS + "arm/sorafenib-gist")
    assert (gist, RDF.type, CDEK.RegistryCohort) in g
    assert (gist, RDF.type, CDEK.StudyArm) not in g
    assert (gist, CDEK.withinCohort, URIRef(OUTCS + "arm/sorafenib")) in g
    assert (URIRef(A + "arm/sorafenib"), RDF.type, CDEK.StudyArm) in g
    lms = URIRef(OUTCS + "arm/sorafenib-leiomyosarcoma")
    disease = g.value(lms, CDEK.cohortCondition)
    assert disease == URIRef(R + "disease/non-uterine-leiomyosarcoma")
    assert g.value(disease, CDEK.subtypeOf) == URIRef(R + "disease/leiomyosarcoma")


@pytest.mark.slow  # OWL 2 RL closure of the ontology, twice: ~5 s
def test_a_cohort_typed_as_an_arm_too_is_caught() -> None:
    g, m = Graph(), Minter()
    cohort = m.arm("r", "drug-histotype")
    g.add((cohort, RDF.type, CDEK.RegistryCohort))
    assert reason(g, engine="owlrl").consistent
    g.add((cohort, RDF.type, CDEK.StudyArm))
    assert not reason(g, engine="owlrl").consistent


def test_a_population_outside_the_closed_set_is_caught(broken: ValidationReport) -> None:
    assert _hit(broken, "ParticipantPopulationShape", URIRef(A + "participants/efficacy-all"))


def test_a_cohort_within_another_studys_cohort_is_caught(broken: ValidationReport) -> None:
    assert _hit(broken, "WithinCohortShape", URIRef(OUTCS + "arm/sorafenib-gist"))


# -- 5. adverse events: kinds of terms, numeric grades, fatal is grade 5 ------------------------


def test_a_term_of_two_kinds_is_caught(broken: ValidationReport) -> None:
    assert _hit(broken, "AdverseEventTermKindShape", URIRef(AE + "diarrhea"))


def test_adverse_event_terms_have_one_kind(seed_build) -> None:
    g = seed_build.result.graph
    assert (URIRef(AE + "diarrhea"), RDF.type, CDEK.SpecificAdverseEventTerm) in g
    assert (URIRef(AE + "skin-toxicity"), RDF.type, CDEK.AdverseEventCategory) in g
    assert (URIRef(AE + "any-adverse-event"), RDF.type, CDEK.AdverseEventAggregate) in g
    # the report's "intestinal" and "gastrointestinal" toxicity are one category
    assert (URIRef(AE + "intestinal-toxicity"), None, None) not in g


def test_grades_are_numbers_and_a_fatal_event_is_grade_5(seed_build) -> None:
    g = seed_build.result.graph
    fatal = list(g.subjects(CDEK.fatal, Literal(True)))
    assert fatal and all(g.value(n, CDEK.gradeMax) == Literal(5) for n in fatal)
    for node in g.subjects(RDF.type, CDEK.AdverseEventResult):
        assert isinstance(g.value(node, CDEK.gradeMin).toPython(), int), node


def test_a_fatal_event_below_grade_5_is_caught(seed_build, broken: ValidationReport) -> None:
    assert _hit(broken, "FatalIsGrade5Shape", _fatal(seed_build.result.graph))


def test_decision_serious_adverse_events_are_adverse_event_results(seed_build) -> None:
    g = seed_build.result.graph
    serious = [
        n
        for n in g.subjects(CDEK.serious, Literal(True))
        if g.value(n, CDEK.inStudy) == URIRef(R + "study/decision")
        and g.value(n, CDEK.adverseEventTerm) == URIRef(AE + "any-adverse-event")
    ]
    assert {str(g.value(n, CDEK.percent)) for n in serious} == {"37.0", "26.0"}
    assert all((n, RDF.type, CDEK.AdverseEventResult) in g for n in serious)


def test_a_histotype_subgroup_is_a_disease_not_a_population_string(seed_build) -> None:
    g = seed_build.result.graph
    gist = URIRef(R + "disease/gist")
    medians = [
        n for n in g.subjects(CDEK.subgroupCondition, gist) if (n, CDEK.statistic, CDEK.Median) in g
    ]
    assert [str(g.value(n, CDEK.value)) for n in medians] == ["5.5"]
    assert not list(g.subjects(CDEK.analysisPopulation, Literal("GIST")))


def test_registry_response_counts_are_counted_in_treatment_lines(seed_build) -> None:
    g = seed_build.result.graph
    node = URIRef(OUTCS + "result/partial-response-count-sorafenib-gist")
    assert g.value(node, CDEK.unit) == Literal("treatment-lines")
