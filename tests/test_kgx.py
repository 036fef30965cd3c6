"""Biolink KGX export, checked by the real kgx validator (offline, through kg/kgx_shim.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kg.cli import main
from kg.kgx import INFORES, KgxUnavailableError, kgx_python, to_kgx, validate_kgx, write_kgx

PREDICATES = {
    "biolink:treats",
    "biolink:in_clinical_trials_for",
    "biolink:has_adverse_event",
    "biolink:directly_physically_interacts_with",
    "biolink:gene_associated_with_condition",
}
CATEGORIES = {
    "biolink:SmallMolecule",
    "biolink:ChemicalEntity",
    "biolink:Disease",
    "biolink:Gene",
    "biolink:PhenotypicFeature",
}


def _kgx_available() -> str | None:
    try:
        kgx_python()
    except KgxUnavailableError as error:
        return str(error)
    return None


needs_kgx = pytest.mark.skipif(
    _kgx_available() is not None,
    reason=f"kgx validator not available: {_kgx_available()} (CI installs the validate extra)",
)


@pytest.fixture(scope="module")
def kgx_files(seed_build, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("kgx")
    return write_kgx(seed_build.result.graph, seed_build.trust.inferred, out)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_edges_carry_biolink_predicates_and_knowledge_sources(kgx_files) -> None:
    edges = _rows(kgx_files["kgx_edges"])
    assert {e["predicate"] for e in edges} == PREDICATES
    for edge in edges:
        assert edge["primary_knowledge_source"] == INFORES
        assert edge["knowledge_level"] in {"knowledge_assertion", "logical_entailment"}
        assert edge["agent_type"] in {"manual_agent", "automated_agent"}
    desmoid = ("CHEBI:50924", "biolink:in_clinical_trials_for", "MONDO:0007608")
    (row,) = [e for e in edges if (e["subject"], e["predicate"], e["object"]) == desmoid]
    assert "PMID:30575484" in row["publications"].split("|")


def test_reasoned_edges_are_marked_as_entailed(kgx_files) -> None:
    edges = {(e["subject"], e["object"]): e for e in _rows(kgx_files["kgx_edges"])}
    kdr = edges[("CHEBI:50924", "HGNC:6307")]  # sorafenib -> VEGFR family -> KDR
    assert (kdr["knowledge_level"], kdr["agent_type"]) == ("logical_entailment", "automated_agent")
    braf = edges[("CHEBI:50924", "HGNC:1097")]  # stated in the source
    assert braf["knowledge_level"] == "knowledge_assertion"


def test_nodes_have_categories_and_every_edge_end_is_a_node(kgx_files) -> None:
    nodes = {n["id"]: n for n in _rows(kgx_files["kgx_nodes"])}
    assert {n["category"] for n in nodes.values()} <= CATEGORIES
    assert nodes["CHEBI:50924"]["category"] == "biolink:SmallMolecule"
    assert "DRUGBANK:DB00398" in nodes["CHEBI:50924"]["xref"].split("|")
    for edge in _rows(kgx_files["kgx_edges"]):
        assert edge["subject"] in nodes and edge["object"] in nodes


def test_disease_related_events_are_not_adverse_events_of_the_drug(seed_build) -> None:
    kgx = to_kgx(seed_build.result.graph)
    perforation = [e for e in kgx.edges if e["object"] == "NCIT:C39611"]
    assert perforation == []  # the trial attributed the bowel perforation to the disease


@needs_kgx
def test_the_kgx_validator_accepts_the_export(kgx_files) -> None:
    report = validate_kgx(kgx_files["kgx_nodes"], kgx_files["kgx_edges"])
    assert report["errors"] == {}, report
    assert report["biolink_version"].startswith("4.")


@pytest.mark.slow  # the real kgx validator in a subprocess: 3-7 s
@needs_kgx
def test_the_kgx_validator_rejects_a_broken_export(kgx_files, tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.tsv"
    text = kgx_files["kgx_nodes"].read_text(encoding="utf-8")
    nodes.write_text(text.replace("biolink:Disease", "biolink:NoSuchClass"), encoding="utf-8")
    report = validate_kgx(nodes, kgx_files["kgx_edges"])
    assert report["errors"].get("ERROR"), report


@pytest.mark.slow  # the real kgx validator in a subprocess: 3-7 s
@needs_kgx
def test_kg_export_kgx_with_check(seed_build, tmp_path: Path) -> None:
    graph = str(seed_build.outputs["turtle"])
    args = ["export", "--format", "kgx", "--graph", graph, "--out", str(tmp_path), "--check"]
    assert main(args) == 0
    assert (tmp_path / "nodes.tsv").is_file() and (tmp_path / "edges.tsv").is_file()
