"""Links into larger knowledge bases: standard IRIs from one prefix map, checked identifiers,
bulk exports (N-Quads, JSON-LD, N-Triples, Turtle)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Dataset, Graph, Literal, URIRef

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
# (Biolink's own expansions: see test_the_prefix_map_is_biolinks)
EXPECTED = {
    "chebi": "http://purl.obolibrary.org/obo/CHEBI_50924",
    "drugbank": "http://identifiers.org/drugbank/DB00398",
    "chembl.compound": "http://identifiers.org/chembl.compound/CHEMBL1336",
    "ncit": "http://purl.obolibrary.org/obo/NCIT_C61948",
    "mondo": "http://purl.obolibrary.org/obo/MONDO_0007608",
    "mesh": "http://id.nlm.nih.gov/mesh/D000077157",
    "hgnc": "http://identifiers.org/hgnc/1097",
    "uniprot": "http://purl.uniprot.org/uniprot/P15056",
    "clinicaltrials": "http://identifiers.org/clinicaltrials/NCT02066181",
    "pubmed": "http://www.ncbi.nlm.nih.gov/pubmed/30575484",
    "doi": "https://doi.org/10.1056/NEJMoa1805052",
    "wikidata": "https://www.wikidata.org/entity/Q421136",
    "pmc": "http://www.ncbi.nlm.nih.gov/pmc/PMC4366116",
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


# -- identifier precision: one exact match per vocabulary, the rest broad, narrow or close ------

NCIT = "http://purl.obolibrary.org/obo/NCIT_"
ASPS = URIRef(R + "disease/alveolar-soft-part-sarcoma")
LOW_GRADE_ESS = URIRef(R + "disease/low-grade-endometrial-stromal-sarcoma")


def test_a_second_exact_identifier_in_one_vocabulary_is_rejected() -> None:
    """The catalogue (kg/model.py) refuses what entities.yaml once said of ASPS."""
    from pydantic import ValidationError

    from kg.model import Disease, RelatedPublication

    with pytest.raises(ValidationError, match="two exact identifiers in the vocabulary 'ncit'"):
        Disease(key="asps", label="ASPS", identifiers=["ncit:C3750", "ncit:C7943"])
    with pytest.raises(ValidationError, match="listed under both identifiers and broad"):
        Disease(key="x", label="x", identifiers=["ncit:C4263"], broad_identifiers=["ncit:C4263"])
    with pytest.raises(ValidationError, match="two exact identifiers in the vocabulary 'pubmed'"):
        RelatedPublication(relation="source", label="x", identifiers=["pubmed:1", "pubmed:2"])
    fine = Disease(
        key="asps", label="ASPS", identifiers=["ncit:C3750"], narrow_identifiers=["ncit:C7943"]
    )
    assert fine.narrow_identifiers == ["ncit:C7943"]


def test_the_seed_graph_has_one_exact_match_per_vocabulary(seed_build) -> None:
    graph = seed_build.result.graph
    for node in set(graph.subjects(CDEK.xref, None)):
        prefixes = [str(c).partition(":")[0] for c in graph.objects(node, CDEK.xref)]
        assert len(prefixes) == len(set(prefixes)), (node, sorted(prefixes))
    # the adult class is narrower than ASPS; the general endometrial stromal sarcoma is broader
    assert (ASPS, SKOS.exactMatch, URIRef(NCIT + "C3750")) in graph
    assert (ASPS, SKOS.narrowMatch, URIRef(NCIT + "C7943")) in graph
    assert (ASPS, SKOS.exactMatch, URIRef(NCIT + "C7943")) not in graph
    assert (LOW_GRADE_ESS, SKOS.exactMatch, URIRef(NCIT + "C4263")) in graph
    for broader in (NCIT + "C8973", "http://purl.obolibrary.org/obo/MONDO_0006745"):
        assert (LOW_GRADE_ESS, SKOS.broadMatch, URIRef(broader)) in graph
        assert (LOW_GRADE_ESS, SKOS.exactMatch, URIRef(broader)) not in graph
    # ICD-O morphology codes (Mondo database cross-references) are close matches only
    icdo = prefix_map()["icdo"]
    assert not [o for o in graph.objects(None, SKOS.exactMatch) if str(o).startswith(icdo)]
    sft = URIRef(R + "disease/solitary-fibrous-tumor")
    assert len([o for o in graph.objects(sft, SKOS.closeMatch) if str(o).startswith(icdo)]) == 3


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_the_shapes_catch_two_exact_matches_in_one_vocabulary(seed_build) -> None:
    """The graph as it was (ASPS exactly NCIt C3750 and the adult C7943) fails the shapes."""
    from kg.validate import validate

    broken = Graph() + seed_build.result.graph
    broken.remove((ASPS, SKOS.narrowMatch, URIRef(NCIT + "C7943")))
    broken.add((ASPS, CDEK.xref, Literal("ncit:C7943")))
    broken.add((ASPS, SKOS.exactMatch, URIRef(NCIT + "C7943")))
    broken.add((LOW_GRADE_ESS, SKOS.exactMatch, URIRef(NCIT + "C8973")))  # also its broadMatch
    found = {(v.focus, v.shape.rsplit("#", 1)[-1]) for v in validate(broken).violations}
    assert (str(ASPS), "OneExactMatchPerVocabularyShape") in found
    assert (str(LOW_GRADE_ESS), "StandardIdentifierShape") in found
    assert check_identifiers(broken) != []  # the exactMatch without its xref CURIE


def test_an_exact_match_without_its_xref_is_reported() -> None:
    g = Graph()
    g.add((SORAFENIB, SKOS.exactMatch, URIRef(NCIT + "C61948")))
    (problem,) = check_identifiers(g)
    assert "has no cdek:xref" in problem.message


DECISION_SUMMARY = URIRef(R + "document/nci-2025-decision-summary")
RESORT_REPORT = URIRef(R + "document/procopio-2018-asco-resort-report")


def test_documents_name_the_publications_they_rest_on(seed_build) -> None:
    """The NCI summary is not the Lancet paper: the paper is its source, with its own ids."""
    from rdflib import DCTERMS

    graph = seed_build.result.graph
    (lancet,) = graph.objects(DECISION_SUMMARY, DCTERMS.source)
    assert (lancet, RDF.type, CDEK.Publication) in graph
    assert {str(x) for x in graph.objects(lancet, CDEK.xref)} == {
        "pubmed:24768112",
        "pmc:PMC4366116",
        "doi:10.1016/S0140-6736(14)60421-9",
    }
    assert not list(graph.objects(DECISION_SUMMARY, CDEK.xref))  # the summary has none itself
    (protocol,) = graph.objects(RESORT_REPORT, CDEK.protocolPublication)
    (results,) = graph.objects(RESORT_REPORT, CDEK.fullReport)
    assert "pubmed:24675507" in {str(x) for x in graph.objects(protocol, CDEK.xref)}
    assert {str(x) for x in graph.objects(results, CDEK.xref)} == {"doi:10.1016/j.euo.2019.08.011"}
    pubmed = prefix_map()["pubmed"]
    assert (lancet, SKOS.exactMatch, URIRef(pubmed + "24768112")) in graph


# -- IRIs that join with Biolink-based RDF --------------------------------------------------


def _biolink_prefix_map() -> dict[str, str]:
    """Biolink's own prefix map, from the installed biolink-model (the validate extra)."""
    import importlib.util

    if importlib.util.find_spec("biolink_model") is None:
        pytest.skip("biolink-model is not installed (pip install 'cdekg[validate]')")
    import biolink_model

    root = Path(next(iter(biolink_model.__path__)))
    return json.loads((root / "prefixmaps" / "biolink-model-prefix-map.json").read_text())


