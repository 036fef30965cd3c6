"""Drafting evidence records from text: rules and a lexicon, every value pinned to its span."""

from __future__ import annotations

from pathlib import Path

from kg.extract.design import draft_design, draft_metadata
from kg.extract.drafts import TOOL, DraftSet, write_drafts
from kg.extract.entities import lexicon
from kg.extract.results import draft_results
from kg.extract.text import Document, read_document, sections, sentences

__all__ = ["TOOL", "extract_document", "extract_file", "extract_to"]


def extract_document(document: Document) -> DraftSet:
    """Draft the records of a decoded document (an empty set for an empty or binary one)."""
    doc_id = f"draft-{document.path.stem}".lower().replace("_", "-").replace(" ", "-")
    drafts = DraftSet(document, doc_id)
    text = document.text
    draft_metadata(text, drafts)
    if not text.strip():
        return drafts
    lex = lexicon()
    sents = list(sentences(text))
    study = draft_design(text, sents, lex, drafts)
    from kg.extract.tables import draft_drug_rows, draft_result_tables, draft_tables

    draft_tables(text, lex, drafts, study)  # first: a table's groups are arms results name
    draft_result_tables(text, lex, drafts, study)
    draft_drug_rows(text, lex, drafts, study)
    draft_results(text, sents, lex, drafts, study)
    from kg.extract.statements import draft_statements, merge_approvals

    draft_statements(text, sents, lex, drafts)
    merge_approvals(drafts)
    from kg.extract.verify import keep_verified

    keep_verified(drafts)
    return drafts


def extract_file(path: Path) -> DraftSet:
    """Read and draft one file."""
    return extract_document(read_document(path))


def extract_to(path: Path, out: Path) -> Path:
    """Draft one file and write its record file into ``out``."""
    drafts = extract_file(path)
    return write_drafts(drafts, sections(drafts.document.text), out)
