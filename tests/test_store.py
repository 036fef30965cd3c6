"""The build's store: the same quads as graph.nq, opened read-only, swapped whole on rebuild."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.api import KnowledgeGraph, default_graph_files
from kg.pipeline import BuildReport
from kg.store import is_store, open_store, write_store


def test_the_store_holds_the_quads_of_graph_nq(seed_build: BuildReport) -> None:
    store_path = seed_build.outputs["store"]
    assert is_store(store_path)
    memory = ox.Store()  # the store writes numbers canonically ("3.0" as "3"): compare stores
    memory.bulk_load(path=str(seed_build.outputs["nquads"]), format=ox.RdfFormat.N_QUADS)
    nquads, stored = list(memory), list(open_store(store_path))
    assert len(stored) == len(nquads)

    def named(quads: list[ox.Quad]) -> set[ox.Quad]:  # blank nodes get new ids on each parse
        return {q for q in quads if not any(isinstance(t, ox.BlankNode) for t in q)}

    assert named(stored) == named(nquads)


def test_queries_give_the_same_answers_on_the_store_and_on_graph_nq(
    seed_build: BuildReport,
) -> None:
    on_store = KnowledgeGraph.load(seed_build.outputs["store"])
    on_file = KnowledgeGraph.load(seed_build.outputs["nquads"])
    for name in sorted(on_file.catalog):
        query = on_file.catalog[name]
        if query.parameters:
            continue
        assert on_store.query(name).rows == on_file.query(name).rows, name


def test_default_graph_is_the_store_when_a_build_wrote_one(tmp_path: Path) -> None:
    assert default_graph_files(tmp_path) == [tmp_path / "graph.ttl"]
    (tmp_path / "graph.nq").write_text("", encoding="utf-8")
    assert default_graph_files(tmp_path) == [tmp_path / "graph.nq"]
    (tmp_path / "store").mkdir()  # a folder without the mark: half written, not used
    assert default_graph_files(tmp_path) == [tmp_path / "graph.nq"]
    write_store(tmp_path / "graph.nq", tmp_path / "store")
    assert default_graph_files(tmp_path) == [tmp_path / "store"]


def test_a_reader_keeps_its_store_while_a_build_swaps_in_a_new_one(tmp_path: Path) -> None:
    one = tmp_path / "one.nq"
    one.write_text("<urn:a> <urn:p> <urn:b> <urn:g> .\n", encoding="utf-8")
    two = tmp_path / "two.nq"
    two.write_text("<urn:c> <urn:p> <urn:d> <urn:g> .\n", encoding="utf-8")
    write_store(one, tmp_path / "store")
    reader = open_store(tmp_path / "store")
    write_store(two, tmp_path / "store")
    assert [q.subject.value for q in reader] == ["urn:a"]  # its snapshot, whole
    assert [q.subject.value for q in open_store(tmp_path / "store")] == ["urn:c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.nq", "store", "two.nq"]


def test_a_folder_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a store"):
        open_store(tmp_path)
    with pytest.raises(ValueError, match="store a build wrote"):
        KnowledgeGraph.load(tmp_path)
