"""Each canned competency question answers with the values the seed documents state."""

from __future__ import annotations

from decimal import Decimal

import pytest
import rdflib

from kg.api import KnowledgeGraph, ParameterError
from kg.catalog import load_catalog
from kg.pipeline import BuildReport

R = "https://w3id.org/cdekg/resource/"
DESMOID = R + "study/alliance-a091105"
SORAFENIB = R + "drug/sorafenib"


@pytest.fixture(scope="module")
def graph(seed_build: BuildReport) -> KnowledgeGraph:
    return KnowledgeGraph.load(seed_build.outputs["turtle"])


def values(graph: KnowledgeGraph, name: str, **params: str) -> list[dict]:
    return graph.query(name, **params).values()


def test_catalog_has_the_twelve_questions() -> None:
    catalog = load_catalog()
    assert len(catalog) >= 12
    for query in catalog.values():
        assert query.title and query.description, query.name


def test_studies_of_drug(graph: KnowledgeGraph) -> None:
    rows = values(graph, "01-studies-of-drug", drug="Nexavar")
    assert {r["study"] for r in rows} == {
        DESMOID,
        R + "study/decision",
        R + "study/resort",
        R + "study/outcs",
    }
    desmoid = {r["arm_role"]: r for r in rows if r["study"] == DESMOID}
    sorafenib, placebo = desmoid["experimental"], desmoid["control"]
    assert sorafenib["registry_ids"] == "clinicaltrials:NCT02066181"
    assert (sorafenib["phase"], sorafenib["randomized"], sorafenib["blinding"]) == (
        "3",
        True,
        "double-blind",
    )
    assert sorafenib["control"] == "placebo"
    assert sorafenib["indications"] == "desmoid tumor"
    assert (sorafenib["dose"], sorafenib["dose_unit"], sorafenib["frequency"]) == (
        Decimal(400),
        "mg",
        "once daily",
    )
    assert "randomized 50" in sorafenib["patients"]
    assert "randomized 37" in placebo["patients"]
    decision = [r for r in rows if r["acronym"] == "DECISION" and r["arm_role"] == "experimental"]
    assert decision[0]["registry_ids"] == "clinicaltrials:NCT00984282"
    assert decision[0]["frequency"] == "twice daily"


def test_efficacy_table(graph: KnowledgeGraph) -> None:
    rows = values(graph, "02-efficacy-of-drug")
    hr = [r for r in rows if r["statistic"] == "hazard ratio"]
    assert len(hr) == 1
    assert (hr[0]["value"], hr[0]["ci_lower"], hr[0]["ci_upper"]) == (
        Decimal("0.13"),
        Decimal("0.05"),
        Decimal("0.31"),
    )
    assert (hr[0]["p_relation"], hr[0]["p_value"]) == ("<", Decimal("0.001"))
    assert hr[0]["comparator"] == "Placebo"
    decision_pfs = {
        r["arm"]: r["value"]
        for r in rows
        if r["study"] == R + "study/decision" and r["endpoint"] == "progression-free survival"
    }
    assert sorted(decision_pfs.values()) == [Decimal("5.8"), Decimal("10.8")]
    rfs_12 = [
        r
        for r in rows
        if r["study"] == R + "study/resort"
        and r["time_point"] == Decimal(12)
        and r["arm"].startswith("Sorafenib")
    ]
    assert [(r["value"], r["ci_lower"], r["ci_upper"]) for r in rfs_12] == [
        (Decimal(62), Decimal(46), Decimal(84))
    ]


def test_comparative_verdicts(graph: KnowledgeGraph) -> None:
    rows = values(graph, "03-comparative-results", drug="sorafenib")
    assert [(r["study"], r["verdict"]) for r in rows] == [
        (DESMOID, "favours experimental arm (interval below no effect)")
    ]


def test_comparative_verdicts_cover_neutral_and_negative(seed_build: BuildReport) -> None:
    """The classification itself, on two invented comparisons added to a copy of the graph."""
    data = rdflib.Graph()
    data.parse(seed_build.outputs["turtle"])
    cdek = rdflib.Namespace("https://w3id.org/cdekg/ontology#")
    arm = rdflib.URIRef(DESMOID + "/arm/sorafenib")
    for name, kind, low, high in (
        ("neutral", cdek.HazardRatio, "0.8", "1.2"),
        ("harm", cdek.HazardRatio, "1.1", "1.9"),
        ("difference", cdek.Difference, "2", "9"),
    ):
        node = rdflib.URIRef(R + "test/" + name)
        for p, o in (
            (rdflib.RDF.type, cdek.ComparativeResult),
            (cdek.inStudy, rdflib.URIRef(DESMOID)),
            (cdek.statistic, kind),
            (cdek.value, rdflib.Literal(Decimal("1.0"))),
            (cdek.resultArm, arm),
            (cdek.ciLower, rdflib.Literal(Decimal(low))),
            (cdek.ciUpper, rdflib.Literal(Decimal(high))),
            (cdek.measuresEndpoint, rdflib.URIRef(R + "endpoint/pfs")),
        ):
            data.add((node, p, o))
    verdicts = {
        r["result"]: r["verdict"]
        for r in KnowledgeGraph.from_graph(data).query("03-comparative-results").values()
    }
    assert verdicts[R + "test/neutral"] == "neutral (interval includes no effect)"
    assert verdicts[R + "test/harm"] == "favours comparator (interval above no effect)"
    # which side a difference favours depends on the endpoint: only its position is stated
    assert verdicts[R + "test/difference"] == "interval above no effect"


