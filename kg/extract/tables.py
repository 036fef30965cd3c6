"""Plain-text tables: header rows, column groups, "n (%)" cells, decimal commas."""

from __future__ import annotations

from kg.extract.design import Study
from kg.extract.drafts import DraftSet
from kg.extract.entities import Lexicon

__all__ = ["draft_tables"]


def draft_tables(text: str, lex: Lexicon, drafts: DraftSet, study: Study) -> None:
    """Adverse-event and result rows of the document's tables."""
    return None
