"""``kg extract`` on the five seed documents: verified spans, the score against the curated
records (a regression fails), and drafts that ``kg build`` builds as machine-extracted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kg import paths
from kg.extract import extract_file
from kg.extract.drafts import write_drafts
from kg.extract.score import Score, score_files
from kg.extract.text import sections
from kg.extract.verify import check_draft
from kg.sources.records import check_documents, load_corpus


@pytest.fixture(scope="module")
def seed_drafts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], Path]:
    """The seeds' drafts written to a folder: (seeds folder, draft files, drafts folder)."""
    if not paths.SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {paths.SEEDS} (they sit beside the clone in CI)")
    out = tmp_path_factory.mktemp("drafts")
    written = []
    for path in sorted(paths.SEEDS.glob("*.txt")):
        drafts = extract_file(path)
        text = drafts.document.text
        for draft in drafts.drafts:  # every value as written, inside its span; the record valid
            assert check_draft(text, draft) is None, draft.record
        written.append(write_drafts(drafts, sections(text), out))
    return paths.SEEDS, written, out


def test_the_build_check_finds_every_number_in_its_span(seed_drafts: tuple) -> None:
    seeds, written, _ = seed_drafts
    corpus = load_corpus([paths.RECORDS / "entities.yaml", *written])
    check_documents(corpus, seeds)
    assert [str(e) for e in corpus.errors] == []
    assert len(corpus.records) > 300


def test_score_on_the_seeds(seed_drafts: tuple) -> None:
    """The goals of issue 13 as measured: numbers precision >= 0.95, adverse-event and outcome
    recall >= 0.80 (outcomes 0.80 at precision 0.93 when measured): the floors here sit a
    little below to catch a regression; the README says what is missed."""
    seeds, written, _ = seed_drafts
    score = score_files(paths.RECORDS, written, {p.name: p for p in seeds.glob("*.txt")})
    numbers = sum(score.numbers_ok.values()) / sum(score.numbers_all.values())
    assert numbers >= 0.95
    p, r, _ = Score.prf(
        score.matched["adverse_event"], score.drafted["adverse_event"], score.gold["adverse_event"]
    )
    assert p >= 0.95 and r >= 0.80
    p, r, _ = Score.prf(score.matched["outcome"], score.drafted["outcome"], score.gold["outcome"])
    assert p >= 0.90 and r >= 0.77
    assert "| all |" in score.table() and "outcome.value" in score.field_table()
    assert "false drafts" in score.listing()


@pytest.mark.slow
def test_seed_drafts_build_as_machine_extracted(seed_drafts: tuple, tmp_path: Path) -> None:
    from rdflib import PROV, Literal

    from kg.iris import DEFAULT_BASE
    from kg.pipeline import run_build
    from kg.vocab import CDEK

    seeds, written, _ = seed_drafts
    reviewed = tmp_path / "reviewed"
    reviewed.mkdir()
    for path in written:  # a curator rejects the first outcome of each file
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        first = next((r for r in data["records"] if r["type"] == "outcome"), None)
        if first is not None:
            first["review"] = "rejected"
        (reviewed / path.name).write_text(
            yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
        )
    report = run_build(
        sources=[paths.RECORDS / "entities.yaml", reviewed],
        include_default=False,
        out=tmp_path / "out",
        base=DEFAULT_BASE,
        documents_dir=seeds,
        reasoner=None,
    )
    assert [str(e) for e in report.errors] == []
    graph = report.result.graph
    generated = set(graph.subjects(PROV.wasGeneratedBy, None))
    assert len(generated) > 200
    assert set(graph.objects(None, CDEK.reviewStatus)) == {Literal("draft")}
    # the rejected drafts were left out; every other record came in
    kept = load_corpus([paths.RECORDS / "entities.yaml", *reviewed.glob("*.yaml")]).records
    drafted = load_corpus([paths.RECORDS / "entities.yaml", *written]).records
    assert len(kept) == len(drafted) - len(written)
    assert all(getattr(item.record, "review", None) != "rejected" for item in kept)