def test_the_prefix_map_is_biolinks() -> None:
    """Every prefix Biolink knows expands as Biolink expands it, so no IRI needs rewriting."""
    biolink = _biolink_prefix_map()
    ours = prefix_map()
    for prefix, namespace in ours.items():
        if prefix in BIOLINK_PREFIXES:
            assert namespace == biolink[BIOLINK_PREFIXES[prefix]], prefix
        else:  # no Biolink prefix (ICD-O): Bioregistry's resolver
            assert namespace.startswith("https://bioregistry.io/"), prefix
    assert set(BIOLINK_PREFIXES) <= set(ours)


def test_the_nquads_carry_the_ontology_and_the_build_version(seed_build) -> None:
    from kg.export import build_version
    from kg.vocab import ONTOLOGY_IRI

    dataset = Dataset().parse(seed_build.outputs["nquads"], format="nquads")
    ontology = dataset.graph(ONTOLOGY_IRI)
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    meta = dataset.graph(URIRef(R + "graph/metadata"))
    version = URIRef("http://www.w3.org/ns/dcat#version")
    named = [URIRef(R + "graph/asserted"), URIRef(R + "graph/inferred"), ONTOLOGY_IRI]
    versions = {str(meta.value(name, version)) for name in named}
    assert len(versions) == 1 and None not in versions
    (stamp,) = versions
    assert stamp == build_version(seed_build.result.graph, seed_build.trust.inferred, ontology)
    changed = Graph() + seed_build.result.graph
    changed.add((SORAFENIB, RDFS.comment, Literal("x")))
    assert build_version(changed, seed_build.trust.inferred, ontology) != stamp


def test_the_kept_identifier_patterns_are_bioregistrys() -> None:
    """kg/data/identifier-patterns.json spares each build process loading bioregistry (~1 s);
    it must say what the installed bioregistry says (else: xrefs.write_pattern_table())."""
    from importlib.metadata import version

    import bioregistry

    from kg.xrefs import PATTERNS, _pattern_table, prefix_map

    kept = json.loads(PATTERNS.read_text(encoding="utf-8"))
    assert kept["bioregistry"] == version("bioregistry"), "regenerate: write_pattern_table()"
    assert set(kept["patterns"]) == set(prefix_map())
    for prefix, pattern in kept["patterns"].items():
        assert pattern == bioregistry.get_pattern(prefix), prefix
    assert _pattern_table() == kept["patterns"]
