"""Links into larger knowledge bases: standard IRIs from one prefix map, checked identifiers,
bulk exports (N-Quads, JSON-LD, N-Triples, Turtle)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from rdflib import SKOS, Dataset, Graph, Literal, URIRef

from kg.cli import main
from kg.iris import DEFAULT_BASE, Minter
from kg.vocab import CDEK
from kg.xrefs import (
    BIOLINK_PREFIXES,
    biolink_curie,
    check_identifiers,
    identifier_gaps,
    identifier_pattern,
    prefix_map,
)

R = DEFAULT_BASE
SORAFENIB = URIRef(R + "drug/sorafenib")
# The namespaces the graph links into, with one identifier of the seed graph in each.
EXPECTED = {
    "chebi": "http://purl.obolibrary.org/obo/CHEBI_50924",
    "drugbank": "https://identifiers.org/drugbank:DB00398",
    "chembl.compound": "https://identifiers.org/chembl.compound:CHEMBL1336",
    "ncit": "http://purl.obolibrary.org/obo/NCIT_C61948",
    "mondo": "http://purl.obolibrary.org/obo/MONDO_0007608",
    "mesh": "https://identifiers.org/mesh:D000077157",
    "hgnc": "https://identifiers.org/hgnc:1097",
    "uniprot": "https://identifiers.org/uniprot:P15056",
    "clinicaltrials": "https://identifiers.org/clinicaltrials:NCT02066181",
    "pubmed": "https://identifiers.org/pubmed:30575484",
    "doi": "https://doi.org/10.1056/NEJMoa1805052",
    "wikidata": "http://www.wikidata.org/entity/Q421136",
}


@pytest.mark.parametrize(("prefix", "iri"), sorted(EXPECTED.items()))
def test_the_graph_links_to_each_standard_namespace(seed_build, prefix: str, iri: str) -> None:
    assert iri.startswith(prefix_map()[prefix])
    assert (None, SKOS.exactMatch, URIRef(iri)) in seed_build.result.graph
    assert identifier_pattern(prefix) is not None, f"Bioregistry has no pattern for {prefix}"
    assert prefix in BIOLINK_PREFIXES


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks and exports run offline: any socket connection fails the test."""

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_every_identifier_matches_its_pattern_and_iri(seed_build) -> None:
    assert check_identifiers(seed_build.result.graph) == []
    assert len(list(seed_build.result.graph.objects(None, CDEK.xref))) > 300


def test_a_malformed_identifier_is_reported() -> None:
    g = Graph()
    g.add((SORAFENIB, CDEK.xref, Literal("chebi:CHEBI50924")))
    g.add((SORAFENIB, CDEK.xref, Literal("nosuch:1")))
    messages = [p.message for p in check_identifiers(g)]
    assert any("does not match the chebi pattern" in m for m in messages)
    assert any("has no skos:exactMatch" in m for m in messages)
    assert any("unknown prefix" in m for m in messages)


def test_gaps_are_recorded_only_for_entities_in_the_graph() -> None:
    gap = URIRef(R + "disease/unclassified-sarcoma")
    assert len(identifier_gaps(Graph(), Minter())) == 0
    g = Graph()
    g.add((gap, SKOS.prefLabel, Literal("x")))
    (reason,) = identifier_gaps(g, Minter()).objects(gap, CDEK.identifierGap)
    assert "not a disease concept" in str(reason)


def test_biolink_prefixes_are_upper_case_where_biolink_wants_them() -> None:
    assert biolink_curie("chebi:50924") == "CHEBI:50924"
    assert biolink_curie("clinicaltrials:NCT02066181") == "CLINICALTRIALS:NCT02066181"
    assert biolink_curie("pubmed:30575484") == "PMID:30575484"
    with pytest.raises(ValueError, match="no Biolink prefix"):
        biolink_curie("icdo:8821/1")


def test_nquads_hold_the_asserted_and_inferred_graphs(seed_build, tmp_path: Path) -> None:
    graph = str(seed_build.outputs["turtle"])
    assert main(["export", "--format", "nquads", "--graph", graph, "--out", str(tmp_path)]) == 0
    dataset = Dataset().parse(tmp_path / "graph.nq", format="nquads")
    sizes = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
    assert sizes[R + "graph/asserted"] == len(seed_build.result.graph)
    assert sizes[R + "graph/inferred"] == len(seed_build.trust.inferred)
    assert (tmp_path / "graph.nq").read_bytes() == seed_build.outputs["nquads"].read_bytes()


@pytest.mark.parametrize(("fmt", "name"), [("jsonld", "graph.jsonld"), ("nt", "graph.nt")])
def test_bulk_formats_round_trip(seed_build, tmp_path: Path, fmt: str, name: str) -> None:
    graph = str(seed_build.outputs["turtle"])
    assert main(["export", "--format", fmt, "--graph", graph, "--out", str(tmp_path)]) == 0
    parse_as = "json-ld" if fmt == "jsonld" else fmt
    back = Graph().parse(tmp_path / name, format=parse_as)
    assert back.isomorphic(seed_build.result.graph)


def test_jsonld_uses_the_published_local_context(seed_build) -> None:
    data = json.loads(seed_build.outputs["jsonld"].read_text(encoding="utf-8"))
    assert isinstance(data["@context"], dict)  # inline, never a URL to fetch
    assert data["@context"]["cdek"] == str(CDEK._NS)


def test_export_names_a_missing_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.ttl"
    args = ["export", "--format", "nt", "--graph", str(missing), "--out", str(tmp_path)]
    assert main(args) == 2
    assert str(missing) in capsys.readouterr().err