def test_adverse_events_ranked(graph: KnowledgeGraph) -> None:
    rows = values(graph, "04-adverse-events-of-drug", drug="sorafenib")
    frequencies = [r["frequency"] for r in rows if r["frequency"] is not None]
    assert frequencies == sorted(frequencies, reverse=True)
    rash = [r for r in rows if r["term"] == "rash" and r["study"] == DESMOID]
    assert [(r["grade"], r["percent"], r["basis"]) for r in rash] == [
        ("1-2", Decimal(73), "stated")
    ]
    assert "Abstract: results" in rash[0]["sections"]
    common = values(graph, "04-adverse-events-of-drug", drug="sorafenib", min_percent="50")
    assert common and all(r["frequency"] >= 50 for r in common)
    assert len(common) < len(rows)


def test_grade_3_or_higher(graph: KnowledgeGraph) -> None:
    rows = values(graph, "05-grade3-toxicity", drug="sorafenib")
    assert rows and all(r["drug_label"] == "sorafenib" for r in rows)
    resort = [r for r in rows if r["study"] == R + "study/resort"]
    assert [(r["term"], r["grade"], r["percent"]) for r in resort] == [
        ("any adverse event", "3", Decimal(22))
    ]
    registry = {r["term"] for r in rows if r["study"] == R + "study/outcs"}
    assert "hematologic toxicity" in registry
    every_drug = {r["drug_label"] for r in values(graph, "05-grade3-toxicity")}
    assert {"sorafenib", "imatinib"} <= every_drug


def test_mechanism(graph: KnowledgeGraph) -> None:
    rows = values(graph, "06-mechanism", drug="sorafenib")
    assert {r["target_label"] for r in rows} == {"BRAF", "VEGF receptor family"}
    vegfr = [r for r in rows if r["target_label"] == "VEGF receptor family"]
    assert [(r["disease_label"], r["relation"]) for r in vegfr] == [
        ("differentiated thyroid cancer", "overexpressed-in")
    ]
    assert "Background [3666-3721]" in vegfr[0]["drug_target_source"]


def test_dose_and_schedule(graph: KnowledgeGraph) -> None:
    rows = values(graph, "07-dose-schedule")
    assert len(rows) == 3  # one row per regimen, indications gathered
    schedule = {(r["acronym"], r["dose"], r["frequency"]) for r in rows}
    assert {
        ("A091105", Decimal(400), "once daily"),
        ("DECISION", Decimal(400), "twice daily"),
        ("RESORT", Decimal(400), "twice daily"),
    } == schedule


def test_registry_response_best_first(graph: KnowledgeGraph) -> None:
    rows = values(graph, "08-registry-response")
    rates = [r["orr_percent"] for r in rows]
    assert rates == sorted(rates, reverse=True)
    angio = [r for r in rows if (r["drug_label"], r["histotype"]) == ("sorafenib", "angiosarcoma")]
    assert [(r["orr_percent"], r["patients"]) for r in angio] == [(Decimal(21), 14)]
    bigger = values(graph, "08-registry-response", drug="sorafenib", min_patients="10")
    assert bigger and all(r["patients"] >= 10 and r["drug_label"] == "sorafenib" for r in bigger)


def test_provenance_of_the_hazard_ratio(graph: KnowledgeGraph) -> None:
    node = DESMOID + "/result/pfs-hazard-ratio-sorafenib-vs-placebo"
    rows = values(graph, "09-provenance", node=f"<{node}>")
    spans = {(r["file"], r["start"], r["end"]) for r in rows}
    assert ("000_ab388bea024c80a6.txt", 792, 1036) in spans
    assert ("001_9c2eaebd443a99c2.txt", 910, 1148) in spans
    assert all(r["sha256"] and len(r["sha256"]) == 64 for r in rows)


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_provenance_carries_the_text_when_documents_were_given(seeds, tmp_path) -> None:
    from kg.iris import DEFAULT_BASE
    from kg.pipeline import run_build

    report = run_build(out=tmp_path, base=DEFAULT_BASE, documents_dir=seeds)
    graph = KnowledgeGraph.load(report.outputs["turtle"])
    node = DESMOID + "/result/pfs-hazard-ratio-sorafenib-vs-placebo"
    texts = [r["text"] for r in values(graph, "09-provenance", node=node)]
    assert texts and all(texts)
    # the value's spans quote it; the statistical-analysis spans support the method and sides
    assert sum("0.13" in t for t in texts) >= 2
    assert any("Cox" in t for t in texts) and any("two-sided" in t for t in texts)


