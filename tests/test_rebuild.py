"""The quick rebuild (kg.rebuild): after a large build, a changed record file is patched into
the outputs, which then equal a full build's byte for byte; anything it cannot patch safely
takes the full build."""

from __future__ import annotations

import errno
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from sources_helpers import make_corpus  # tests/ is on sys.path

from kg import pipeline
from kg.export import locate
from kg.iris import DEFAULT_BASE
from kg.pipeline import BuildReport, run_build
from kg.rebuild import _patch_file

OUTPUTS = ("graph.nt", "graph.nq", "graph.ttl", "graph.html", "inferred.ttl")


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeds and two copies count as a large graph (about 40k triples)."""
    monkeypatch.setattr(pipeline, "LARGE_GRAPH", 1000)


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("copies")
    make_corpus(2, folder)
    return folder


def _build(sources: Path, out: Path) -> tuple[BuildReport, list[str]]:
    said: list[str] = []
    report = run_build(
        sources=[sources], out=out, base=DEFAULT_BASE, reasoner=None, progress=said.append
    )
    return report, said


def _quads(store: Path) -> list[str]:
    """The store's quads but the ontology's blank nodes (labelled anew at each load)."""
    return sorted(str(q) for q in ox.Store.read_only(str(store)) if "_:" not in str(q))


def _same_as_full(sources: Path, out: Path, quick: BuildReport, tmp: Path) -> None:
    full, said = _build(sources, tmp / "full")
    assert not any(line.startswith("quick rebuild") for line in said)
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (tmp / "full" / name).read_bytes(), name
    assert _quads(out / "store") == _quads(tmp / "full" / "store")
    assert quick.triples == full.triples
    assert quick.record_count == full.record_count
    assert len(quick.corpus.documents) == len(full.corpus.documents)
    assert quick.class_counts() == full.class_counts()
    assert quick.errors == full.errors and quick.warnings == full.warnings


def _edit(folder: Path, change: Callable[[str], str]) -> Path:
    path = sorted(folder.glob("copy1-000-*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    return path


def _new_value(text: str) -> str:
    """A result's value changed, as a curator corrects a number."""
    return re.sub(r"(\n *value: )([\d.]+)", r"\g<1>0.77", text, count=1)


def _first_build(copies: Path, tmp_path: Path) -> tuple[Path, Path, BuildReport]:
    """A copy of the corpus (to edit) and its full build: sources, output folder, report."""
    sources = tmp_path / "sources"
    shutil.copytree(copies, sources)
    out = tmp_path / "out"
    report, _ = _build(sources, out)
    return sources, out, report


def test_a_changed_value_is_patched_into_outputs_equal_to_a_full_build(
    large: None, copies: Path, tmp_path: Path
) -> None:
    sources, out, first = _first_build(copies, tmp_path)
    assert not first.errors and (out / "fragments" / "state.pickle").is_file()
    _edit(sources, _new_value)
    quick, said = _build(sources, out)
    assert said[0].startswith("quick rebuild: 1 changed record file")
    assert any("graph.ttl (patched by 1 subject block)" in line for line in said)
    assert (out / "fragments" / "layouts.pickle").is_file()  # kept for the next rebuild's page
    _same_as_full(sources, out, quick, tmp_path)


@pytest.mark.slow
def test_edits_in_a_row_and_a_revert(large: None, copies: Path, tmp_path: Path) -> None:
    sources, out, _ = _first_build(copies, tmp_path)
    before = {name: (out / name).read_bytes() for name in OUTPUTS}
    path = sorted(sources.glob("copy1-000-*.yaml"))[0]
    original = path.read_text(encoding="utf-8")
    _edit(sources, _new_value)
    _build(sources, out)
    added = re.sub(r"(\n *sites: )(\d+)", lambda m: m.group(1) + "99", original, count=1)
    path.write_text(added, encoding="utf-8")  # a second edit, after the first was patched
    quick, said = _build(sources, out)
    assert said[0].startswith("quick rebuild")
    _same_as_full(sources, out, quick, tmp_path)
    path.write_text(original, encoding="utf-8")
    _, said = _build(sources, out)
    assert said[0].startswith("quick rebuild")
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before


