"""``kg viz``, ``kg paths`` and ``kg stats``: views and network analytics of the built graph.

Registering the commands imports nothing heavy; rdflib, networkx, pyvis and rich load in the
handlers (``kg --help`` stays fast).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kg import paths
from kg.graphfile import add_graph_option, load_graph

if TYPE_CHECKING:
    from kg.views import Source, View

__all__ = ["register"]


def _error(error: Exception | str) -> None:
    print(f"error: {error}", file=sys.stderr)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "view"


def _params(pairs: list[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param {pair!r}: expected NAME=VALUE")
        found[name.strip()] = value.strip()
    return found


def _query_stem(source: Source, query: str, given: dict[str, str]) -> tuple[str, str]:
    """The file stem and title of a query view: the query's name and its parameters' values
    (defaults included, entities by label), so two views of one query never share a file."""
    import pyoxigraph as ox

    knowledge = source.knowledge
    text, declared = knowledge.prepare(query)
    if query in knowledge.catalog:
        name, title = query, knowledge.catalog[query].title
    elif query.endswith(".rq"):
        name = title = Path(query).stem
    else:
        digest = hashlib.sha256(text.encode()).hexdigest()[:10]
        name, title = f"adhoc-{digest}", f"ad-hoc query {digest}"
    bound = knowledge.bindings(declared, given)
    labels = knowledge.labels(t.value for t in bound.values() if isinstance(t, ox.NamedNode))
    values = {
        k: labels.get(t.value, t.value) if isinstance(t, ox.NamedNode) else str(t.value)
        for k, t in bound.items()
    }
    stem = "query-" + _slug(name) + "".join(f"--{_slug(k)}-{_slug(v)}" for k, v in values.items())
    shown = ", ".join(f"{k} = {v}" for k, v in values.items())
    return stem[:150], f"Query: {title}" + (f" ({shown})" if shown else "")


def _choose_view(source: Source, args: argparse.Namespace) -> tuple[View, str]:
    from kg.views import disease_view, drug_view, query_view, study_view, whole_view
    from kg.views.words import study_name

    options = {"limit": args.limit}
    if args.drug:
        view = drug_view(source, args.drug, **options)
        return view, f"drug-{_slug(view.title.removeprefix('Drug: '))}"
    if args.study:
        view = study_view(source, args.study, **options)
        return view, f"study-{_slug(study_name(source.facts.nodes[view.focus[0]]))}"
    if args.disease:
        view = disease_view(source, args.disease, **options)
        return view, f"disease-{_slug(view.title.removeprefix('Disease: '))}"
    if args.query:
        given = _params(args.param)
        stem, title = _query_stem(source, args.query, given)
        return query_view(source, args.query, given, title=title), stem
    return whole_view(source, **options), "graph"


def _run_viz(args: argparse.Namespace) -> int:
    from kg.api import KnowledgeGraph, default_graph_files
    from kg.views import Source, overview_view, write_view
    from kg.views.overview import is_large

    if args.param and not args.query:
        _error("--param goes with --query")
        return 2
    if args.documents is not None and not args.documents.is_dir():
        _error(f"--documents {args.documents}: no such folder")
        return 2
    files = args.graph or default_graph_files()
    try:
        knowledge = KnowledgeGraph.load(*files)
        if not (args.drug or args.study or args.disease or args.query) and is_large(knowledge):
            view, stem = overview_view(knowledge), "graph"  # reads only what it draws
        else:
            view, stem = _choose_view(Source(knowledge, documents=args.documents), args)
    except FileNotFoundError as error:
        _error(f"{error}; run `kg build` first, or give --graph FILE")
        return 2
    except (ValueError, LookupError, OSError, RuntimeError) as error:  # names, queries, files
        _error(error)
        return 2
    if view.kind == "query" and view.query is not None and not view.query.rows:
        _error("the query's answer is empty: nothing to draw, no file written")
        return 1
    target = args.output or args.out / "views" / f"{stem}.html"
    write_view(view, target)
    opens = f"opens on {len(view.initial):,}" + (
        " entities (a large graph's overview: --drug, --study or --disease for the rest)"
        if view.kind == "overview"
        else " entities; double-click to expand"
        if view.overview
        else " nodes"
    )
    print(
        f"wrote {target}: {view.node_count:,} nodes, {view.edge_count:,} edges ({view.title}); "
        f"{opens}"
    )
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
    viz = commands.add_parser(
        "viz",
        help="write an interactive HTML view of the graph",
        description="Write a page that opens offline in a browser: the entities first, arms, "
        "results and sources on demand, a table of results beside the graph. Names resolve as "
        "in `kg query`: label, synonym, acronym, CURIE, IRI or NCT id.",
    )
    viz.add_argument(
        "--graph",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="graph file (Turtle, N-Triples, N-Quads, JSON-LD); repeatable; "
        "default: out/store (the build's store), else out/graph.nq, else out/graph.ttl",
    )
    which = viz.add_mutually_exclusive_group()
    which.add_argument("--drug", metavar="NAME", help="one drug: studies, arms, results, targets")
    which.add_argument("--study", metavar="NAME", help="one study: arms, results, adverse events")
    which.add_argument("--disease", metavar="NAME", help="one disease: studies, cohorts, genes")
    which.add_argument("--query", metavar="NAME", help="a canned query name, .rq file or SPARQL")
    viz.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter of the --query question; repeatable",
    )
    viz.add_argument(
        "--documents",
        type=Path,
        metavar="DIR",
        help="folder of the source documents: quote the text of each span when the graph "
        "holds only its offsets (a build without --documents)",
    )
    viz.add_argument(
        "--limit",
        type=int,
        default=150,
        metavar="N",
        help="views of more nodes open on the entity overview (default: %(default)s)",
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
