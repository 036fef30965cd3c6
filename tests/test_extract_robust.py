"""Every file gives a draft record file, never a crash: empty, binary, huge, other encodings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kg import paths
from kg.extract import extract_to
from kg.sources.records import check_documents, load_corpus

SENTENCE = (
    "The objective response rate was 31% (95% CI, 22 to 41) in the lenvatinib group; "
    "grade 3 or higher rash occurred in 4%. "
)


def _draft(path: Path, out: Path) -> dict:
    written = extract_to(path, out)
    return yaml.safe_load(written.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.txt", b""),
        ("blank.txt", b"\n\n   \n"),
        ("binary.pdf", b"%PDF-1.4\x00\x01\x02\x03" * 500),
        ("random.bin", bytes(range(256)) * 40),
    ],
)
def test_nothing_to_read_gives_an_empty_draft(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    draft = _draft(path, tmp_path / "out")
    assert draft["records"] == []
    assert draft["document"]["file"] == name


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("latin-1", b""), ("cp1252", b""), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")],
)
def test_other_encodings_are_read_and_checked_by_the_build(
    tmp_path: Path, encoding: str, prefix: bytes
) -> None:
    text = "Étude de phase 2 (café). " + SENTENCE
    path = tmp_path / "docs" / f"doc-{encoding}.txt"
    path.parent.mkdir()
    path.write_bytes(prefix + text.encode(encoding))
    draft = _draft(path, tmp_path / "out")
    assert any(r["type"] == "adverse_event" for r in draft["records"])
    # the build decodes the document as the extractor did: its spans hold their numbers
    corpus = load_corpus([paths.RECORDS / "entities.yaml", *(tmp_path / "out").glob("*.yaml")])
    check_documents(corpus, path.parent)
    assert corpus.errors == []
    assert not [w for w in corpus.warnings if "not text" in w.message or "sha256" in w.message]


def test_a_one_megabyte_line(tmp_path: Path) -> None:
    """One line of 1 MB, words with a statistic now and then, read in windows."""
    chunk = "the trial went on as planned and the data were collected " * 20
    line = (chunk + SENTENCE.replace(". ", "; ")) * (1_000_000 // (len(chunk) + len(SENTENCE)))
    path = tmp_path / "line.txt"
    path.write_text(line, encoding="utf-8")
    draft = _draft(path, tmp_path / "out")
    assert draft["document"]["file"] == "line.txt"


@pytest.mark.slow
def test_a_one_megabyte_line_of_statistics(tmp_path: Path) -> None:
    path = tmp_path / "line.txt"
    path.write_text(SENTENCE.replace(". ", "; ") * (1_000_000 // len(SENTENCE)), encoding="utf-8")
    draft = _draft(path, tmp_path / "out")
    assert draft["document"]["file"] == "line.txt"


@pytest.mark.slow
def test_a_five_megabyte_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(
        (SENTENCE * 40 + "\n\n") * (5_000_000 // (len(SENTENCE) * 40)), encoding="utf-8"
    )
    draft = _draft(path, tmp_path / "out")
    assert draft["records"]
