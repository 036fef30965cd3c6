"""The built graph as the commands read it: one ``--graph`` option, one loader, one error."""

from __future__ import annotations

import argparse
from pathlib import Path

from rdflib import Graph
from rdflib.util import guess_format

from kg import paths

__all__ = ["GraphFileError", "add_graph_option", "load_graph"]


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
    if not path.is_file():
        raise GraphFileError(f"{path}: no such file; run `kg build` first (or give --graph PATH)")
    try:
        return Graph().parse(path, format=guess_format(str(path)) or "turtle")
    except Exception as error:  # rdflib raises many kinds for bad input
        raise GraphFileError(f"{path}: cannot be read as RDF: {error}") from None
