"""Document bytes to text: one decoder for the extractor and the build's span check.

Offsets in record files count code points of the text this module returns, so the two must
never decode a file differently.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["Decoded", "decode_document"]

# UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 8192
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1b")


@dataclass(frozen=True)
class Decoded:
    """A document's text and how it was read; ``binary`` documents have empty text."""

    text: str
    encoding: str
    binary: bool = False


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, or many control characters, in the first few kilobytes."""
    sample = data[:_SAMPLE]
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in _TEXT_CONTROLS)
    return bool(sample) and controls / len(sample) > 0.1


def decode_document(data: bytes) -> Decoded:
    """Sniff a byte-order mark (UTF-8/16/32), else read UTF-8, else cp1252, else Latin-1.

    A byte-order mark is not part of the text. Binary data decodes to empty text.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom) :].decode(encoding), encoding)
            except UnicodeDecodeError:
                return Decoded("", encoding, binary=True)
    if _looks_binary(data):
        return Decoded("", "binary", binary=True)
    for encoding in ("utf-8", "cp1252"):
        try:
            return Decoded(data.decode(encoding), encoding)
        except UnicodeDecodeError:
            continue
    return Decoded(data.decode("latin-1"), "latin-1")
