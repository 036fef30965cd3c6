"""Every record's locator points at text of its document that holds the record's numbers."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kg.normalize import numbers_in_text
from kg.pipeline import BuildReport


def test_documents_match_their_digest(seed_build: BuildReport, seeds: Path) -> None:
    for doc in seed_build.corpus.documents.values():
        data = (seeds / doc.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == doc.sha256, doc.file


def test_every_span_holds_the_numbers_of_its_record(seed_build: BuildReport, seeds: Path) -> None:
    texts: dict[str, str] = {}
    failures = []
    checked = 0
    for item in seed_build.corpus.records:
        spans = []
        for loc in item.record.loc:
            file = loc.file or item.document.file
            if file not in texts:
                texts[file] = (seeds / file).read_text(encoding="utf-8")
            assert loc.span[1] <= len(texts[file]), (item.file, item.name, loc)
            spans.append(texts[file][loc.span[0] : loc.span[1]])
        stated = numbers_in_text(" ".join(spans))
        missing = item.record.stated_numbers() - stated
        if missing:
            failures.append(f"{item.file} {item.name}: {sorted(missing)} not in its spans")
        checked += 1
    assert checked > 500
    assert failures == []
