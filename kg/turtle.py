"""Turtle of a large graph, streamed by pyoxigraph from its sorted N-Triples (a subject's triples
are together, so each subject is written once; no rdflib graph), in this process or beside it;
and the edits that bring such a file up to date when a few subjects' triples change
(:func:`block_edits`), instead of writing it again.

Run as ``python -m kg.turtle NTRIPLES TURTLE PREFIXES_JSON`` it writes ``TURTLE`` from the file
``NTRIPLES`` (``-``: from its standard input): the build starts it so that Turtle is written
on the other core while the build loads the store and draws the overview page. The module
imports nothing heavier than pyoxigraph.
"""

from __future__ import annotations

import json
import mmap
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.export import atomic_file, mapped

__all__ = ["block_edits", "start_turtle", "write_turtle"]

Edit = tuple[int, int, bytes]  # at an offset: remove so many bytes, put these in


def write_turtle(source: bytes | Path | IO[bytes], path: Path, prefixes: Mapping[str, str]) -> Path:
    """Write the N-Triples ``source`` (bytes, a file or a stream) to ``path`` as Turtle,
    atomically."""
    if isinstance(source, Path):
        triples = ox.parse(path=source, format=ox.RdfFormat.N_TRIPLES)
    else:
        triples = ox.parse(source, format=ox.RdfFormat.N_TRIPLES)
    with atomic_file(path) as handle:
        ox.serialize(triples, handle, format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes))
    return path


def start_turtle(
    source: Path | None, path: Path, prefixes: Mapping[str, str]
) -> tuple[IO[bytes] | None, Callable[[], Path]]:
    """Start writing ``path`` from the file ``source`` in a process of its own, or from what is
    written to the pipe returned (``source=None``; close it at the end). Call the function
    returned to wait for the process (it raises if the process failed)."""
    given = "-" if source is None else str(source)
    command = [sys.executable, "-m", "kg.turtle", given, str(path), json.dumps(prefixes)]
    stdin = subprocess.PIPE if source is None else None
    process = subprocess.Popen(command, stdin=stdin, stderr=subprocess.PIPE)

    def wait() -> Path:
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()
        error = process.stderr.read() if process.stderr is not None else b""
        process.wait()
        if process.returncode != 0:
            message = error.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
            raise RuntimeError(f"writing {path} failed: {message[0]}")
        return path

    return process.stdin, wait


def block_edits(
    path: Path, subjects: Mapping[bytes, list[bytes]], prefixes: Mapping[str, str]
) -> list[Edit] | None:
    """The edits that bring ``path`` (Turtle that :func:`write_turtle` wrote from sorted
    N-Triples with ``prefixes``) up to date when the subjects in ``subjects`` (N-Triples terms,
    ``<iri>``) now have the triples given (sorted N-Triples lines; none: the subject is gone).

    Such a file holds one block a subject, in the order of the subjects' N-Triples terms: a
    line that does not start with a tab starts one. Each block is found by a binary search and
    replaced by the Turtle pyoxigraph writes for the subject's new triples, so the file is the
    one writing it again would give. ``None``: a blank node or a name this cannot read.
    """
    if any(s.startswith(b"_:") or b" _:" in line for s, ls in subjects.items() for line in ls):
        return None
    terms = _Terms(prefixes)
    lines = [line + b"\n" for subject in sorted(subjects) for line in subjects[subject]]
    fresh = ox.serialize(
        ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES),
        format=ox.RdfFormat.TURTLE,
        prefixes=dict(prefixes),
    )
    blocks: dict[bytes, bytes] = {}
    at = _blocks_from(fresh)
    while at < len(fresh):
        end = _block_start(fresh, at + 1, len(fresh))
        blocks[terms.of(fresh, at)] = fresh[at:end]
        at = end
    if set(blocks) - set(subjects):
        return None
    with mapped(path) as data:
        first = _blocks_from(data)
        edits: list[Edit] = []
        for subject in sorted(subjects):
            at = _find(data, first, subject, terms)
            found = at < len(data) and terms.of(data, at) == subject
            length = _block_start(data, at + 1, len(data)) - at if found else 0
            if found or subject in blocks:
                edits.append((at, length, blocks.get(subject, b"")))
    return edits


class _Terms:
    """The N-Triples term (``<iri>``) of a block's subject, prefixed names expanded."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.names = {p.encode(): n.encode() for p, n in prefixes.items()}

    def of(self, data: bytes | mmap.mmap, at: int) -> bytes:
        token = data[at : data.find(b" ", at)]
        if token.startswith(b"<"):
            return token
        prefix, colon, local = token.partition(b":")
        if not colon or prefix not in self.names:
            raise ValueError(f"a subject Turtle block_edits cannot read: {token!r}")
        return b"<" + self.names[prefix] + _ESCAPED.sub(rb"\1", local) + b">"


_ESCAPED = re.compile(rb"\\(.)")  # a local name's escaped character (kgr:study\/x)


def _blocks_from(data: bytes | mmap.mmap) -> int:
    """Where the first block starts: after the @prefix lines."""
    at = 0
    while data[at : at + 8] == b"@prefix ":
        at = data.find(b"\n", at) + 1
    return at


def _block_start(data: bytes | mmap.mmap, at: int, end: int) -> int:
    """The first block start at or after ``at`` (``end`` if none): a line not starting with a
    tab. String literals have their newlines escaped, so every line is a line of the file."""
    if at == 0:  # the file's first line
        return 0 if end > 0 and data[0] != 9 else _block_start(data, 1, end)
    newline = data.find(b"\n", at - 1, end)
    while newline != -1 and newline + 1 < end:
        if data[newline + 1] != 9:  # a tab
            return newline + 1
        newline = data.find(b"\n", newline + 1, end)
    return end


def _find(data: mmap.mmap, first: int, subject: bytes, terms: _Terms) -> int:
    """The start of the first block whose subject is not less than ``subject``."""
    low, high = first, len(data)  # block starts: blocks before low are less, from high not
    while low < high:
        middle = _block_start(data, (low + high) // 2, high)
        if middle == high:  # no block starts in the upper half: try the first of the range
            middle = low
        if terms.of(data, middle) < subject:
            low = _block_start(data, middle + 1, high)
        else:
            high = middle
    return low


if __name__ == "__main__":
    given = sys.stdin.buffer if sys.argv[1] == "-" else Path(sys.argv[1])
    write_turtle(given, Path(sys.argv[2]), json.loads(sys.argv[3]))
