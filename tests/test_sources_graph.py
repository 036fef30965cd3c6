"""Registry records in the graph, checked number by number against the raw files.

The raw files are parsed here on their own (json, ElementTree), never through kg.sources, and
each graph node is found by the JSON Pointer or XPath its provenance gives.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDF, XSD, Graph, Literal

from kg.iris import DEFAULT_BASE
from kg.pipeline import BuildReport, run_build
from kg.vocab import CDEK
from tests.sources_helpers import by_pointer, fixtures

V2 = "NCT02552212.json"
XML = "NCT01642004.xml"


@pytest.fixture(scope="module")
def build() -> BuildReport:
    root = fixtures()
    return run_build(
        sources=[root / "ctgov-v2" / V2, root / "ctgov-xml" / XML],
        include_default=True,
        out=None,
        base=DEFAULT_BASE,
        reasoner=None,
    )


def dec(graph: Graph, node, prop) -> Decimal | None:
    value = graph.value(node, prop)
    return None if value is None else Decimal(str(value))


def num(text: str | None) -> Decimal | None:
    return None if text in (None, "", "NA") else Decimal(text)


def p_of(text: str | None) -> tuple[Decimal | None, str | None]:
    if text is None:
        return None, None
    text = text.strip()
    relation = next((r for r in ("<=", ">=", "<", ">", "=") if text.startswith(r)), "")
    digits = text[len(relation) :].strip()
    relation = relation or "="
    return Decimal("0" + digits if digits.startswith(".") else digits), relation


def test_the_build_has_no_errors_and_passes_shacl(build: BuildReport) -> None:
    assert build.errors == []
    assert build.trust is not None and build.trust.validation.violations == []


# -- API v2 JSON -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_v2() -> dict:
    return json.loads((fixtures() / "ctgov-v2" / V2).read_text(encoding="utf-8"))


def test_v2_every_analysis(build: BuildReport, raw_v2: dict) -> None:
    g = build.result.graph
    nodes = by_pointer(g, CDEK.StatisticalAnalysis, V2)
    measures = raw_v2["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    checked = 0
    for i, measure in enumerate(measures):
        for j, a in enumerate(measure.get("analyses", [])):
            node = nodes[f"/resultsSection/outcomeMeasuresModule/outcomeMeasures/{i}/analyses/{j}"]
            assert dec(g, node, CDEK.value) == num(a.get("paramValue"))
            assert dec(g, node, CDEK.ciLower) == num(a.get("ciLowerLimit"))
            assert dec(g, node, CDEK.ciUpper) == num(a.get("ciUpperLimit"))
            assert dec(g, node, CDEK.ciLevel) == num(a.get("ciPctValue"))
            p, relation = p_of(a.get("pValue"))
            assert dec(g, node, CDEK.pValue) == p
            assert (str(g.value(node, CDEK.pValueRelation)) if p is not None else None) == (
                relation if p is not None else None
            )
            assert str(g.value(node, CDEK.parameterType)) == a["paramType"]
            checked += 1
    assert checked == 12 == len(nodes)


def test_v2_counts_of_measures_analyses_and_terms(build: BuildReport, raw_v2: dict) -> None:
    g = build.result.graph
    results = raw_v2["resultsSection"]
    measures = results["outcomeMeasuresModule"]["outcomeMeasures"]
    assert len(by_pointer(g, CDEK.OutcomeMeasure, V2)) == len(measures) == 31
    rows = by_pointer(g, CDEK.ReportedAdverseEvent, V2)
    serious = [n for n in rows.values() if g.value(n, CDEK.serious) == Literal(True)]
    events = results["adverseEventsModule"]
    assert len(serious) == len(events["seriousEvents"]) == 36
    assert len(rows) - len(serious) == len(events["otherEvents"]) == 9
    values = sum(
        len(c["measurements"])
        for m in measures
        for k in m.get("classes", [])
        for c in k["categories"]
    )
    assert len(by_pointer(g, CDEK.Measurement, V2)) == values


def test_v2_sample_of_measurements(build: BuildReport, raw_v2: dict) -> None:
    g = build.result.graph
    nodes = by_pointer(g, CDEK.Measurement, V2)
    measures = raw_v2["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    seen = 0
    for i, measure in enumerate(measures[::3]):
        i *= 3
        for c, klass in enumerate(measure.get("classes", [])):
            for k, category in enumerate(klass["categories"]):
                for j, m in enumerate(category["measurements"]):
                    node = nodes[
                        f"/resultsSection/outcomeMeasuresModule/outcomeMeasures/{i}"
                        f"/classes/{c}/categories/{k}/measurements/{j}"
                    ]
                    assert dec(g, node, CDEK.value) == num(m["value"])
                    assert dec(g, node, CDEK.spread) == num(m.get("spread"))
                    low = (
                        CDEK.ciLower
                        if "Confidence" in measure.get("dispersionType", "")
                        else (CDEK.dispersionLower)
                    )
                    assert dec(g, node, low) == num(m.get("lowerLimit"))
                    seen += 1
    assert seen >= 15


def test_v2_not_available_is_kept_with_its_comment(build: BuildReport, raw_v2: dict) -> None:
    g = build.result.graph
    nodes = by_pointer(g, CDEK.Measurement, V2)
    measures = raw_v2["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    found = 0
    for i, measure in enumerate(measures):
        for c, klass in enumerate(measure.get("classes", [])):
            for k, category in enumerate(klass["categories"]):
                for j, m in enumerate(category["measurements"]):
                    if m["value"] != "NA":
                        continue
                    node = nodes[
                        f"/resultsSection/outcomeMeasuresModule/outcomeMeasures/{i}"
                        f"/classes/{c}/categories/{k}/measurements/{j}"
                    ]
                    assert g.value(node, CDEK.value) is None
                    assert str(g.value(node, CDEK.notAvailable)) == m["comment"]
                    found += 1
    assert found == 1


def test_v2_sample_of_adverse_event_counts(build: BuildReport, raw_v2: dict) -> None:
    g = build.result.graph
    nodes = by_pointer(g, CDEK.AdverseEventResult, V2)
    events = raw_v2["resultsSection"]["adverseEventsModule"]
    for key in ("seriousEvents", "otherEvents"):
        for i, event in enumerate(events[key][::4]):
            i *= 4
            for j, stat in enumerate(event["stats"]):
                node = nodes[f"/resultsSection/adverseEventsModule/{key}/{i}/stats/{j}"]
                assert g.value(node, CDEK.count) == Literal(stat["numAffected"])
                assert g.value(node, CDEK.denominator) == Literal(stat["numAtRisk"])
                assert g.value(node, CDEK.eventCount) == Literal(stat["numEvents"])
                assert g.value(node, CDEK.serious) == Literal(key == "seriousEvents")


# -- legacy XML --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_xml() -> ET.Element:
    return ET.parse(fixtures() / "ctgov-xml" / XML).getroot()


def test_xml_every_analysis(build: BuildReport, raw_xml: ET.Element) -> None:
    g = build.result.graph
    nodes = by_pointer(g, CDEK.StatisticalAnalysis, XML)
    checked = 0
    outcomes = raw_xml.findall("clinical_results/outcome_list/outcome")
    for i, outcome in enumerate(outcomes, start=1):
        for j, a in enumerate(outcome.findall("analysis_list/analysis"), start=1):
            node = nodes[
                f"/clinical_study/clinical_results[1]/outcome_list[1]/outcome[{i}]"
                f"/analysis_list[1]/analysis[{j}]"
            ]
            assert dec(g, node, CDEK.value) == num(a.findtext("param_value"))
            assert dec(g, node, CDEK.ciLower) == num(a.findtext("ci_lower_limit"))
            assert dec(g, node, CDEK.ciUpper) == num(a.findtext("ci_upper_limit"))
            p, relation = p_of(a.findtext("p_value"))
            assert dec(g, node, CDEK.pValue) == p
            if p is not None:
                assert str(g.value(node, CDEK.pValueRelation)) == relation
            checked += 1
    assert checked == 13 == len(nodes)


def test_xml_overall_survival_hazard_ratio(build: BuildReport) -> None:
    """CheckMate 017: OS hazard ratio 0.62 (95% CI 0.47-0.81), nivolumab over docetaxel."""
    g = build.result.graph
    hrs = [
        n
        for n in by_pointer(g, CDEK.StatisticalAnalysis, XML).values()
        if g.value(n, CDEK.analysisStatistic) == CDEK.HazardRatio
        and g.value(n, CDEK.value) == Literal("0.62", datatype=XSD.decimal)
    ]
    assert hrs
    hr = hrs[0]
    assert (dec(g, hr, CDEK.ciLower), dec(g, hr, CDEK.ciUpper)) == (
        Decimal("0.47"),
        Decimal("0.81"),
    )
    assert "Nivolumab over Docetaxel" in str(g.value(hr, CDEK.estimateDescription))


def test_xml_counts_of_measures_analyses_and_terms(build: BuildReport, raw_xml: ET.Element) -> None:
    g = build.result.graph
    outcomes = raw_xml.findall("clinical_results/outcome_list/outcome")
    assert len(by_pointer(g, CDEK.OutcomeMeasure, XML)) == len(outcomes) == 13
    rows = by_pointer(g, CDEK.ReportedAdverseEvent, XML)
    for kind, serious in (("serious_events", True), ("other_events", False)):
        raw = [
            e
            for c in raw_xml.findall(
                f"clinical_results/reported_events/{kind}/category_list/category"
            )
            if c.findtext("title") != "Total"
            for e in c.findall("event_list/event")
        ]
        mine = [n for n in rows.values() if g.value(n, CDEK.serious) == Literal(serious)]
        assert len(mine) == len(raw)  # 83 serious and 42 other terms besides the Total rows


def test_xml_sample_of_measurements_and_adverse_events(
    build: BuildReport, raw_xml: ET.Element
) -> None:
    g = build.result.graph
    values = by_pointer(g, CDEK.Measurement, XML)
    cells = [n for n in values if n.endswith("]")]
    assert len(values) == len(raw_xml.findall(".//outcome//measurement"))
    for xpath in cells[::5]:
        cell = raw_xml.find("." + xpath.removeprefix("/clinical_study"))
        node = values[xpath]
        assert dec(g, node, CDEK.value) == num(cell.get("value"))
        if cell.get("value") == "NA":
            assert str(g.value(node, CDEK.notAvailable)) == (cell.text or "").strip()
    counts = by_pointer(g, CDEK.AdverseEventResult, XML)
    for xpath in list(counts)[::7]:
        cell = raw_xml.find("." + xpath.removeprefix("/clinical_study"))
        assert g.value(counts[xpath], CDEK.count) == Literal(int(cell.get("subjects_affected")))
        assert g.value(counts[xpath], CDEK.denominator) == Literal(
            int(cell.get("subjects_at_risk"))
        )


# -- merge and entities ------------------------------------------------------------------


def test_registry_drug_with_mesh_id_is_a_verified_new_entity(build: BuildReport) -> None:
    g = build.result.graph
    drug = next(g.subjects(CDEK.xref, Literal("mesh:D000068582")))
    assert (drug, RDF.type, CDEK.Drug) in g
    assert g.value(drug, CDEK.identifierGap) is None


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_a_registry_study_of_a_curated_nct_id_is_one_node(tmp_path: Path) -> None:
    """A copy of a registry record re-identified as DECISION (NCT00984282) joins that study."""
    data = json.loads((fixtures() / "ctgov-v2" / V2).read_text(encoding="utf-8"))
    data["protocolSection"]["identificationModule"]["nctId"] = "NCT00984282"
    drug = data["protocolSection"]["armsInterventionsModule"]["interventions"][0]
    drug["name"], drug["otherNames"] = "Nexavar", []  # the brand name of the curated sorafenib
    (tmp_path / "decision.json").write_text(json.dumps(data), encoding="utf-8")
    report = run_build(sources=[tmp_path], out=None, base=DEFAULT_BASE, reasoner=None)
    g = report.result.graph
    studies = {
        s
        for s in g.subjects(CDEK.xref, Literal("clinicaltrials:NCT00984282"))
        if (s, RDF.type, CDEK.ClinicalStudy) in g
    }
    assert len(studies) == 1
    study = studies.pop()
    assert str(study).endswith("/study/decision")
    assert g.value(study, CDEK.hasOutcomeMeasure) is not None
    # "Nexavar" among the intervention's names resolves to the curated sorafenib
    assert (study, CDEK.studiesDrug, next(g.subjects(CDEK.xref, Literal("mesh:D000077157")))) in g


@pytest.mark.slow  # the export's SPARQL over the whole graph takes ~15 s
def test_kgx_has_the_trials_and_their_drugs_and_conditions(build: BuildReport) -> None:
    from kg.kgx import to_kgx

    kgx = to_kgx(build.result.graph)
    trials = {n["id"] for n in kgx.nodes if n["category"] == "biolink:ClinicalTrial"}
    assert {"CLINICALTRIALS:NCT02552212", "CLINICALTRIALS:NCT01642004"} <= trials
    edges = {(e["subject"], e["predicate"], e["object"]) for e in kgx.edges}
    assert ("MESH:D000068582", "biolink:in_clinical_trials_for", "MESH:D000089183") in edges
    ids = {n["id"] for n in kgx.nodes}
    assert all(e["subject"] in ids and e["object"] in ids for e in kgx.edges)


@pytest.mark.slow  # HermiT over ~65k triples: ~30 s
def test_seeds_and_every_fixture_build_with_shacl_and_the_reasoner(tmp_path: Path) -> None:
    root = fixtures()
    report = run_build(
        sources=[root / "ctgov-v2", root / "ctgov-xml", root / "pubmed"],
        out=tmp_path,
        base=DEFAULT_BASE,
        reasoner="auto",
    )
    assert report.errors == []
    assert report.trust is not None and report.trust.validation.violations == []
    assert report.trust.reasoning is not None and report.trust.reasoning.consistent
