"""The networkx projection, mechanism paths, statistics and their commands."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from rdflib import RDF, RDFS, Graph, URIRef

from kg.cli import main
from kg.network import (
    ENTITY_CLASSES,
    NODE_CLASSES,
    entity_graph,
    find_node,
    mechanism_paths,
    project,
    stats,
)
from kg.pipeline import BuildReport
from kg.vocab import CDEK

RESOURCE = "https://w3id.org/cdekg/resource/"
HR = RESOURCE + "study/alliance-a091105/result/pfs-hazard-ratio-sorafenib-vs-placebo"


@pytest.fixture(scope="module")
def graph(seed_build: BuildReport) -> Graph:
    return seed_build.result.graph


@pytest.fixture(scope="module")
def detail(graph: Graph) -> nx.MultiDiGraph:
    return project(graph)


@pytest.fixture(scope="module")
def entities(detail: nx.MultiDiGraph) -> nx.MultiDiGraph:
    return entity_graph(detail)


def test_every_study_arm_result_and_entity_is_a_node(graph: Graph, detail: nx.MultiDiGraph):
    wanted = {str(s) for cls in NODE_CLASSES for s in graph.subjects(RDF.type, CDEK[cls])}
    assert set(detail) == wanted
    assert not {c for _, c in detail.nodes(data="cls")} & {"TextSpan", "SourceDocument", "Regimen"}


def test_labels_and_numbers_are_the_graphs(graph: Graph, detail: nx.MultiDiGraph):
    for node, data in detail.nodes(data=True):
        assert data["label"] == str(graph.value(URIRef(node), RDFS.label))
        value = graph.value(URIRef(node), CDEK.value)
        if value is not None:
            assert f" {value}" in data["summary"][0]
    hr = detail.nodes[HR]
    assert hr["summary"] == ["value = 0.13; 95.0% CI 0.05 to 0.31; p < 0.001"]
    assert any("[792-1036]" in s for s in hr["sources"])


def test_regimens_and_statements_are_folded(detail: nx.MultiDiGraph):
    arm = RESOURCE + "study/alliance-a091105/arm/sorafenib"
    drug = RESOURCE + "drug/sorafenib"
    edge = detail.edges[arm, drug, "regimenDrug"]
    assert edge["label"] == "regimen drug" and edge["evidence"]
    assert any(k.startswith("regimen ") for k, _ in detail.nodes[arm]["details"])
    inhibits = detail.edges[drug, RESOURCE + "target/braf", "inhibits"]
    assert inhibits["evidence"][0]["sources"]


def test_one_link_from_a_study_to_each_result(detail: nx.MultiDiGraph):
    for node in detail:
        out = {k for _, _, k in detail.out_edges(node, keys=True)}
        if out & {"resultArm", "countsParticipantsOf"}:
            into = {k for _, _, k in detail.in_edges(node, keys=True)}
            assert "inStudy" not in out and "hasResult" not in into, node


def test_entity_graph_folds_results_into_evidence(entities: nx.MultiDiGraph):
    assert {c for _, c in entities.nodes(data="cls")} <= set(ENTITY_CLASSES)
    study = RESOURCE + "study/alliance-a091105"
    rash = RESOURCE + "adverse-event-term/rash"
    labels = [e["label"] for e in entities.edges[study, rash, "adverseEventTerm"]["evidence"]]
    assert any(label.startswith("rash 73%") for label in labels), labels


def test_paths_through_targets_studies_and_approvals(
    detail: nx.MultiDiGraph, entities: nx.MultiDiGraph
):
    drug = find_node(detail, "sorafenib", ["Drug"])
    disease = find_node(detail, "differentiated thyroid cancer", ["Disease"])
    found = mechanism_paths(entities, drug, disease)
    middles = {detail.nodes[p.nodes[1]]["cls"] for p in found if len(p.nodes) == 3}
    assert {"GeneProduct", "RandomizedControlledTrial", "Approval"} <= middles
    braf = next(p for p in found if p.nodes[1].endswith("/target/braf"))
    assert all(hop.evidence for options in braf.hops for hop in options)


def test_registry_path_shows_only_the_drugs_cohorts(
    detail: nx.MultiDiGraph, entities: nx.MultiDiGraph
):
    drug = find_node(detail, "sorafenib", ["Drug"])
    disease = find_node(detail, "desmoid tumor", ["Disease"])
    registry = next(p for p in mechanism_paths(entities, drug, disease) if "outcs" in p.nodes[1])
    cohort = next(h for h in registry.hops[1] if h.predicate == "cohortCondition")
    assert cohort.evidence and all(text.startswith("sorafenib") for text in cohort.evidence)


def test_find_node_errors_name_the_problem(detail: nx.MultiDiGraph):
    with pytest.raises(ValueError, match="no drug named 'nosuchdrug'"):
        find_node(detail, "nosuchdrug", ["Drug"])
    with pytest.raises(ValueError, match="matches"):
        find_node(detail, "sarc", ["Disease"])
    assert find_node(detail, "SORAFENIB", ["Drug"]).endswith("/drug/sorafenib")


def test_stats_counts_and_components(
    seed_build: BuildReport, graph: Graph, entities: nx.MultiDiGraph
):
    result = stats(graph, entities)
    assert result.classes == seed_build.class_counts()
    assert result.predicates["hasArm"] == len(set(graph.triples((None, CDEK.hasArm, None))))
    assert sum(result.components) == entities.number_of_nodes()
    top = max(result.betweenness, key=result.betweenness.get)
    assert entities.nodes[top]["cls"] in ENTITY_CLASSES


def _turtle(seed_build: BuildReport) -> str:
    return str(seed_build.outputs["turtle"])


def test_stats_command_json(seed_build: BuildReport, capsys: pytest.CaptureFixture[str]):
    assert main(["stats", "--graph", _turtle(seed_build), "--json", "--top", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["classes"]["Drug"] == 22 and len(data["degree"]) == 3


def test_paths_command(seed_build: BuildReport, capsys: pytest.CaptureFixture[str]):
    args = ["paths", "sorafenib", "thyroid cancer", "--graph", _turtle(seed_build)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "sorafenib -[inhibits]-> BRAF" in out and "evidence:" in out


@pytest.mark.parametrize("command", [["stats"], ["paths", "sorafenib", "gist"], ["viz"]])
def test_missing_graph_is_a_clear_error(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
):
    missing = tmp_path / "graph.ttl"
    assert main([*command, "--graph", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "kg build" in err


def test_unreadable_graph_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "graph.ttl"
    bad.write_text("this is not turtle <", encoding="utf-8")
    assert main(["stats", "--graph", str(bad)]) == 2
    assert f"{bad}: cannot be read as RDF" in capsys.readouterr().err
