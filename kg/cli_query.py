"""``kg queries``, ``kg query`` and ``kg serve``.

Registering the commands imports nothing heavy; rdflib, pyoxigraph and rich load in the
handlers (``kg --help`` stays fast).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from kg import paths

if TYPE_CHECKING:
    from rich.console import Console

    from kg.api import KnowledgeGraph

__all__ = ["register"]

# kg.results.ROW_FORMATS, then GRAPH_FORMATS (tests/test_writing_sparql.py keeps them equal)
_ROW_FORMATS = ("json", "xml", "csv", "tsv", "table", "md")
_GRAPH_FORMATS = ("turtle", "nt", "jsonld", "rdfxml")
_FORMATS = [*_ROW_FORMATS, *_GRAPH_FORMATS]


def _graph_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--graph",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="graph file to query (Turtle, N-Triples, N-Quads, JSON-LD) or a build's store "
        "folder; repeatable; default: out/store (opened read-only, no parsing), else "
        "out/graph.nq (asserted and inferred graphs), else out/graph.ttl",
    )


def register(commands: argparse._SubParsersAction) -> None:
    """Add the query commands."""
    listing = commands.add_parser("queries", help="list the canned competency questions")
    listing.set_defaults(func=_list)

    query = commands.add_parser(
        "query",
        help="run a canned question, a .rq file or a query from standard input",
        description="Run a canned question by name, a SPARQL file, or - for standard input.",
    )
    query.add_argument("query", help="NAME | FILE.rq | - | SPARQL text")
    query.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter by name; entities by label, synonym, CURIE or IRI; repeatable",
    )
    query.add_argument(
        "--format",
        "-f",
        choices=_FORMATS,
        default="table",
        help="table, md, or a W3C results format (csv, tsv, json, xml); "
        "CONSTRUCT/DESCRIBE: turtle, nt, jsonld (default: table, which is Turtle for graphs)",
    )
    query.add_argument("--out", "-o", type=Path, help="write to this file instead of stdout")
    query.add_argument(
        "--iris",
        action="store_true",
        help="table: show studies, arms and other nodes by IRI, not by acronym or label",
    )
    query.add_argument("--max-results", type=int, default=None, help="refuse larger answers")
    _graph_option(query)
    query.set_defaults(func=_query)

    serve = commands.add_parser(
        "serve",
        help="serve the graph over the SPARQL 1.1 Protocol",
        description="A read-only SPARQL 1.1 endpoint at /sparql with a query page at /.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument("--timeout", type=float, default=10.0, help="seconds per query")
    serve.add_argument("--max-results", type=int, default=10_000, help="rows or triples cap")
    serve.add_argument(
        "--max-chars", type=int, default=16_000_000, help="cap on the characters of one answer"
    )
    serve.add_argument(
        "--memory-mb", type=int, default=4096, help="memory limit of each worker (0: none)"
    )
    serve.add_argument("--workers", type=int, default=2, help="query worker processes")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="let queries use SERVICE and FROM: workers keep the network and fetch URLs "
        "(off by default)",
    )
    serve.add_argument(
        "--no-cache",
        action="store_true",
        help="answer every request afresh (by default identical requests share an answer)",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        help="seconds a connection has to send a request head (default: %(default)s)",
    )
    _graph_option(serve)
    serve.set_defaults(func=_serve)


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from kg.catalog import load_catalog

    console = Console(soft_wrap=False)
    table = Table(show_lines=True)
    table.add_column("name", no_wrap=True)
    table.add_column("question")
    table.add_column("parameters")
    for q in load_catalog().values():
        params = "\n".join(
            f"{p.name} ({p.kind}{', default ' + p.default if p.default else ', optional'})"
            for p in q.parameters
        )
        table.add_row(q.name, f"[bold]{q.title}[/bold]\n{q.description}", params or "-")
    console.print(table)
    console.print("Run one with: kg query NAME --param key=value [--format csv]")
    return 0


def _parse_params(items: list[str]) -> dict[str, str]:
    from kg.api import ParameterError

    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--param {item!r}: expected KEY=VALUE")
        params[key.strip()] = value.strip()
    return params


def _say(console: Console, kind: str, message: str) -> None:
    """``kind: message`` on the console, the kind in colour on a terminal, the text as is."""
    from rich.text import Text

    style = "bold red" if kind == "error" else "bold yellow"
    console.print(Text.assemble((f"{kind}:", style), " ", message))


def _query(args: argparse.Namespace) -> int:
    from rich.console import Console

    from kg.api import KnowledgeGraph, ParameterError, default_graph_files
    from kg.engine import ResultTooLarge
    from kg.export import atomic_write
    from kg.resolve import ResolveError
    from kg.results import GRAPH_FORMATS, ROW_FORMATS
    from kg.sandbox import isolate_network
    from kg.sparql import QueryError, QueryRefused
    from kg.terms import UnknownTermWarning, explain_syntax_error

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    files = args.graph or default_graph_files()
    query: str | Path = ""
    graph: KnowledgeGraph | None = None
    try:
        query = sys.stdin.read() if args.query == "-" else args.query
        graph = KnowledgeGraph.load(*files)
        # the query may come from anywhere (a pipe, a file someone sent): from here on
        # this process cannot reach any host, whatever the text makes the engine try
        isolate_network()
        with warnings.catch_warnings():  # printed below from result.warnings
            warnings.simplefilter("ignore", UnknownTermWarning)
            result = graph.query(query, _parse_params(args.param), max_results=args.max_results)
        for message in result.warnings:
            _say(errors, "warning", message)
        fmt = args.format
        if result.graph is not None and fmt in ROW_FORMATS:
            fmt = "jsonld" if fmt == "json" else "turtle"
        elif result.graph is None and fmt in GRAPH_FORMATS:
            _say(errors, "error", f"{fmt} is for CONSTRUCT/DESCRIBE; this is a {result.form} query")
            return 2
        if fmt == "table" and result.form == "SELECT":
            labels = {} if args.iris else graph.labels(result.unnamed_iris())
            if not args.out:
                console = Console(highlight=False)
                console.print(result.rich_view(console.width, labels))
                return 0
            body = result.text_table(labels=labels).encode()
        else:
            body = result.serialize(fmt)
    except QueryError as error:
        # graph.query has explained it already; anything else is explained here
        text = query if isinstance(query, str) else ""
        prefixes = graph.prefixes if graph is not None else {}
        explained = explain_syntax_error(error, text, prefixes)
        _say(errors, "error", f"bad query: {explained}")
        return 2
    except (QueryRefused, ParameterError, ResolveError, ResultTooLarge) as error:
        _say(errors, "error", str(error))
        return 2
    except (FileNotFoundError, ValueError) as error:
        _say(errors, "error", str(error))
        return 1
    if args.out:
        atomic_write(args.out, body)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    return 0


def _serve(args: argparse.Namespace) -> int:
    from kg.api import default_graph_files
    from kg.endpoint import EndpointSettings, create_app
    from kg.serving import serve
    from kg.workers import WorkerPool

    files = args.graph or default_graph_files()
    missing = [f for f in files if not (f.is_file() or f.is_dir())]
    if missing:
        print(f"error: {missing[0]}: no such graph file (run `kg build` first?)", file=sys.stderr)
        return 1
    settings = EndpointSettings(
        graph_files=files,
        timeout=args.timeout,
        max_results=args.max_results,
        max_chars=args.max_chars,
        memory_mb=args.memory_mb or None,
        workers=args.workers,
        allow_remote=args.allow_remote,
        queries=paths.QUERIES,
        cache_mb=0 if args.no_cache else 64,
    )
    try:
        pool = WorkerPool(
            files,
            size=settings.workers,
            memory_mb=settings.memory_mb,
            isolate=not settings.allow_remote,
        )
        app = create_app(settings, pool)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.allow_remote:
        network = "remote access ALLOWED: queries may fetch URLs"
    elif pool.sandbox == "none":
        network = "no network sandbox on this system: the query guard is the only layer"
    else:
        network = f"workers without network ({pool.sandbox})"
    print(
        f"serving {', '.join(map(str, files))} at http://{args.host}:{args.port}/sparql "
        f"(timeout {args.timeout:g} s, cap {args.max_results:,}; {network})",
        flush=True,
    )
    serve(app, args.host, args.port, header_timeout=args.header_timeout)
    return 0
