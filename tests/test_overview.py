"""The overview of a large graph (SPARQL aggregates) says what the full view says of the same
entities and edges, to the figure; a store above LARGE triples takes that path."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from kg.api import KnowledgeGraph
from kg.engine import OxigraphEngine
from kg.pipeline import BuildReport
from kg.views import LARGE, Source, View, overview_view, whole_view
from kg.views.graph import ViewGraph
from kg.views.scope import whole_scope
from kg.views.style import CLASSES

COPIES = 25  # seed graphs in the large store: above LARGE triples, 100 studies
SHARED = ("Drug", "GeneProduct", "TargetFamily", "Disease", "AdverseEventTerm", "Approval")


@pytest.fixture(scope="module")
def source(seed_build: BuildReport) -> Source:
    return Source(seed_build.result.graph)


@pytest.fixture(scope="module")
def full(source: Source) -> ViewGraph:
    """The whole graph as the full view builds it (not laid out)."""
    return source.graph_of(whole_scope(source.facts))


@pytest.fixture(scope="module")
def overview(source: Source) -> View:
    return overview_view(source.knowledge)


def _entity_edges(graph: ViewGraph) -> dict[tuple[str, str, str], tuple[str, str, float]]:
    nodes = graph.nodes
    return {
        (e.source, e.target, e.label): (e.short, e.tip, e.width)
        for e in graph.edges
        if e.source in nodes
        and e.target in nodes
        and CLASSES[nodes[e.source].cls].entity
        and CLASSES[nodes[e.target].cls].entity
    }


def test_overview_holds_the_entities_of_the_full_view(full: ViewGraph, overview: View) -> None:
    entities = {n: v for n, v in full.nodes.items() if v.entity}
    assert set(overview.graph.nodes) == set(entities)
    assert {v.cls for v in overview.graph.nodes.values()} >= {
        "Drug",
        "GeneProduct",
        "Disease",
        "RandomizedControlledTrial",
        "RegistryStudy",
        "Approval",
    }
    for iri, node in overview.graph.nodes.items():
        expected = entities[iri]
        assert (node.label, node.tip, node.size, node.names) == (
            expected.label,
            expected.tip,
            expected.size,
            expected.names,
        ), iri
    assert overview.kind == "overview" and overview.graph.rows == []
    assert "kg viz --drug NAME" in overview.subtitle and "4 studies" in overview.subtitle


def test_overview_edges_and_their_figures_equal_the_full_views(
    full: ViewGraph, overview: View
) -> None:
    expected, found = _entity_edges(full), _entity_edges(overview.graph)
    assert set(found) == set(expected)
    labels = {label for _, _, label in found}
    assert {"studies drug", "evidence in", "inhibits", "approved drug"} <= labels, labels
    for key, figures in expected.items():
        assert found[key] == figures, key
    best = [short for short, _, _ in found.values() if "best HR" in short]
    assert best and all(re.search(r"best HR \d", s) for s in best)


def _copies(store: ox.Store, copies: int) -> ox.Store:
    """``copies`` of the seed graph in one store: studies, arms, results and the rest under
    new IRIs each time; drugs, targets, diseases, approvals and the ontology shared."""
    shared = {
        q.subject.value
        for cls in SHARED
        for q in store.quads_for_pattern(
            None,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(f"https://w3id.org/cdekg/ontology#{cls}"),
        )
    }
    text = store.dump(format=ox.RdfFormat.N_QUADS).decode()
    own = re.compile(r"<(https://w3id\.org/cdekg/(?!ontology)[^>]*)>")

    def renamed(k: int) -> str:
        return own.sub(lambda m: m[0] if m[1] in shared else f"<{m[1]}-copy{k}>", text)

    big = ox.Store()
    big.bulk_load("".join(renamed(k) for k in range(copies)), format=ox.RdfFormat.N_QUADS)
    return big


@pytest.fixture(scope="module")
def large(source: Source) -> KnowledgeGraph:
    return KnowledgeGraph(OxigraphEngine(_copies(source.store, COPIES)))


def test_a_large_store_takes_the_overview_path(
    large: KnowledgeGraph, overview: View, source: Source
) -> None:
    assert len(large) > LARGE
    view = whole_view(large)
    assert view.kind == "overview"
    studies = [v for v in view.graph.nodes.values() if v.cls in ("RandomizedControlledTrial",)]
    # 75 trials drawn as one node per design, drug set and condition set
    assert all(v.label.endswith(f" and {COPIES - 1} more") for v in studies), studies
    assert len(view.initial) < 100
    assert f"{4 * COPIES} studies" in view.subtitle
    # the lowest hazard ratio of each drug-disease edge is the seed's, over COPIES times the
    # studies
    seed = {(e.source, e.target): e.short for e in overview.graph.edges if e.kind == "summary"}
    for edge in view.graph.edges:
        if edge.kind == "summary":
            before = seed[(edge.source, edge.target)]
            count = int(before.split(" ")[0]) * COPIES
            assert edge.short.split(" ", 1)[0] == str(count)
            assert edge.short.partition("·")[2] == before.partition("·")[2]


def test_the_views_package_names_what_it_imports_on_first_use() -> None:
    """kg.views imports its modules when a name is first used (the page process of the quick
    rebuild imports kg.views.beside alone); every name it lists is there."""
    import subprocess
    import sys

    import kg.views

    assert sorted(kg.views.__all__) == sorted(kg.views._HOME)
    assert all(
        callable(getattr(kg.views, name)) or name in ("LARGE", "LIMIT") for name in kg.views.__all__
    )
    code = (
        "import sys, kg.views.beside; print('numpy' in sys.modules, 'kg.views.view' in sys.modules)"
    )
    alone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert alone.stdout.split() == ["False", "False"]
