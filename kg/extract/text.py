"""A document's text, its sections and its sentences, each with character offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.sources.decoding import decode_document

__all__ = ["Document", "Segment", "read_document", "section_at", "sections", "sentences"]


@dataclass(frozen=True)
class Segment:
    """A stretch of the text: ``text`` is ``document[start:end]``."""

    start: int
    end: int
    text: str


@dataclass
class Document:
    """A decoded document: its text, the encoding read, the bytes' SHA-256 and warnings."""

    path: Path
    text: str
    encoding: str
    sha256: str
    warnings: list[str] = field(default_factory=list)


def read_document(path: Path) -> Document:
    """Read any file as text; a binary or unreadable file gives empty text and a warning."""
    import hashlib

    try:
        data = path.read_bytes()
    except OSError as error:
        return Document(path, "", "none", "", [f"{path}: cannot be read ({error})"])
    decoded = decode_document(data)
    doc = Document(path, decoded.text, decoded.encoding, hashlib.sha256(data).hexdigest())
    if decoded.binary:
        doc.warnings.append(f"{path}: not text (binary data): nothing drafted")
    elif not decoded.text.strip():
        doc.warnings.append(f"{path}: empty document: nothing drafted")
    return doc


# a sentence ends at . ! ? before a capital or an opening bracket; not after the abbreviations
# trial reports use before a name or a number
_ABBREVIATIONS = (
    r"(?<!\bvs)(?<!\bet al)(?<!\be\.g)(?<!\bi\.e)(?<!\bNo)(?<!\bFig)(?<!\bref)(?<!\bInc)(?<!\bLtd)"
    r"(?<!\bCorp)(?<!\bCo)(?<!\b[A-Z])"  # U.S. Food and Drug Administration, J. Smith
)
_STOP = re.compile(rf"{_ABBREVIATIONS}[.!?](?=\s+[\"'(\[]?[A-Z0-9•*#-])\s+")
# a blank line, or a new line opening a list item
_BREAK = re.compile(r"\n[ \t]*\n\s*|\n(?=[ \t]*(?:[•*#|]|\d+\.\s))|\n(?=[ \t]*[A-Z\[])")
_MAX_SENTENCE = 1500  # a "sentence" longer than this (a 1 MB line) is cut into windows
# a line that ends so cannot end a sentence: the sentence wraps onto the next line
_GOES_ON = re.compile(
    r"(?:[,;(\-–]|\b(?:the|a|an|of|and|or|in|to|for|with|by|on|at|from|than|as|was|were|is)\s*)$",
    re.I,
)


def _breaks(text: str, match: re.Match[str]) -> bool:
    """Whether a line break ends a sentence: after a short line (a title, a heading, a table
    row) or a final stop, or before a capital after a line that does not run on; never inside
    a wrapped paragraph (a long line before it, as a PDF's text layer leaves every line)."""
    following = text[match.end() : match.end() + 1]
    if following in ("•", "*", "#", "|"):
        return True
    before = text.rfind("\n", 0, match.start())
    line = text[before + 1 : match.start()].rstrip()
    if line[-1:] in ".!?:" or not line:
        return True
    blank = "\n" in match.group()[1:]
    if following.islower():  # a sentence does not open in lower case: a wrapped one goes on
        return False
    if _GOES_ON.search(line) or not (following.isupper() or following == "["):
        return blank and len(line) < 60 and not _GOES_ON.search(line)
    return blank or len(line) < 80


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[Segment]:
    """The sentences of ``text[start:end]`` with their offsets, leading and trailing space cut."""
    end = len(text) if end is None else end
    cuts = [(m.start() + 1, m.end()) for m in _STOP.finditer(text, start, end)]
    cuts += [(m.start(), m.end()) for m in _BREAK.finditer(text, start, end) if _breaks(text, m)]
    position = start
    for stop, resume in sorted(cuts):
        if stop < position:
            continue
        yield from _trimmed(text, position, stop)
        position = resume
    yield from _trimmed(text, position, end)


def _trimmed(text: str, start: int, end: int) -> Iterator[Segment]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > _MAX_SENTENCE:  # windows break at a space where one is near
        cut = text.rfind(" ", start + _MAX_SENTENCE // 2, start + _MAX_SENTENCE)
        cut = cut if cut > start else start + _MAX_SENTENCE
        yield Segment(start, cut, text[start:cut])
        start = cut + (1 if text[cut : cut + 1] == " " else 0)
    if end > start:
        yield Segment(start, end, text[start:end])


# a heading: a short line of its own without a final full stop ("Results", "**The Study**",
# "# Title"), or a label ending in a colon at the start of a paragraph ("Methods: ...")
_HEADING = re.compile(
    r"^[ \t]*(?:#+[ \t]*)?\**(?P<title>[A-Z][A-Za-z0-9 ,'’/&()\-]{1,60}?)\**[ \t]*(?::(?=[ \t])|$)",
    re.M,
)


def sections(text: str) -> list[Segment]:
    """Headings with the offset where each starts (the text up to the next one is its body)."""
    found = []
    for match in _HEADING.finditer(text):
        title = match["title"].strip()
        line_end = text.find("\n", match.start())
        line = text[match.start() : line_end if line_end >= 0 else len(text)]
        colon = match.group().rstrip().endswith(":")
        if not colon and (len(line.strip()) > 70 or re.search(r"\d.*\d", title)):
            continue
        found.append(Segment(match.start(), match.end(), title))
    return found


def section_at(heads: list[Segment], offset: int, default: str = "text") -> str:
    """The title of the section holding ``offset`` (the last heading at or before it)."""
    import bisect

    i = bisect.bisect_right([h.start for h in heads], offset) - 1
    return heads[i].text if i >= 0 else default
