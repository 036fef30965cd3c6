"""The exports join a Biolink-based graph on identifiers alone, without rewriting anything.

A small Biolink-style graph of our own making (KGX TSV, and the same as RDF with Biolink's prefix
map) names some of the seed entities by the identifiers Biolink prefers; loaded next to the
export, its nodes and ours must be the same nodes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from rdflib import SKOS, Graph, Literal, Namespace, URIRef
from test_kgx import _kgx_available, _rows

from kg.kgx import kgx_python, write_kgx

BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
# Their nodes: seed entities under their Biolink ids (from the verified catalogue), and one node
# only they have. Their edges reach our nodes.
THEIR_NODES = [
    ("CHEBI:50924", "biolink:SmallMolecule", "sorafenib"),
    ("NCBIGene:673", "biolink:Gene", "BRAF"),
    ("MONDO:0007608", "biolink:Disease", "desmoid tumor"),
    ("HP:0000822", "biolink:PhenotypicFeature", "hypertension"),
    ("CLINICALTRIALS:NCT02066181", "biolink:ClinicalTrial", "A091105"),
    ("NCBIGene:3791", "biolink:Gene", "KDR"),  # a node the export does not have
]
THEIR_EDGES = [
    ("NCBIGene:673", "biolink:related_to", "NCBIGene:3791"),
    ("HP:0000822", "biolink:related_to", "MONDO:0007608"),
]
SHARED = {
    "CHEBI:50924",
    "NCBIGene:673",
    "MONDO:0007608",
    "HP:0000822",
    "CLINICALTRIALS:NCT02066181",
}
# Identifiers of the vocabularies Biolink expands differently from identifiers.org, each of a
# seed entity (drug, gene, protein, disease heading, papers, trial)
RDF_JOINS = {
    "HGNC:1097": "target/braf",
    "UniProtKB:P15056": "target/braf",
    "DRUGBANK:DB00398": "drug/sorafenib",
    "WIKIDATA:Q421136": "drug/sorafenib",
    "MESH:D018222": "disease/desmoid-tumor",
    "PMCID:PMC6447029": "document/gounder-2018-nejm-manuscript",
    "PMID:24768112": "publication/pubmed-24768112",  # the DECISION paper the NCI summary rests on
    "CLINICALTRIALS:NCT02066181": "study/alliance-a091105",
}


@pytest.fixture(scope="module")
def exported(seed_build, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("kgx-merge")
    return write_kgx(seed_build.result.graph, seed_build.trust.inferred, out)


def _their_kgx(folder: Path) -> tuple[Path, Path]:
    nodes, edges = folder / "their_nodes.tsv", folder / "their_edges.tsv"
    nodes.write_text(
        "id\tcategory\tname\tprovided_by\n"
        + "".join(f"{i}\t{c}\t{n}\tinfores:example\n" for i, c, n in THEIR_NODES),
        encoding="utf-8",
    )
    edges.write_text(
        "id\tsubject\tpredicate\tobject\tknowledge_level\tagent_type\tprimary_knowledge_source\n"
        + "".join(
            f"e{k}\t{s}\t{p}\t{o}\tknowledge_assertion\tmanual_agent\tinfores:example\n"
            for k, (s, p, o) in enumerate(THEIR_EDGES)
        ),
        encoding="utf-8",
    )
    return nodes, edges


def test_their_nodes_are_our_nodes(exported, tmp_path: Path) -> None:
    ours = {n["id"]: n for n in _rows(exported["kgx_nodes"])}
    their_nodes, _ = _their_kgx(tmp_path)
    theirs = {n["id"]: n for n in _rows(their_nodes)}
    assert set(ours) & set(theirs) == SHARED
    for node in SHARED:  # and they agree on what each node is
        assert ours[node]["category"] == theirs[node]["category"], node
    # a path across the two graphs: sorafenib affects BRAF (ours), BRAF related to KDR (theirs)
    edges = [(e["subject"], e["object"]) for e in _rows(exported["kgx_edges"])]
    assert ("CHEBI:50924", "NCBIGene:673") in edges
    assert ("NCBIGene:673", "NCBIGene:3791") in {(s, o) for s, _, o in THEIR_EDGES}


@pytest.mark.slow  # kgx in a subprocess: 5-10 s
@pytest.mark.skipif(_kgx_available() is not None, reason=f"kgx not available: {_kgx_available()}")
def test_kgx_merges_the_two_graphs_into_shared_nodes(exported, tmp_path: Path) -> None:
    their_nodes, their_edges = _their_kgx(tmp_path)
    files = [exported["kgx_nodes"], exported["kgx_edges"], their_nodes, their_edges]
    merged = _kgx_merge([str(f) for f in files])
    ours = {n["id"] for n in _rows(exported["kgx_nodes"])}
    theirs = {i for i, _, _ in THEIR_NODES}
    assert set(merged["nodes"]) == ours | theirs  # one node per shared id
    assert len(merged["nodes"]) == len(ours) + len(theirs) - len(SHARED)
    assert merged["edges"] == len(_rows(exported["kgx_edges"])) + len(THEIR_EDGES)


def _kgx_merge(files: list[str]) -> dict:
    """Load the TSV files with kgx's Transformer (offline, through kg/kgx_shim.py)."""
    shim = Path(__file__).parents[1] / "kg" / "kgx_shim.py"
    code = f"""
import importlib.util, json
spec = importlib.util.spec_from_file_location("kgx_shim", {str(shim)!r})
shim = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shim)
shim.install()
from kgx.transformer import Transformer
transformer = Transformer()
transformer.transform(input_args={{"filename": {files!r}, "format": "tsv"}})
graph = transformer.store.graph
print(json.dumps({{"nodes": sorted(graph.nodes(data=False)), "edges": graph.number_of_edges()}}))
"""
    env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    done = subprocess.run(
        [kgx_python(), "-P", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _biolink_prefix_map() -> dict[str, str]:
    import importlib.util

    if importlib.util.find_spec("biolink_model") is None:
        pytest.skip("biolink-model is not installed (pip install 'cdekg[validate]')")
    import biolink_model

    root = Path(next(iter(biolink_model.__path__)))
    return json.loads((root / "prefixmaps" / "biolink-model-prefix-map.json").read_text())


def _expand(curie: str, prefixes: dict[str, str]) -> URIRef:
    prefix, _, local = curie.partition(":")
    return URIRef(prefixes[prefix] + local)


def test_biolink_rdf_joins_the_graph_without_rewriting(seed_build, exported) -> None:
    """Their RDF, with IRIs expanded by Biolink's prefix map, meets our skos:exactMatch IRIs;
    and our KGX ids, expanded the same way, are those IRIs too."""
    from kg.iris import DEFAULT_BASE

    prefixes = _biolink_prefix_map()
    theirs = Graph()
    for curie in RDF_JOINS:
        theirs.add((_expand(curie, prefixes), BIOLINK.name, Literal(curie)))
    union = Graph() + seed_build.result.graph + theirs
    rows = union.query(
        "SELECT ?node ?curie WHERE { ?node skos:exactMatch ?iri . ?iri biolink:name ?curie }",
        initNs={"skos": SKOS, "biolink": BIOLINK},
    )
    joined = {(str(r.curie), str(r.node).removeprefix(DEFAULT_BASE)) for r in rows}
    assert joined == set(RDF_JOINS.items())
    graph = seed_build.result.graph
    for node in _rows(exported["kgx_nodes"]):  # every KGX node is an exactMatch IRI of ours
        assert (None, SKOS.exactMatch, _expand(node["id"], prefixes)) in graph, node["id"]
