"""``kg prefixes`` and ``kg vocab``: what a query can say without declaring anything.

``kg prefixes`` lists the predeclared prefixes. ``kg vocab`` lists every class, property and
individual of ``ontology/cdek.ttl`` with its label, domain, range and an example from the
built graph; ``kg vocab -f md`` writes the table that README.md carries (a test keeps the
two equal).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyoxigraph as ox

    from kg.api import KnowledgeGraph
    from kg.terms import VocabularyTerm

__all__ = [
    "examples",
    "fill_readme",
    "prefixes_markdown",
    "register",
    "vocabulary_markdown",
    "vocabulary_rows",
]

_EXAMPLE_WIDTH = 40
_XSD = "http://www.w3.org/2001/XMLSchema#"
_CLASS_MEMBERS = """SELECT ?class (MIN(?node) AS ?first) WHERE {{
  ?node a ?class . FILTER(isIRI(?node) && STRSTARTS(STR(?class), "{ns}"))
}} GROUP BY ?class"""
_SUBJECTS = """SELECT ?property (MIN(?node) AS ?first) WHERE {{
  ?node ?property ?value . FILTER(isIRI(?node) && STRSTARTS(STR(?property), "{ns}"))
}} GROUP BY ?property"""
_OBJECTS = """SELECT ?property ?node (MIN(?value) AS ?first) WHERE {{
  VALUES (?property ?node) {{ {pairs} }}
  ?node ?property ?value .
}} GROUP BY ?property ?node"""
_USERS = """SELECT ?value (MIN(?node) AS ?first) WHERE {{
  VALUES ?value {{ {values} }}
  ?node ?property ?value . FILTER(isIRI(?node))
}} GROUP BY ?value"""


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``kg prefixes`` and ``kg vocab``."""
    prefixes = commands.add_parser(
        "prefixes",
        help="list the prefixes every query may use without declaring them",
        description="The prefixes kg query, the Python API and kg serve predeclare.",
    )
    prefixes.add_argument(
        "--sparql", action="store_true", help="print them as PREFIX lines to paste elsewhere"
    )
    prefixes.set_defaults(func=_prefixes)

    vocab = commands.add_parser(
        "vocab",
        help="list the ontology's classes and properties, with an example of each",
        description="Every class, property and individual of ontology/cdek.ttl: label, "
        "domain, range and one example from the built graph (if there is one).",
    )
    vocab.add_argument(
        "--format",
        "-f",
        choices=["table", "md"],
        default="table",
        help="a table for the terminal, or Markdown (the README's table)",
    )
    vocab.add_argument(
        "--graph",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="graph file to take examples from; repeatable "
        "(default: out/graph.nq, else out/graph.ttl; none: no examples)",
    )
    vocab.add_argument("--no-examples", action="store_true", help="the ontology alone")
    vocab.add_argument(
        "--update",
        type=Path,
        metavar="README",
        help="rewrite the generated prefix and vocabulary tables of this Markdown file "
        "(between its <!-- prefixes:start --> / <!-- vocab:start --> and :end markers)",
    )
    vocab.set_defaults(func=_vocab)


# -- prefixes ------------------------------------------------------------------------------


def _sorted_prefixes() -> list[tuple[str, str]]:
    from kg.api import display_prefixes

    return sorted(display_prefixes().items())


def prefixes_markdown() -> str:
    """The predeclared prefixes as a Markdown table (README.md carries it)."""
    lines = ["| prefix | namespace |", "|---|---|"]
    lines += [f"| `{p}:` | `{ns}` |" for p, ns in _sorted_prefixes()]
    return "\n".join(lines) + "\n"


def _prefixes(args: argparse.Namespace) -> int:
    if args.sparql:
        sys.stdout.write("".join(f"PREFIX {p}: <{ns}>\n" for p, ns in _sorted_prefixes()))
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    table = Table(show_edge=False, caption="declare others with PREFIX name: <namespace>")
    table.add_column("prefix", no_wrap=True)
    table.add_column("namespace", overflow="fold")
    for prefix, namespace in _sorted_prefixes():
        table.add_row(Text(f"{prefix}:"), Text(namespace))
    console.print(table)
    return 0


