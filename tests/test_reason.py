"""OWL reasoning: HermiT fills the defined classes, catches a drug typed as a disease, and the
build falls back to OWL 2 RL rules without Java."""

from __future__ import annotations

import shutil
import socket
from decimal import Decimal

import pytest
from rdflib import RDF, SKOS, XSD, Dataset, Graph, Literal, URIRef

from kg.iris import DEFAULT_BASE, Minter
from kg.reason import java_available, reason
from kg.trust import run_checks
from kg.vocab import CDEK
from kg.xrefs import prefix_map

R = DEFAULT_BASE
SORAFENIB = URIRef(R + "drug/sorafenib")
HR = URIRef(R + "study/alliance-a091105/result/pfs-hazard-ratio-sorafenib-vs-placebo")
RASH = URIRef(R + "study/alliance-a091105/adverse-event/sorafenib-rash-grade-1-2")
PLATELETS = URIRef(
    R + "study/alliance-a091105/adverse-event/sorafenib-thrombocytopenia-grade-4-treatment-related"
)
needs_java = pytest.mark.skipif(not java_available(), reason="HermiT needs Java (none on PATH)")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reasoning must never reach the network (owlready2 fetches owl:imports if it sees one)."""

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _mini(ci_upper: str = "0.31") -> Graph:
    """A drug inhibiting a kinase and a kinase family, a hazard ratio, two adverse events."""
    g = Graph()
    m = Minter()
    drug, braf, vegfr, kdr = m.drug("d"), m.target("braf"), m.target("vegfr"), m.target("kdr")
    study, exp, ctl = m.study("s"), m.arm("s", "exp"), m.arm("s", "ctl")
    g.add((drug, RDF.type, CDEK.Drug))
    for target, uniprot in ((braf, "P15056"), (kdr, "P35968")):
        g.add((target, RDF.type, CDEK.GeneProduct))
        g.add((target, SKOS.exactMatch, URIRef(prefix_map()["uniprot"] + uniprot)))
    g.add((vegfr, RDF.type, CDEK.TargetFamily))
    g.add((vegfr, CDEK.hasMember, kdr))
    g.add((drug, CDEK.inhibits, braf))
    g.add((drug, CDEK.inhibits, vegfr))
    g.add((study, RDF.type, CDEK.RandomizedControlledTrial))
    for arm, role in ((exp, "experimental"), (ctl, "control")):
        g.add((study, CDEK.hasArm, arm))
        g.add((arm, RDF.type, CDEK.StudyArm))
        g.add((arm, CDEK.armRole, Literal(role)))
    hr = m.in_study("s", "result", "hr")
    g.add((hr, RDF.type, CDEK.ComparativeResult))
    g.add((hr, CDEK.statistic, CDEK.HazardRatio))
    g.add((hr, CDEK.resultArm, exp))
    g.add((hr, CDEK.comparatorArm, ctl))
    g.add((hr, CDEK.ciUpper, Literal(ci_upper, datatype=XSD.decimal)))
    pfs = m.endpoint("pfs")  # progression or death: a ratio below 1 favours the first arm
    g.add((pfs, RDF.type, CDEK.Endpoint))
    g.add((pfs, CDEK.eventValence, CDEK.HarmfulEvent))
    g.add((hr, CDEK.measuresEndpoint, pfs))
    for key, percent in (("often", "73.0"), ("rare", "2.0")):
        ae = m.in_study("s", "adverse-event", key)
        g.add((ae, RDF.type, CDEK.AdverseEventResult))
        g.add((ae, CDEK.percent, Literal(percent, datatype=XSD.decimal)))
    return g


def _types(g: Graph, node: URIRef) -> set[URIRef]:
    return set(g.objects(node, RDF.type))


@needs_java
def test_seed_graph_is_consistent_and_hermit_fills_the_defined_classes(seed_build) -> None:
    result = seed_build.trust.reasoning
    assert result.engine == "hermit" and result.consistent
    inferred = result.inferred
    assert CDEK.MultiKinaseInhibitor in _types(inferred, SORAFENIB)
    assert CDEK.FavourableComparativeResult in _types(inferred, HR)
    assert CDEK.CommonAdverseEventResult in _types(inferred, RASH)  # 73%
    assert CDEK.CommonAdverseEventResult not in _types(inferred, PLATELETS)  # 2%
    # 14% in the placebo arm, and a registry row pooled over every drug: not a drug's effect
    placebo = URIRef(
        R + "study/alliance-a091105/adverse-event/"
        "placebo-any-adverse-event-grade-3-treatment-related"
    )
    pooled = URIRef(R + "study/outcs/adverse-event/all-diarrhea-grade-any")
    assert (placebo, CDEK.percent, None) in seed_build.result.graph
    assert CDEK.CommonAdverseEventResult not in _types(inferred, placebo)
    assert CDEK.CommonAdverseEventResult not in _types(inferred, pooled)
    assert (SORAFENIB, CDEK.inhibitsFamilyMember, URIRef(R + "target/kdr")) in inferred


def test_inferred_triples_are_kept_apart_from_asserted_ones(seed_build) -> None:
    inferred = seed_build.trust.inferred
    assert len(inferred) > 0
    assert not [t for t in inferred if t in seed_build.result.graph]
    on_disk = Graph().parse(seed_build.outputs["inferred"])
    assert on_disk.isomorphic(inferred)
    dataset = Dataset().parse(seed_build.outputs["nquads"], format="nquads")
    sizes = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
    assert sizes[R + "graph/asserted"] == len(seed_build.result.graph)
    assert sizes[R + "graph/inferred"] == len(inferred)  # beside the ontology's and metadata


@needs_java
@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_favourable_needs_the_whole_interval_below_one() -> None:
    hr = Minter().in_study("s", "result", "hr")
    assert CDEK.FavourableComparativeResult in _types(reason(_mini("0.31")).inferred, hr)
    assert CDEK.FavourableComparativeResult not in _types(reason(_mini("1.2")).inferred, hr)


@needs_java
def test_a_drug_typed_as_a_disease_is_reported_with_the_axiom() -> None:
    g = _mini()
    drug = Minter().drug("d")
    g.add((drug, RDF.type, CDEK.Disease))
    result = reason(g, engine="hermit")
    assert not result.consistent and len(result.inferred) == 0
    found = {(i.individual, i.axiom) for i in result.inconsistencies}
    assert (str(drug), "cdek:Disease owl:disjointWith cdek:Drug") in found
    text = str(result.inconsistencies[0])
    assert "cdek:Drug" in text and str(drug) in text


@needs_java
def test_a_clash_through_a_range_names_the_triple() -> None:
    g = _mini()
    drug, study = Minter().drug("d"), Minter().study("s")
    g.add((study, CDEK.studiesCondition, drug))  # the range makes the drug a disease
    (item,) = [i for i in reason(g, engine="hermit").inconsistencies if i.individual == str(drug)]
    assert any("cdek:studiesCondition" in fact and "(range)" in fact for fact in item.facts)


@needs_java
def test_a_literal_outside_its_range_is_inconsistent() -> None:
    g = _mini()
    hr = Minter().in_study("s", "result", "hr")
    g.add((hr, CDEK.pValue, Literal("small")))
    result = reason(g, engine="hermit")
    assert [i.axiom for i in result.inconsistencies] == ["cdek:pValue rdfs:range xsd:decimal"]


def test_without_java_the_build_falls_back_to_owl_rl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    report = run_checks(_mini(), Minter(), reasoner="auto")
    assert report.reasoning is not None and report.reasoning.engine == "owlrl"
    assert any("Java not found" in w.message for w in report.warnings)
    inferred = report.inferred
    drug, kdr = Minter().drug("d"), Minter().target("kdr")
    assert (drug, CDEK.inhibitsFamilyMember, kdr) in inferred  # property chain: in OWL 2 RL
    assert CDEK.KinaseTarget in _types(inferred, Minter().target("vegfr"))
    assert CDEK.MultiKinaseInhibitor not in _types(inferred, drug)  # cardinality: not in RL


def test_owl_rl_also_reports_a_drug_typed_as_a_disease() -> None:
    g = _mini()
    g.add((Minter().drug("d"), RDF.type, CDEK.Disease))
    result = reason(g, engine="owlrl")
    assert [i.axiom for i in result.inconsistencies] == ["cdek:Disease owl:disjointWith cdek:Drug"]


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown reasoner"):
        reason(_mini(), engine="pellet")


def test_decimal_values_survive_the_round_trip(seed_build) -> None:
    value = seed_build.result.graph.value(HR, CDEK.ciUpper)
    assert value.toPython() == Decimal("0.31")
