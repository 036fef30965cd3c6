"""``kg validate``, ``kg reason`` and ``kg export``: checks and bulk exports of a built graph.

Registering the commands imports nothing heavy; rdflib, pyshacl and owlready2 load in the
handlers (``kg --help`` stays fast).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from kg import paths
from kg.cli import base_default, counted
from kg.graphfile import GraphFileError, add_graph_option, load_graph, stale_note

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["register"]

FORMATS = ("kgx", "nquads", "jsonld", "nt", "ttl")


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``validate``, ``reason`` and ``export`` to the ``kg`` command."""
    validate = commands.add_parser("validate", help="check identifiers and SHACL shapes")
    add_graph_option(validate)
    validate.add_argument("--shapes", type=Path, default=None, help="another shapes file")
    validate.set_defaults(func=_validate)

    reason = commands.add_parser("reason", help="run the OWL reasoner, print what it inferred")
    add_graph_option(reason)
    reason.add_argument(
        "--engine",
        choices=("auto", "hermit", "owlrl", "rules"),
        default="auto",
        help="HermiT (needs Java), OWL 2 RL rules, rules (the ontology compiled to SPARQL rules "
        "on pyoxigraph), or auto (HermiT when Java is installed)",
    )
    reason.add_argument("--out", type=Path, default=None, help="write the inferred triples here")
    reason.set_defaults(func=_reason)

    export = commands.add_parser("export", help="write KGX, N-Quads, JSON-LD, N-Triples or Turtle")
    add_graph_option(export)
    export.add_argument("--format", choices=FORMATS, required=True, help="what to write")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    export.add_argument(
        "--inferred",
        type=Path,
        default=None,
        help="inferred triples (default: inferred.ttl beside the graph; reasoned now if it is "
        "missing or marked stale by a build with --reasoner none)",
    )
    export.add_argument(
        "--base",
        default=base_default(),
        help="base of the named graph IRIs (or set $KG_BASE_IRI)",
    )
    export.add_argument(
        "--check", action="store_true", help="with --format kgx: run the kgx validator"
    )
    export.set_defaults(func=_export)


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _validate(args: argparse.Namespace) -> int:
    from kg.validate import load_shapes, validate
    from kg.xrefs import check_identifiers

    try:
        graph = load_graph(args.graph)
        shapes = load_shapes(args.shapes) if args.shapes else None
    except (GraphFileError, OSError) as error:
        return _fail(str(error))
    problems = check_identifiers(graph)
    report = validate(graph, shapes=shapes)
    for problem in problems:
        print(f"identifier: {problem}")
    for item in report.violations:
        print(f"violation: {item}")
    for item in report.warnings:
        print(f"warning: {item}")
    bad = len(problems) + len(report.violations)
    warnings = counted(len(report.warnings), "warning")
    print(f"{counted(bad, 'violation')}, {warnings} in {args.graph}")
    return 1 if bad else 0


def _reason(args: argparse.Namespace) -> int:
    from rdflib import RDF

    from kg.export import atomic_write, to_turtle
    from kg.reason import reason

    try:
        graph = load_graph(args.graph)
    except GraphFileError as error:
        return _fail(str(error))
    result = reason(graph, engine=args.engine)
    for note in result.notes:
        print(f"note: {note}")
    for item in result.inconsistencies:
        print(f"inconsistent: {item}")
    if not result.consistent:
        return 1
    counts = Counter(str(o).rsplit("#", 1)[-1] for o in result.inferred.objects(None, RDF.type))
    inferred = counted(len(result.inferred), "inferred triple")
    print(f"{result.engine}: consistent; {inferred} in {result.seconds:.1f} s")
    for name, n in sorted(counts.items()):
        print(f"  {name}: {n}")
    if args.out:
        result.inferred.namespace_manager = graph.namespace_manager
        atomic_write(args.out, to_turtle(result.inferred))
        print(f"wrote {args.out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from rdflib import Graph

    try:
        graph = load_graph(args.graph)
        inferred = _inferred(args, graph) if args.format in ("kgx", "nquads") else Graph()
    except GraphFileError as error:
        return _fail(str(error))
    written = _write(args.format, graph, inferred, args.out, args.base)
    for path in written:
        print(f"wrote {path}")
    if args.format == "kgx" and args.check:
        return _check_kgx(written[0], written[1])
    return 0


def _inferred(args: argparse.Namespace, graph: Graph) -> Graph:
    path = args.inferred or args.graph.with_name("inferred.ttl")
    stale = stale_note(path) if path.is_file() else None
    if path.is_file() and (stale is None or args.inferred):
        if stale is not None:
            print(f"warning: {path} is marked stale: {stale}", file=sys.stderr)
        return load_graph(path)
    if args.inferred:
        raise GraphFileError(f"{path}: no such file")
    from kg.reason import reason

    why = "is marked stale (built with --reasoner none)" if stale is not None else "not found"
    print(f"note: {path} {why}; reasoning now", file=sys.stderr)
    return reason(graph).inferred


def _write(fmt: str, graph: Graph, inferred: Graph, out: Path, base: str) -> list[Path]:
    from kg.export import atomic_write, to_jsonld, to_ntriples, to_turtle

    if fmt == "kgx":
        from kg.kgx import write_kgx

        files = write_kgx(graph, inferred, out)
        return [files["kgx_nodes"], files["kgx_edges"]]
    if fmt == "nquads":
        from kg.trust import to_nquads

        atomic_write(out / "graph.nq", to_nquads(graph, inferred, base))
        return [out / "graph.nq"]
    data = {
        "jsonld": ("graph.jsonld", lambda: to_jsonld(graph, _context())),
        "nt": ("graph.nt", lambda: to_ntriples(graph)),
        "ttl": ("graph.ttl", lambda: to_turtle(graph)),
    }[fmt]
    atomic_write(out / data[0], data[1]())
    return [out / data[0]]


def _context() -> dict:
    from kg.export import load_context

    return load_context(paths.ONTOLOGY / "context.jsonld")


def _check_kgx(nodes: Path, edges: Path) -> int:
    from kg.kgx import KgxUnavailableError, validate_kgx

    try:
        report = validate_kgx(nodes, edges)
    except KgxUnavailableError as error:
        return _fail(str(error))
    errors = report["errors"]
    for level, kinds in sorted(errors.items()):
        for kind, messages in sorted(kinds.items()):
            print(f"kgx {level} {kind}: {messages}")
    print(f"kgx validate (Biolink {report['biolink_version']}): {_kgx_tally(errors)}")
    return 1 if errors.get("ERROR") else 0


def _kgx_tally(errors: dict) -> str:
    """``no problems`` or ``2 errors, 1 warning`` (each message of each kind counts once)."""
    counts = []
    for level, kinds in sorted(errors.items()):
        n = sum(
            len(messages) if isinstance(messages, dict | list) else 1 for messages in kinds.values()
        )
        counts.append(counted(n, level.lower()))
    return ", ".join(counts) if counts else "no problems"