@pytest.mark.slow
def test_what_a_quick_rebuild_cannot_patch_takes_the_full_build(
    large: None, copies: Path, tmp_path: Path
) -> None:
    sources, out, _ = _first_build(copies, tmp_path)
    # a record now names another study: the fragments' slices may change
    path = _edit(sources, lambda t: t.replace("study: ", "study: no-such-study-", 1))
    report, said = _build(sources, out)
    assert not any(line.startswith("quick rebuild") for line in said)
    assert any("no-such-study" in str(e) and e.file == path.name for e in report.errors)
    assert not (out / "fragments" / "state.pickle").exists()  # a build with errors leaves none
    shutil.copy(sorted(copies.glob("copy1-000-*.yaml"))[0], path)
    report, said = _build(sources, out)  # full again: no state; then quick ones may follow
    assert not report.errors and (out / "fragments" / "state.pickle").is_file()
    (out / "graph.ttl").unlink()
    _edit(sources, _new_value)
    report, said = _build(sources, out)  # an output is missing: only a full build remakes it
    assert not any(line.startswith("quick rebuild") for line in said)
    assert (out / "graph.ttl").is_file()


@pytest.mark.parametrize("kernel_copy", [True, False])
def test_patching_a_file_of_sorted_lines_keeps_it_sorted_and_distinct(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel_copy: bool
) -> None:
    """Unchanged ranges are copied by the kernel, or through memory where it cannot."""
    if not kernel_copy:

        def unsupported(*_: object) -> int:
            raise OSError(errno.EXDEV, "cross-device link")

        monkeypatch.setattr(os, "copy_file_range", unsupported, raising=False)
    rng = random.Random(11)
    words = sorted(
        {f"<s{rng.randint(0, 999):03d}> <p> {rng.random():.3f} .".encode() for _ in range(400)}
    )
    path = tmp_path / "lines.nt"
    path.write_bytes(b"".join(w + b"\n" for w in words))
    removed = [*rng.sample(words, 40), b"<absent> <p> 1 ."]
    added = [f"<s{rng.randint(0, 999):03d}> <q> {i} .".encode() for i in range(40)] + words[:3]
    gone, new = _patch_file(path, removed, added)
    expected = sorted((set(words) - set(removed)) | set(added))
    assert path.read_bytes() == b"".join(w + b"\n" for w in expected)
    assert sorted(gone) == sorted(set(removed) & set(words))
    assert sorted(new) == sorted(set(added) - set(words))
    data = path.read_bytes()
    for line in expected:
        at, found = locate(data, line)
        assert found and data[at:].startswith(line + b"\n")
    assert locate(data, b"") == (0, False)
    assert locate(data, b"\xff") == (len(data), False)