def test_conflicts(graph: KnowledgeGraph) -> None:
    rows = values(graph, "10-conflicts")
    placebo_ci = {r["stated"] for r in rows if r["conflict"].endswith("orr-rate-placebo-conflict")}
    assert placebo_ci == {Decimal(37), Decimal(38)}
    lipo = {r["stated"] for r in rows if "treatment-lines-sorafenib-liposarcoma" in r["conflict"]}
    assert lipo == {7, 8}
    assert values(graph, "10-conflicts", study="DECISION") == []


def test_approvals(graph: KnowledgeGraph) -> None:
    rows = values(graph, "11-approvals", drug="sorafenib")
    dated = [r for r in rows if r["date"] is not None]
    assert [(r["indication"], str(r["date"]), r["agency"], r["study"]) for r in dated] == [
        ("differentiated thyroid cancer", "2013-11-22", "FDA", R + "study/decision")
    ]
    assert {r["indication"] for r in rows} >= {"renal cell carcinoma", "hepatocellular carcinoma"}


@pytest.mark.parametrize("name", ["sorafenib", "Nexavar", "drugbank:DB00398", "CHEBI:50924"])
def test_describe_entity_by_any_name(graph: KnowledgeGraph, name: str) -> None:
    rows = values(graph, "12-describe-entity", entity=name)
    assert {r["entity"] for r in rows} == {SORAFENIB}
    out = {(r["property"].rsplit("#", 1)[-1], r["value"]) for r in rows}
    assert ("exactMatch", "http://identifiers.org/drugbank/DB00398") in out  # Biolink's form
    assert ("inhibits", R + "target/braf") in out
    assert any(r["direction"] == "incoming" for r in rows)


def test_parameter_errors(graph: KnowledgeGraph) -> None:
    with pytest.raises(ParameterError, match="did you mean 'sorafenib'"):
        graph.query("01-studies-of-drug", drug="sorafenb")
    with pytest.raises(ParameterError, match="unknown parameter colour"):
        graph.query("01-studies-of-drug", colour="red")
    with pytest.raises(ParameterError, match="not a number"):
        graph.query("04-adverse-events-of-drug", min_percent="lots")
    with pytest.raises(ParameterError, match="no drug named"):
        graph.query("01-studies-of-drug", drug="desmoid tumor")  # a disease, not a drug
    with pytest.raises(ParameterError, match="no canned question"):
        graph.query("no-such-question")
    for bad in ("NaN", "Infinity", "-inf"):
        with pytest.raises(ParameterError, match="not a finite number"):
            graph.query("04-adverse-events-of-drug", min_percent=bad)


def test_numbers_without_exponent_and_minted_curies(graph: KnowledgeGraph) -> None:
    same = values(graph, "04-adverse-events-of-drug", min_percent="50")
    assert values(graph, "04-adverse-events-of-drug", min_percent="5E+1") == same
    node = "kgr:study/alliance-a091105/result/pfs-hazard-ratio-sorafenib-vs-placebo"
    assert graph.resolve(node) == DESMOID + "/result/pfs-hazard-ratio-sorafenib-vs-placebo"


@pytest.mark.parametrize("name", sorted(load_catalog()))
def test_canned_text_answers_as_it_is(graph: KnowledgeGraph, name: str) -> None:
    """The endpoint's page offers each question with its parameters left free."""
    text = load_catalog()[name].text
    assert len(graph.query(text)) > 0


@pytest.mark.parametrize("engine", ["pyoxigraph", "rdflib"])
def test_nquads_keep_inferred_apart_and_queries_see_both(
    seed_build: BuildReport, engine: str
) -> None:
    graph = KnowledgeGraph.load(seed_build.outputs["nquads"], engine=engine)
    where = graph.query(
        f"SELECT ?g WHERE {{ GRAPH ?g {{ <{SORAFENIB}> a cdek:MultiKinaseInhibitor }} }}"
    ).values()
    assert [r["g"] for r in where] == [R + "graph/inferred"]
    # the canned questions see the union of the asserted and inferred graphs
    assert len(graph.query("03-comparative-results")) == 1