# -- vocabulary ------------------------------------------------------------------------------


def _show(
    term: ox.NamedNode | ox.BlankNode | ox.Literal,
    names: dict[str, str],
    prefixes: dict[str, str],
) -> str:
    """A node by name (else as it would be written in a query), a literal by its value."""
    import pyoxigraph as ox

    from kg.terms import shorten

    if isinstance(term, ox.NamedNode):
        text = names.get(term.value) or shorten(term.value, prefixes)
    elif isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    elif term.language or term.datatype.value == f"{_XSD}string":
        text = f'"{term.value}"'
    else:
        text = term.value
    return text if len(text) <= _EXAMPLE_WIDTH else text[: _EXAMPLE_WIDTH - 1] + "…"


def examples(graph: KnowledgeGraph, terms: Iterable[VocabularyTerm]) -> dict[str, str]:
    """One example per term from ``graph``: a member of a class (``sorafenib``), a use of a
    property (``sorafenib → BRAF``), a node that points at an individual.

    Each is the first in SPARQL's order of IRIs, so the same graph gives the same examples;
    nodes are named by acronym or label where they have one. Four queries in all.
    """
    import pyoxigraph as ox

    from kg.terms import ONTOLOGY_NAMESPACE

    terms = list(terms)
    engine = graph.engine
    ns = ONTOLOGY_NAMESPACE
    members = {
        c.value: first
        for c, first in engine.run(_CLASS_MEMBERS.format(ns=ns)).rows
        if c is not None and first is not None
    }
    subjects = {
        p.value: first
        for p, first in engine.run(_SUBJECTS.format(ns=ns)).rows
        if p is not None and first is not None
    }
    wanted = {t.iri for t in terms if t.kind != "class" and t.kind != "individual"}
    pairs = " ".join(f"(<{p}> {s})" for p, s in sorted(subjects.items()) if p in wanted)
    objects = {}
    if pairs:
        query = _OBJECTS.format(pairs=pairs)
        objects = {p.value: first for p, _, first in engine.run(query).rows if p and first}
    individuals = " ".join(f"<{t.iri}>" for t in terms if t.kind == "individual")
    users = {}
    if individuals:
        query = _USERS.format(values=individuals)
        users = {v.value: first for v, first in engine.run(query).rows if v and first}
    nodes = [*members.values(), *subjects.values(), *objects.values(), *users.values()]
    names = graph.labels(n.value for n in nodes if isinstance(n, ox.NamedNode))

    def show(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
        return _show(term, names, graph.prefixes)

    out: dict[str, str] = {}
    for term in terms:
        if term.kind == "class" and term.iri in members:
            out[term.iri] = show(members[term.iri])
        elif term.kind == "individual" and term.iri in users:
            out[term.iri] = f"{show(users[term.iri])} → {term.name}"
        elif term.iri in subjects and term.iri in objects:
            out[term.iri] = f"{show(subjects[term.iri])} → {show(objects[term.iri])}"
    return out


def vocabulary_rows(graph: KnowledgeGraph | None) -> list[dict[str, str]]:
    """The rows of ``kg vocab``: term, kind, label, domain, range, example.

    Examples come from ``graph``; with None the columns come from the ontology alone.
    """
    from kg.api import display_prefixes
    from kg.terms import vocabulary

    terms = vocabulary(display_prefixes())
    found = examples(graph, terms) if graph is not None else {}
    rows = []
    for term in terms:
        kind = term.kind
        if term.parents:
            relation = "subclass of" if term.kind == "class" else "of"
            kind += f" ({relation} {', '.join(term.parents)})"
        rows.append(
            {
                "term": term.name,
                "kind": kind,
                "label": term.label,
                "domain": term.domain,
                "range": term.range,
                "example": found.get(term.iri, ""),
            }
        )
    return rows


def vocabulary_markdown(rows: list[dict[str, str]]) -> str:
    """``rows`` (:func:`vocabulary_rows`) as a Markdown table."""

    def cell(text: str, code: bool = False) -> str:
        text = text.replace("|", "\\|")
        return f"`{text}`" if code and text else text

    lines = ["| term | kind | label | domain | range | example |", "|---|---|---|---|---|---|"]
    for row in rows:
        cells = [
            cell(row["term"], code=True),
            cell(row["kind"]),
            cell(row["label"]),
            cell(row["domain"], code=True),
            cell(row["range"], code=True),
            cell(row["example"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def fill_readme(text: str, prefixes: str, vocab: str) -> str:
    """``text`` with the Markdown tables between its generated-block markers replaced.

    The markers are HTML comments: ``<!-- prefixes:start ... -->`` and
    ``<!-- prefixes:end -->``, and the same for ``vocab``; a block without markers is left.
    """
    for name, table in (("prefixes", prefixes), ("vocab", vocab)):
        pattern = re.compile(rf"(<!-- {name}:start[^>]*-->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        text = pattern.sub(lambda m, table=table: m[1] + table + m[2], text)
    return text


def _vocab(args: argparse.Namespace) -> int:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from kg.api import KnowledgeGraph, default_graph_files

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    graph = None
    if not args.no_examples:
        files = args.graph or default_graph_files()
        missing = [f for f in files if not (f.is_file() or f.is_dir())]
        if missing:
            errors.print(f"note: {missing[0]} not found (run `kg build`): no examples")
        else:
            try:
                graph = KnowledgeGraph.load(*files)
            except ValueError as error:
                errors.print(f"error: {error}", markup=False)
                return 1
    rows = vocabulary_rows(graph)
    if args.update:
        old = args.update.read_text(encoding="utf-8")
        new = fill_readme(old, prefixes_markdown(), vocabulary_markdown(rows))
        if new != old:
            args.update.write_text(new, encoding="utf-8")
        print(f"{args.update}: {'updated' if new != old else 'already up to date'}")
        return 0
    if args.format == "md":
        sys.stdout.write(vocabulary_markdown(rows))
        return 0
    console = Console(highlight=False)
    for kind, columns in _LAYOUT.items():
        chosen = [r for r in rows if r["kind"].split(" (")[0] == kind]
        if not chosen:
            continue
        table = Table(title=_TITLES[kind], title_justify="left", box=box.SIMPLE_HEAD)
        for column in columns:
            if column == "example" and graph is None:
                continue
            if column == "term":  # whole, so that it can be copied
                table.add_column(column, no_wrap=True)
            else:
                table.add_column(column, overflow="fold", ratio=1)
        for row in chosen:
            extra = row["kind"].partition(" (")[2].rstrip(")")
            values = {**row, "subclass of": extra.removeprefix("subclass of "), "of": extra}
            values["of"] = extra.removeprefix("of ")
            table.add_row(*(Text(values[c]) for c in columns if c != "example" or graph))
        console.print(table)
    if graph is None:
        console.print("(no examples: no built graph)")
    return 0


_TITLES = {
    "class": "classes",
    "object property": "object properties",
    "datatype property": "datatype properties",
    "annotation property": "annotation properties",
    "property": "properties",
    "individual": "individuals",
}
# the columns of each kind's table in the terminal
_LAYOUT = {
    "class": ("term", "label", "subclass of", "example"),
    "object property": ("term", "label", "domain", "range", "example"),
    "datatype property": ("term", "label", "domain", "range", "example"),
    "annotation property": ("term", "label", "domain", "range", "example"),
    "property": ("term", "label", "domain", "range", "example"),
    "individual": ("term", "label", "of", "example"),
}
