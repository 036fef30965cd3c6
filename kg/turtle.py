"""Turtle of a large graph, streamed by pyoxigraph from its sorted N-Triples (a subject's triples
are together, so each subject is written once; no rdflib graph), in this process or beside it.

Run as ``python -m kg.turtle NTRIPLES TURTLE PREFIXES_JSON`` it writes ``TURTLE`` from the file
``NTRIPLES``: the build starts it so that Turtle is written on the other core while the build
draws the overview page. The module imports nothing heavier than pyoxigraph.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pyoxigraph as ox

from kg.export import atomic_file

__all__ = ["start_turtle", "write_turtle"]


def write_turtle(source: bytes | Path, path: Path, prefixes: Mapping[str, str]) -> Path:
    """Write the N-Triples ``source`` (bytes or a file) to ``path`` as Turtle, atomically."""
    if isinstance(source, Path):
        triples = ox.parse(path=source, format=ox.RdfFormat.N_TRIPLES)
    else:
        triples = ox.parse(source, format=ox.RdfFormat.N_TRIPLES)
    with atomic_file(path) as handle:
        ox.serialize(triples, handle, format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes))
    return path


def start_turtle(source: Path, path: Path, prefixes: Mapping[str, str]) -> Callable[[], Path]:
    """Start writing ``path`` from the file ``source`` in a process of its own; call the result
    to wait for it (it raises if the process failed)."""
    command = [sys.executable, "-m", "kg.turtle", str(source), str(path), json.dumps(prefixes)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)

    def wait() -> Path:
        _, error = process.communicate()
        if process.returncode != 0:
            message = error.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
            raise RuntimeError(f"writing {path} failed: {message[0]}")
        return path

    return wait


if __name__ == "__main__":
    write_turtle(Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]))
