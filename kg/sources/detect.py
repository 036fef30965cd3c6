"""Tell a source's kind from its first bytes, never from its name."""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Kind", "detect"]

Kind = Literal["zip", "json", "ctgov-xml", "pubmed-xml", "records-yaml", "unknown"]

_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_YAML_SECTION = re.compile(rb"^(document|entities|records)\s*:", re.M)


def detect(head: bytes) -> tuple[Kind, str]:
    """The kind of a file from its first bytes, and what was seen (for error messages)."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip", "a zip archive"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return "json", "JSON"
    if text[:1] == b"<":
        root = _root_element(text)
        if root == b"clinical_study":
            return "ctgov-xml", "legacy ClinicalTrials.gov XML"
        if root in (b"PubmedArticleSet", b"PubmedArticle"):
            return "pubmed-xml", "PubMed XML"
        shown = root.decode("utf-8", "replace") if root else "no element"
        return "unknown", f"XML whose root element is <{shown}>"
    if _YAML_SECTION.search(head):
        return "records-yaml", "record YAML"
    return "unknown", "neither JSON, XML, a zip archive nor record YAML"


def _root_element(text: bytes) -> bytes | None:
    """The first element's name, past the XML declaration, DOCTYPE and comments."""
    position = 0
    while True:
        start = text.find(b"<", position)
        if start < 0:
            return None
        if text.startswith(b"<?", start):
            position = text.find(b"?>", start) + 2
        elif text.startswith(b"<!--", start):
            position = text.find(b"-->", start) + 3
        elif text.startswith(b"<!", start):
            end = text.find(b"]>", start) if b"[" in text[start : text.find(b">", start)] else -1
            position = (end + 2) if end >= 0 else text.find(b">", start) + 1
        else:
            match = _XML_ROOT.match(text, start)
            return match[1] if match else None
        if position <= 1:
            return None
