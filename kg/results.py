"""Query results for people and programs: rows, DataFrames and the W3C results formats.

SELECT and ASK results are written here in the four W3C results formats (JSON, XML, CSV,
TSV); tests parse each back with pyoxigraph's readers. CONSTRUCT and DESCRIBE results are
written by pyoxigraph (Turtle, N-Triples, RDF/XML) or rdflib (JSON-LD with our context).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from kg.engine import Outcome, Term, to_rdflib
from kg.terms import is_plain_local, shorten

if TYPE_CHECKING:
    import pandas
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

__all__ = ["GRAPH_FORMATS", "ROW_FORMATS", "QueryResult", "compact"]

# name -> media type; the first of each is the default
ROW_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "table": "text/plain",
    "md": "text/markdown",
}
GRAPH_FORMATS = {
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
_OX_GRAPH = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_QUOTE = {'"': "&quot;"}
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        attribute = f' xml:lang="{escape(term.language, _QUOTE)}"'
    elif term.datatype.value != _XSD_STRING:
        attribute = f' datatype="{escape(term.datatype.value, _QUOTE)}"'
    else:
        attribute = ""
    return f"<literal{attribute}>{escape(term.value)}</literal>"


def _csv_cell(term: Term | None) -> str:
    if term is None:
        return ""
    text = f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value
    if any(c in text for c in '",\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv_term(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    text = '"' + term.value.translate(_TSV_ESCAPES) + '"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype.value != _XSD_STRING:
        return f"{text}^^<{term.datatype.value}>"
    return text


def _used_prefixes(triples: list[ox.Triple], prefixes: dict[str, str]) -> dict[str, str]:
    """The prefixes that shorten IRIs of ``triples`` to plain prefixed names.

    A namespace is left out when some IRI under it would need escapes (``kgr:drug\\/x``).
    """
    iris = {
        term.value
        for triple in triples
        for term in (triple.subject, triple.predicate, triple.object)
        if isinstance(term, ox.NamedNode)
    }
    used = {}
    for prefix, namespace in prefixes.items():
        locals_ = [iri[len(namespace) :] for iri in iris if iri.startswith(namespace)]
        if locals_ and all(is_plain_local(name) for name in locals_):
            used[prefix] = namespace
    return used


def compact(term: Node | None, prefixes: Mapping[str, str]) -> str:
    """A short form that pastes back into a query: ``cdek:Drug``, ``<https://...>``, ``_:b1``.

    An IRI is a prefixed name when its local part is a plain SPARQL ``PN_LOCAL`` (no
    escapes), else the full ``<IRI>``; a literal is its lexical form.
    """
    if term is None:
        return ""
    if isinstance(term, rdflib.URIRef):
        return shorten(str(term), prefixes)
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    return str(term)


def _cell(term: Node | None, prefixes: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """A table cell: the label of an IRI that has no short name (when given), else compact."""
    text = compact(term, prefixes)
    if labels and isinstance(term, rdflib.URIRef) and text.startswith("<"):
        return labels.get(str(term), text)
    return text


@dataclass
class QueryResult:
    """The answer to one query, with ``prefixes`` used to shorten IRIs for display.

    ``warnings`` are problems found in the query text that did not stop it, such as an
    ontology term the ontology does not define (which matches nothing).
    """

    outcome: Outcome
    prefixes: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    @property
    def form(self) -> str:
        return self.outcome.form

    @property
    def variables(self) -> list[str]:
        return self.outcome.variables

    @property
    def boolean(self) -> bool | None:
        return self.outcome.boolean

    @cached_property
    def rows(self) -> list[dict[str, Node | None]]:
        """SELECT rows as dicts of rdflib terms (None where unbound)."""
        names = self.outcome.variables
        return [
            {name: to_rdflib(term) for name, term in zip(names, row, strict=True)}
            for row in self.outcome.rows
        ]

    @cached_property
    def graph(self) -> rdflib.Graph | None:
        """CONSTRUCT/DESCRIBE triples as an rdflib graph, with the prefixes bound."""
        if self.form not in ("CONSTRUCT", "DESCRIBE"):
            return None
        graph = rdflib.Graph()
        for prefix, namespace in self.prefixes.items():
            graph.bind(prefix, namespace, override=True)
        for triple in self.outcome.triples:
            graph.add(tuple(to_rdflib(t) for t in triple))  # type: ignore[arg-type]
        return graph

    def __len__(self) -> int:
        return self.outcome.size

    def values(self) -> list[dict[str, Any]]:
        """Rows with Python values: numbers, dates and booleans as such, IRIs as strings."""
        return [
            {
                k: (v.toPython() if isinstance(v, rdflib.Literal) else v and str(v))
                for k, v in row.items()
            }
            for row in self.rows
        ]

    def to_dataframe(self) -> pandas.DataFrame:
        """The rows as a pandas DataFrame (needs pandas installed)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_dataframe needs pandas: pip install pandas") from None
        return pd.DataFrame(self.values(), columns=self.variables)

    # -- serialisation -------------------------------------------------------------------

    def sparql_json(self) -> bytes:
        """SPARQL 1.1 Query Results JSON."""
        if self.form == "ASK":
            return json.dumps({"head": {}, "boolean": bool(self.boolean)}).encode()
        bindings = [
            {
                name: _json_term(term)
                for name, term in zip(self.variables, row, strict=True)
                if term is not None
            }
            for row in self.outcome.rows
        ]
        data = {"head": {"vars": self.variables}, "results": {"bindings": bindings}}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    def sparql_xml(self) -> bytes:
        """SPARQL Query Results XML."""
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
        out.append("<head>" + "".join(f'<variable name="{v}"/>' for v in self.variables))
        if self.form == "ASK":
            out.append(f"</head><boolean>{'true' if self.boolean else 'false'}</boolean></sparql>")
            return "".join(out).encode()
        out.append("</head><results>")
        for row in self.outcome.rows:
            out.append("<result>")
            for name, term in zip(self.variables, row, strict=True):
                if term is not None:
                    out.append(f'<binding name="{name}">{_xml_term(term)}</binding>')
            out.append("</result>")
        out.append("</results></sparql>\n")
        return "".join(out).encode()

    def sparql_csv(self) -> bytes:
        """SPARQL 1.1 Query Results CSV (lexical forms only; CR LF line ends)."""
        if self.form == "ASK":
            return b"true" if self.boolean else b"false"
        lines = [",".join(self.variables)]
        lines += [",".join(_csv_cell(term) for term in row) for row in self.outcome.rows]
        return ("\r\n".join(lines) + "\r\n").encode()

    def sparql_tsv(self) -> bytes:
        """SPARQL 1.1 Query Results TSV (terms in N-Triples syntax)."""
        if self.form == "ASK":
            return b"true" if self.boolean else b"false"
        lines = ["\t".join(f"?{v}" for v in self.variables)]
        lines += ["\t".join(_tsv_term(term) for term in row) for row in self.outcome.rows]
        return ("\n".join(lines) + "\n").encode()

    def text(self, fmt: str = "table") -> str:
        """The result in ``fmt`` as text (``serialize`` gives the same as UTF-8 bytes).

        ``result.text("csv")``, ``result.text("json")``, ``result.text("turtle")``...
        """
        return self.serialize(fmt).decode("utf-8")

    def serialize(self, fmt: str) -> bytes:
        """The result in ``fmt`` as UTF-8 bytes, ready to write to a file or a socket.

        ``fmt`` is a name of ROW_FORMATS or, for graphs, GRAPH_FORMATS; :meth:`text` gives
        the same as a string.
        """
        if self.form in ("CONSTRUCT", "DESCRIBE"):
            return self._serialize_graph(fmt)
        writer = {
            "json": self.sparql_json,
            "xml": self.sparql_xml,
            "csv": self.sparql_csv,
            "tsv": self.sparql_tsv,
        }.get(fmt)
        if writer is not None:
            return writer()
        if fmt in ("table", "md"):
            return self.text_table(markdown=fmt == "md").encode()
        raise ValueError(f"unknown results format {fmt!r} (one of {', '.join(ROW_FORMATS)})")

    def _serialize_graph(self, fmt: str) -> bytes:
        name = {"table": "turtle", "md": "turtle", "ttl": "turtle", "json": "jsonld"}.get(fmt, fmt)
        if name in _OX_GRAPH:
            triples = self.outcome.triples
            if name == "nt":  # one line a triple, sorted: the same answer gives the same bytes
                lines = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).splitlines(True)
                return b"".join(sorted(set(lines)))
            used = _used_prefixes(triples, self.prefixes)
            return ox.serialize(triples, format=_OX_GRAPH[name], prefixes=used)
        assert self.graph is not None
        if name == "jsonld":
            context = {p: ns for p, ns in self.prefixes.items()}
            return self.graph.serialize(format="json-ld", context=context, indent=1).encode()
        raise ValueError(
            f"{fmt!r} is not a graph format (CONSTRUCT/DESCRIBE give {', '.join(GRAPH_FORMATS)})"
        )

    def unnamed_iris(self) -> set[str]:
        """The IRIs in the rows that have no short prefixed name (tables show ``<IRI>``)."""
        return {
            str(term)
            for row in self.rows
            for term in row.values()
            if isinstance(term, rdflib.URIRef) and shorten(str(term), self.prefixes)[0] == "<"
        }

    def cells(self, labels: Mapping[str, str] | None = None) -> list[list[str]]:
        """SELECT rows as display strings (see :func:`compact`).

        ``labels`` maps IRIs to names (:meth:`kg.api.KnowledgeGraph.labels`): an IRI that
        has no short prefixed name is shown by its name instead.
        """
        labels = labels or {}
        return [[_cell(row[v], self.prefixes, labels) for v in self.variables] for row in self.rows]

    def text_table(self, *, markdown: bool = False, labels: Mapping[str, str] | None = None) -> str:
        """A plain table (or a Markdown one) whose IRIs paste back into a query."""
        if self.form == "ASK":
            return f"{'yes' if self.boolean else 'no'}\n"
        cells = self.cells(labels)
        if markdown:

            def esc(text: str) -> str:
                return text.replace("|", "\\|").replace("\n", " ")

            lines = ["| " + " | ".join(self.variables) + " |"]
            lines.append("|" + "---|" * len(self.variables))
            lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in cells]
            return "\n".join(lines) + "\n"
        widths = [
            max([len(v)] + [len(row[i]) for row in cells]) for i, v in enumerate(self.variables)
        ]

        def line(values: list[str]) -> str:
            return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

        out = [line(self.variables), line(["-" * w for w in widths])]
        out += [line(row) for row in cells]
        out.append(f"({len(cells)} rows)")
        return "\n".join(out) + "\n"

    def rich_view(self, width: int, labels: Mapping[str, str] | None = None) -> RenderableType:
        """What ``kg query`` prints on a console ``width`` characters wide.

        A table whose cells wrap (:meth:`rich_table`) when its columns fit at a readable
        width (up to 10 characters each, or the header's length), else one block of
        ``name  value`` lines per row, like psql's expanded display, which fits any width.
        ASK gives yes or no.
        """
        from rich.console import Group
        from rich.text import Text

        if self.form == "ASK":
            return Text("yes" if self.boolean else "no")
        shown, _ = self._shown_columns()
        cells = self.cells(labels)
        needed = 2 * (len(shown) - 1)  # the gaps between columns
        for i in shown:
            header = len(self.variables[i])
            widest = max([header] + [len(row[i]) for row in cells])
            needed += min(widest, max(10, header))
        body = self.rich_table(labels) if needed <= width or not cells else self._records(labels)
        return Group(body, Text(self._caption()))

    def _shown_columns(self) -> tuple[list[int], list[str]]:
        """Indices of the variables with a value in some row, and the names of the others."""
        shown = [
            i for i, v in enumerate(self.variables) if any(row[v] is not None for row in self.rows)
        ] or list(range(len(self.variables)))
        return shown, [v for i, v in enumerate(self.variables) if i not in shown]

    def _caption(self) -> str:
        empty = self._shown_columns()[1]
        caption = f"({len(self.rows)} rows"
        if empty:
            caption += f"; no values for {', '.join(empty)}"
        return caption + ")"

    def _styled_cells(self, labels: Mapping[str, str] | None) -> list[list[Text]]:
        """Display cells as rich Text; names that stand for IRIs are in italics."""
        from rich.text import Text

        labels = labels or {}
        out = []
        for row in self.rows:
            line = []
            for v in self.variables:
                term = row[v]
                text = _cell(term, self.prefixes, labels)
                named = isinstance(term, rdflib.URIRef) and text != compact(term, self.prefixes)
                line.append(Text(text, style="italic" if named else ""))
            out.append(line)
        return out

    def _records(self, labels: Mapping[str, str] | None) -> Table:
        """One block of ``name  value`` lines per row (unbound values left out)."""
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(overflow="fold")
        for n, row in enumerate(self._styled_cells(labels), 1):
            grid.add_row(Text(f"-[ row {n} ]-", style="dim"), "")
            for name, cell in zip(self.variables, row, strict=True):
                if cell.plain:
                    grid.add_row(name, cell)
        return grid

    def rich_table(self, labels: Mapping[str, str] | None = None) -> Table:
        """A rich table whose cells wrap to fit the console's width.

        Columns with no value in any row are left out; names from ``labels`` are in italics.
        """
        from rich import box
        from rich.table import Table

        shown, _ = self._shown_columns()
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for i in shown:
            table.add_column(self.variables[i], overflow="fold")
        for row in self._styled_cells(labels):
            table.add_row(*(row[i] for i in shown))
        return table
