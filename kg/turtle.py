"""Turtle of a large graph, streamed by pyoxigraph from its sorted N-Triples (a subject's triples
are together, so each subject is written once; no rdflib graph), in this process or beside it.

Run as ``python -m kg.turtle NTRIPLES TURTLE PREFIXES_JSON`` it writes ``TURTLE`` from the file
``NTRIPLES`` (``-``: from its standard input): the build starts it so that Turtle is written
on the other core while the build loads the store and draws the overview page. The module
imports nothing heavier than pyoxigraph.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.export import atomic_file

__all__ = ["start_turtle", "write_turtle"]


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


if __name__ == "__main__":
    given = sys.stdin.buffer if sys.argv[1] == "-" else Path(sys.argv[1])
    write_turtle(given, Path(sys.argv[2]), json.loads(sys.argv[3]))
