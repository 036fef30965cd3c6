"""Where the shared fixtures are, reading a graph's registry nodes by their locators, and
copies of the seed records for builds above the large-graph size."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef

from kg import paths
from kg.vocab import CDEK, OA

FIXTURES = paths.ROOT.parent / "shared" / "fixtures"


def fixtures() -> Path:
    """The shared fixtures folder; a test needing it skips where it is absent."""
    if not (FIXTURES / "ctgov-v2").is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES} (CI lays them beside the clone)")
    return FIXTURES


def by_pointer(graph: Graph, cls: URIRef, document_file: str) -> dict[str, URIRef]:
    """Nodes of ``cls`` derived from a document, keyed by their JSON Pointer or XPath."""
    docs = {
        d
        for d in graph.subjects(CDEK.fileName, None)
        if str(graph.value(d, CDEK.fileName)).endswith(document_file)
    }
    found = {}
    for node in graph.subjects(RDF.type, cls):
        for locator in graph.objects(node, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")):
            if graph.value(locator, OA.hasSource) in docs:
                selector = graph.value(locator, OA.hasSelector)
                found[str(graph.value(selector, RDF.value))] = node
    return found


def make_corpus(copies: int, folder: Path) -> None:
    """The re-identified copies of the seed records that benchmarks/bench_build.py makes."""
    spec = importlib.util.spec_from_file_location(
        "bench_build", paths.ROOT / "benchmarks" / "bench_build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_corpus(copies, folder)