def test_turtle_patched_by_blocks_is_turtle_written_again(
    seed_build: BuildReport, tmp_path: Path
) -> None:
    """The quick rebuild replaces the Turtle blocks of the subjects whose triples changed: the
    file is then byte for byte what writing the new triples again gives, whether a subject
    changes, goes or comes (first, last, or written as a full IRI), and a literal's newline or
    quote stays escaped within its line."""
    from kg.export import to_ntriples
    from kg.pipeline import _prefixes
    from kg.rebuild import _rewrite
    from kg.turtle import block_edits, write_turtle

    prefixes = _prefixes(DEFAULT_BASE)
    old = to_ntriples(seed_build.result.graph).splitlines()
    by_subject: dict[bytes, list[bytes]] = {}
    for line in old:
        by_subject.setdefault(line[: line.index(b" ")], []).append(line)
    rng = random.Random(5)
    changed = {s: list(by_subject[s]) for s in rng.sample(sorted(by_subject), 30)}
    for i, (subject, lines) in enumerate(sorted(changed.items())):
        if i % 3 == 0:
            lines.clear()  # the subject goes
        else:
            lines[rng.randrange(len(lines))] = subject + b' <urn:p> "2.5" .'
    label = b' <http://www.w3.org/2000/01/rdf-schema#label> "two\\nlines, \\"quoted\\"" .'
    for subject in (f"<{DEFAULT_BASE}aaa/first>", "<http://example.org/x>", "<urn:zz:last>"):
        changed[subject.encode()] = [subject.encode() + label]
    new = sorted(
        {*old} - {x for s in changed for x in by_subject.get(s, [])}
        | {x for lines in changed.values() for x in lines}
    )
    path = tmp_path / "graph.ttl"
    write_turtle(b"".join(x + b"\n" for x in old), path, prefixes)
    edits = block_edits(path, {s: sorted(lines) for s, lines in changed.items()}, prefixes)
    assert edits is not None
    _rewrite(path, edits)
    expected = write_turtle(b"".join(x + b"\n" for x in new), tmp_path / "again.ttl", prefixes)
    assert path.read_bytes() == expected.read_bytes()
    blank = {b"<urn:s>": [b"<urn:s> <urn:p> _:b0 ."]}
    assert block_edits(path, blank, prefixes) is None  # written again instead


def test_nquads_in_pieces_are_the_sorted_quads_of_every_graph(seed_build: BuildReport) -> None:
    """graph.nq of a large build is written a piece at a time: the same bytes as sorting every
    graph's quads at once, whatever the size of the pieces."""
    from kg.export import graph_metadata, named_graphs, nquad_chunks, to_ntriples

    asserted = to_ntriples(seed_build.result.graph)
    inferred = to_ntriples(seed_build.trust.inferred) if seed_build.trust else b""
    named = named_graphs(asserted, inferred, DEFAULT_BASE)
    metadata, _ = graph_metadata(named, DEFAULT_BASE)
    graphs = [*((data, name) for name, (data, _) in named.items())]
    graphs.append((metadata, f"{DEFAULT_BASE}graph/metadata"))
    expected = sorted(
        line[:-2] + f" <{name}> .".encode()
        for data, name in graphs
        for line in data.splitlines()
        if line.strip()
    )
    whole = b"".join(line + b"\n" for line in expected)
    for size in (1, 200, 1 << 25):
        pieces = list(nquad_chunks(asserted, inferred, DEFAULT_BASE, size=size))
        assert b"".join(pieces) == whole
        assert all(piece.endswith(b"\n") for piece in pieces)


@pytest.mark.slow
def test_a_large_build_with_reasoning_writes_what_it_inferred(large: None, tmp_path: Path) -> None:
    """Above the large-graph size inferred.ttl is written by pyoxigraph from the inferred
    triples; it reads back as the same graph, and a large build with reasoning leaves no state
    for a quick rebuild (reasoning is over the whole graph)."""
    import rdflib

    report = run_build(out=tmp_path, base=DEFAULT_BASE, reasoner="rules")
    assert report.assembled is not None and report.assembled.file is not None
    assert report.trust is not None and len(report.trust.inferred) > 100
    written = rdflib.Graph().parse(tmp_path / "inferred.ttl")
    assert set(written) == set(report.trust.inferred)
    assert not (tmp_path / "fragments" / "state.pickle").exists()


def test_the_page_process_draws_when_told_and_says_why_it_failed(
    seed_build: BuildReport, tmp_path: Path
) -> None:
    """The quick rebuild's page is drawn by a process started early (kg.views.beside)."""
    from kg.views.beside import PageProcess

    store = seed_build.outputs["store"]
    drawn = PageProcess(store, tmp_path / "drawn.html")
    drawn.draw()
    assert drawn.wait().read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    PageProcess(store, tmp_path / "cancelled.html").cancel()
    assert not (tmp_path / "cancelled.html").exists()
    broken = PageProcess(tmp_path / "no-store", tmp_path / "broken.html")
    broken.draw()
    with pytest.raises(RuntimeError, match=r"broken\.html failed: .*not a store a build wrote"):
        broken.wait()
