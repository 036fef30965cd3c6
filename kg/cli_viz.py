"""``kg viz``, ``kg paths`` and ``kg stats``: views and network analytics of the built graph.

Registering the commands imports nothing heavy; rdflib, networkx, pyvis and rich load in the
handlers (``kg --help`` stays fast).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kg import paths
from kg.graphfile import add_graph_option, load_graph

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.viz import View

__all__ = ["register"]


def _error(error: Exception) -> None:
    print(f"error: {error}", file=sys.stderr)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "view"


def _params(pairs: list[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"--param {pair!r}: expected NAME=VALUE")
        found[name] = value
    return found


def _query_view(graph: Graph, args: argparse.Namespace) -> View:
    from kg.api import KnowledgeGraph  # the query engine loads only for --query
    from kg.viz import query_view

    result = KnowledgeGraph.load(args.graph).query(args.query, _params(args.param))
    title = args.query if len(args.query) <= 60 else "ad-hoc query"
    return query_view(graph, result, title=f"Query: {title}")


def _choose_view(graph: Graph, args: argparse.Namespace) -> tuple[View, str]:
    from kg.viz import disease_view, drug_view, study_view, whole_view

    if args.drug:
        return drug_view(graph, args.drug), f"drug-{_slug(args.drug)}"
    if args.study:
        return study_view(graph, args.study), f"study-{_slug(args.study)}"
    if args.disease:
        return disease_view(graph, args.disease), f"disease-{_slug(args.disease)}"
    if args.query:
        name = args.query if re.fullmatch(r"[\w.-]+", args.query) else "ad-hoc"
        return _query_view(graph, args), f"query-{_slug(name)}"
    return whole_view(graph), "graph"


def _run_viz(args: argparse.Namespace) -> int:
    from kg.viz import write_view

    try:
        graph = load_graph(args.graph)
        view, stem = _choose_view(graph, args)
    except (ValueError, LookupError, OSError, RuntimeError) as error:  # incl. query errors
        _error(error)
        return 2
    target = args.output or args.out / "views" / f"{stem}.html"
    write_view(view, target)
    print(f"wrote {target}: {view.node_count} nodes, {view.edge_count} edges ({view.title})")
    return 0


def _run_paths(args: argparse.Namespace) -> int:
    from rich.console import Console

    from kg.network import entity_graph, find_node, mechanism_paths, project

    console = Console(highlight=False, soft_wrap=True)
    try:
        detail = project(load_graph(args.graph))
        drug = find_node(detail, args.drug, ["Drug"])
        disease = find_node(detail, args.disease, ["Disease"])
    except ValueError as error:
        _error(error)
        return 2
    found = mechanism_paths(entity_graph(detail), drug, disease, cutoff=args.max_hops)
    label = lambda n: detail.nodes[n]["label"]  # noqa: E731
    console.print(f"{len(found)} paths from {label(drug)} to {label(disease)}", markup=False)
    for number, path in enumerate(found, 1):
        console.print(f"\n{number}. " + " -- ".join(label(n) for n in path.nodes), markup=False)
        for options in path.hops:
            for hop in options:
                console.print(
                    f"   {label(hop.source)} -[{hop.label}]-> {label(hop.target)}", markup=False
                )
                for text in hop.evidence[: args.evidence]:
                    console.print(f"      evidence: {text}", markup=False)
                if len(hop.evidence) > args.evidence:
                    console.print(
                        f"      ... and {len(hop.evidence) - args.evidence} more", markup=False
                    )
    return 0


def _run_stats(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from kg.network import entity_graph, project, stats

    try:
        graph = load_graph(args.graph)
    except ValueError as error:
        _error(error)
        return 2
    detail = project(graph)
    result = stats(graph, entity_graph(detail))
    label = lambda n: detail.nodes[n]["label"]  # noqa: E731
    top = lambda d: sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[: args.top]  # noqa: E731
    if args.json:
        data = {
            "classes": dict(sorted(result.classes.items())),
            "predicates": dict(sorted(result.predicates.items())),
            "components": result.components,
            "degree": [{"iri": n, "label": label(n), "value": v} for n, v in top(result.degree)],
            "betweenness": [
                {"iri": n, "label": label(n), "value": v} for n, v in top(result.betweenness)
            ],
        }
        print(json.dumps(data, indent=1, ensure_ascii=False))
        return 0
    console = Console(highlight=False, soft_wrap=True)
    for title, counts in (
        ("Nodes per class", result.classes),
        ("Triples per predicate", result.predicates),
    ):
        table = Table(title=title, show_edge=False)
        table.add_column("name")
        table.add_column("count", justify="right")
        for name, n in sorted(counts.items()):
            table.add_row(name, str(n))
        console.print(table)
    for title, values in (
        ("Degree centrality", result.degree),
        ("Betweenness centrality", result.betweenness),
    ):
        table = Table(title=f"{title} (entity level, top {args.top})", show_edge=False)
        table.add_column("entity")
        table.add_column("class")
        table.add_column("value", justify="right")
        for node, value in top(values):
            table.add_row(label(node), detail.nodes[node]["cls_label"], f"{value:.4f}")
        console.print(table)
    sizes = result.components
    console.print(f"Connected components (entity level): {len(sizes)}; sizes {sizes[:10]}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``viz``, ``paths`` and ``stats``."""
    viz = commands.add_parser("viz", help="write an interactive HTML view of the graph")
    add_graph_option(viz)
    which = viz.add_mutually_exclusive_group()
    which.add_argument("--drug", metavar="NAME", help="one drug: studies, arms, results, targets")
    which.add_argument("--study", metavar="NAME", help="one study: arms, results, counts")
    which.add_argument("--disease", metavar="NAME", help="one disease: studies, drugs, genes")
    which.add_argument("--query", metavar="NAME", help="a canned query name, .rq file or SPARQL")
    viz.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter of the --query question; repeatable",
    )
    viz.add_argument("--out", type=Path, default=paths.OUT, help="output folder")
    viz.add_argument(
        "-o", "--output", type=Path, help="the HTML file to write (default: OUT/views/NAME.html)"
    )
    viz.set_defaults(func=_run_viz)

    mech = commands.add_parser("paths", help="mechanism paths from a drug to a disease")
    mech.add_argument("drug", help="the drug: its label, part of it, or its IRI")
    mech.add_argument("disease", help="the disease: its label, part of it, or its IRI")
    add_graph_option(mech)
    mech.add_argument("--max-hops", type=int, default=3, help="longest path, in edges")
    mech.add_argument("--evidence", type=int, default=3, help="evidence lines shown per edge")
    mech.set_defaults(func=_run_paths)

    st = commands.add_parser("stats", help="counts, centralities and components")
    add_graph_option(st)
    st.add_argument("--top", type=int, default=10, help="entities listed per centrality")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.set_defaults(func=_run_stats)
