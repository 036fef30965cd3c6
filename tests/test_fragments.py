"""The streaming build: fragments give the graph and the checks of the whole-corpus build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from kg import paths
from kg.build import build_graph
from kg.fragments import FragmentCache, build_all, make_jobs
from kg.iris import DEFAULT_BASE, Minter
from kg.pipeline import prefix_converter
from kg.reason import kinase_types
from kg.sources.emit import emit_sources
from kg.sources.load import add_sources, split_sources
from kg.sources.records import load_corpus
from kg.validate import validate
from kg.xrefs import identifier_gaps
from tests.sources_helpers import FIXTURES


def _corpus(*folders: Path):  # type: ignore[no-untyped-def]
    files, entries, _, _ = split_sources([paths.RECORDS, *folders])
    corpus = load_corpus(files)
    return corpus, add_sources(corpus, entries)


def _whole(corpus, found) -> Graph:  # type: ignore[no-untyped-def]
    """The graph as one builder makes it from the whole corpus (the reference)."""
    minter = Minter(DEFAULT_BASE)
    graph = build_graph(corpus, minter=minter, converter=prefix_converter()).graph
    emit_sources(graph, found, corpus, minter)
    graph += kinase_types(graph)
    graph += identifier_gaps(graph, minter)
    return graph


def _sources() -> list[Path]:
    return [FIXTURES] if (FIXTURES / "ctgov-v2").is_dir() else []


@pytest.mark.parametrize(
    ("size", "registry"), [(1, False), pytest.param(1500, True, marks=pytest.mark.slow)]
)
def test_fragments_make_the_whole_graph_and_its_shacl_results(size: int, registry: bool) -> None:
    """One fragment per slice (size 1) or a few groups, with the registry and PubMed fixtures
    (when present): the same triples and the same SHACL results as one whole-corpus build."""
    corpus, found = _corpus(*(_sources() if registry else []))
    jobs = make_jobs(corpus, found, DEFAULT_BASE, quotes=False, size=size)
    assembled = build_all(jobs, cache=FragmentCache(None))
    whole = _whole(corpus, found)
    merged = Graph().parse(data=assembled.ntriples, format="nt")
    assert len(merged) == assembled.triples == len(whole)
    assert set(merged) == set(whole)
    reference = validate(whole)
    assert sorted(assembled.violations) == reference.violations
    assert sorted(assembled.shape_warnings) == reference.warnings
    if size == 1:
        assert len(jobs) > len(corpus.documents) // 2  # the slices really were built apart


def test_a_violation_in_one_fragment_is_reported_once(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    shutil.copytree(paths.RECORDS, folder)
    path = folder / "003-decision-nci-summary.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\n      phase: '3'" in text
    path.write_text(text.replace("\n      phase: '3'", "\n      phase: '7'", 1), encoding="utf-8")
    files, _, _, _ = split_sources([folder])
    corpus = load_corpus(files)
    if corpus.errors:  # the record model refuses it before the shapes do: also a clear error
        assert any("phase" in str(p) for p in corpus.errors)
        return
    assembled = build_all(
        make_jobs(corpus, None, DEFAULT_BASE, quotes=False, size=1), cache=FragmentCache(None)
    )
    assert [v for v in assembled.violations if "phase" in v.path.lower()]


def test_a_rebuild_reuses_every_fragment_whose_inputs_did_not_change(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    shutil.copytree(paths.RECORDS, folder)
    cache = FragmentCache(tmp_path / "fragments")

    def build():  # type: ignore[no-untyped-def]
        files, _, _, _ = split_sources([folder])
        jobs = make_jobs(load_corpus(files), None, DEFAULT_BASE, quotes=False, size=1)
        return build_all(jobs, cache=cache)

    first = build()
    assert first.reused == 0
    again = build()
    assert again.reused == len(again.fragments)
    assert again.ntriples == first.ntriples
    path = folder / "004-resort-conference-report.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: '", "title: '(edited) ", 1), encoding="utf-8")
    edited = build()
    assert edited.reused == len(edited.fragments) - 1  # only the RESORT report's slice
    assert b"(edited)" in edited.ntriples
    assert len(list((tmp_path / "fragments").glob("*.pickle"))) == len(edited.fragments)


@pytest.mark.slow
def test_a_damaged_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    cache = FragmentCache(tmp_path)
    corpus, _ = _corpus()
    jobs = make_jobs(corpus, None, DEFAULT_BASE, quotes=False)
    first = build_all(jobs, cache=cache)
    for path in tmp_path.glob("*.pickle"):
        path.write_bytes(b"not a pickle")
    again = build_all(make_jobs(corpus, None, DEFAULT_BASE, quotes=False), cache=cache)
    assert again.reused == 0
    assert again.ntriples == first.ntriples


def test_pyshacl_turbo_gives_pyshacl_results(seed_build) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pyshacl_turbo")
    graph = seed_build.result.graph
    turbo, reference = validate(graph, engine="turbo"), validate(graph, engine="pyshacl")
    assert turbo.violations == reference.violations
    assert turbo.warnings == reference.warnings and reference.warnings


@pytest.mark.slow
def test_fragments_built_on_a_dask_cluster_are_the_local_ones() -> None:
    """--scheduler: the same task function on Dask workers gives the same merged graph."""
    distributed = pytest.importorskip("distributed")
    corpus, found = _corpus()
    local = build_all(
        make_jobs(corpus, found, DEFAULT_BASE, quotes=False, size=1), cache=FragmentCache(None)
    )
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster.scheduler_address) as client,
    ):
        jobs = make_jobs(corpus, found, DEFAULT_BASE, quotes=False, size=1)
        remote = build_all(jobs, cache=FragmentCache(None), executor=client.get_executor())
    assert remote.ntriples == local.ntriples
    assert remote.violations == local.violations and remote.errors == local.errors
