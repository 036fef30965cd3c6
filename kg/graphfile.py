"""The built graph as the commands read it: one ``--graph`` option, one loader, one error.

Also the mark a build without reasoning leaves on ``inferred.ttl``: the file then keeps the
previous build's inferences under a ``# STALE`` comment, and ``graph.nq`` leaves them out.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from kg import paths

if TYPE_CHECKING:  # rdflib loads with the first graph: building the parser stays light
    from rdflib import Graph

__all__ = ["STALE_MARK", "GraphFileError", "add_graph_option", "load_graph", "stale_note"]

# The first line of an ``inferred.ttl`` that does not follow from the graph beside it.
STALE_MARK = "# STALE:"


class GraphFileError(ValueError):
    """The graph file is missing or unreadable."""


def add_graph_option(parser: argparse.ArgumentParser) -> None:
    """``--graph PATH``, defaulting to the build's Turtle."""
    parser.add_argument(
        "--graph",
        type=Path,
        default=paths.OUT / "graph.ttl",
        metavar="PATH",
        help="the built graph (default: %(default)s)",
    )


def load_graph(path: Path) -> Graph:
    """The graph in ``path``; a clear error naming the file when it is missing or broken."""
    from rdflib import Graph
    from rdflib.util import guess_format

    if not path.is_file():
        raise GraphFileError(f"{path}: no such file; run `kg build` first (or give --graph PATH)")
    try:
        return Graph().parse(path, format=guess_format(str(path)) or "turtle")
    except Exception as error:  # rdflib raises many kinds for bad input
        raise GraphFileError(f"{path}: cannot be read as RDF: {error}") from None


def stale_note(path: Path) -> str | None:
    """Why ``path`` (an ``inferred.ttl``) is out of date, or ``None`` if it is not marked."""
    try:
        with path.open(encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError):
        return None
    return first[len(STALE_MARK) :].strip() if first.startswith(STALE_MARK) else None
