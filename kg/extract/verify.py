"""Span verification: a draft is kept only if its spans hold every number it states."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter, ValidationError

from kg.extract.drafts import Draft, DraftSet
from kg.model import Record
from kg.normalize import numbers_in_text

__all__ = ["check_draft", "keep_verified"]

_RECORD: TypeAdapter[Any] = TypeAdapter(Record)


def check_draft(text: str, draft: Draft) -> str | None:
    """Why a draft fails (None: it passes). Each value must be the document's own text at its
    offsets and lie inside a span; the record must be valid; every number it states must be
    among the numbers of its spans' text (the check ``kg build --documents`` makes)."""
    if not draft.spans:
        return "no span"
    for start, end in draft.spans:
        if not 0 <= start < end <= len(text):
            return f"span [{start}, {end}] is outside the text"
    for value in draft.values:
        if text[value.start : value.end] != value.text:
            return f"{value.text!r} is not the text at [{value.start}, {value.end}]"
        if not any(s <= value.start and value.end <= e for s, e in draft.spans):
            return f"{value.text!r} lies outside the spans"
    raw = copy.deepcopy(draft.record)
    raw["loc"] = [{"section": "text", "span": list(span)} for span in draft.spans]
    try:
        record = _RECORD.validate_python(raw)
    except ValidationError as error:
        return f"not a valid record: {error.errors()[0]['msg']}"
    quoted = " ".join(text[s:e] for s, e in draft.spans)
    missing = record.stated_numbers() - numbers_in_text(quoted)
    if missing:
        return f"states {sorted(missing)}, not in its spans"
    return None


def keep_verified(drafts: DraftSet) -> list[tuple[Draft, str]]:
    """Drop the drafts that fail :func:`check_draft`; returns them with the reason."""
    text = drafts.document.text
    failed = []
    kept = []
    for draft in drafts.drafts:
        reason = check_draft(text, draft)
        if reason is None:
            kept.append(draft)
        else:
            failed.append((draft, reason))
    drafts.drafts = kept
    drafts.dropped = failed  # type: ignore[attr-defined]
    return failed
