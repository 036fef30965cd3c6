"""Query results for people and programs: rows, DataFrames and the W3C results formats.

SELECT and ASK results are written as SPARQL 1.1 Query Results JSON here and turned into
XML, CSV and TSV by pyoxigraph's serializers, so every format follows the W3C specifications.
CONSTRUCT and DESCRIBE results become an rdflib graph written as Turtle, N-Triples or JSON-LD.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from kg.engine import Outcome, Term, to_rdflib

if TYPE_CHECKING:
    import pandas

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
_OX_RESULTS = {
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


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


def compact(term: Node | None, prefixes: dict[str, str]) -> str:
    """A short human form: CURIE for IRIs under a known prefix, the lexical form otherwise."""
    if term is None:
        return ""
    if isinstance(term, rdflib.URIRef):
        text = str(term)
        for prefix, namespace in prefixes.items():
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace) :]}"
        return text
    return str(term)


@dataclass
class QueryResult:
    """The answer to one query, with ``prefixes`` used to shorten IRIs for display."""

    outcome: Outcome
    prefixes: dict[str, str]

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
        return json.dumps(data, ensure_ascii=False, indent=1).encode()

    def serialize(self, fmt: str) -> bytes:
        """The result in ``fmt``: a name of ROW_FORMATS or, for graphs, GRAPH_FORMATS."""
        if self.graph is not None:
            return self._serialize_graph(fmt)
        if fmt == "json":
            return self.sparql_json()
        if fmt in _OX_RESULTS:
            parsed = ox.parse_query_results(self.sparql_json(), ox.QueryResultsFormat.JSON)
            out = io.BytesIO()
            parsed.serialize(out, _OX_RESULTS[fmt])
            return out.getvalue()
        if fmt in ("table", "md"):
            return self.text_table(markdown=fmt == "md").encode()
        raise ValueError(f"unknown results format {fmt!r} (one of {', '.join(ROW_FORMATS)})")

    def _serialize_graph(self, fmt: str) -> bytes:
        assert self.graph is not None
        name = {"table": "turtle", "md": "turtle", "ttl": "turtle", "json": "jsonld"}.get(fmt, fmt)
        if name == "turtle":
            return self.graph.serialize(format="turtle").encode()
        if name == "nt":
            return "".join(sorted(self.graph.serialize(format="nt").splitlines(True))).encode()
        if name == "rdfxml":
            return self.graph.serialize(format="xml").encode()
        if name == "jsonld":
            context = {p: ns for p, ns in self.prefixes.items()}
            return self.graph.serialize(format="json-ld", context=context, indent=1).encode()
        raise ValueError(
            f"{fmt!r} is not a graph format (CONSTRUCT/DESCRIBE give {', '.join(GRAPH_FORMATS)})"
        )

    def text_table(self, *, markdown: bool = False) -> str:
        """A plain table (or a Markdown one) with CURIEs for known IRIs."""
        if self.form == "ASK":
            return f"{'yes' if self.boolean else 'no'}\n"
        cells = [[compact(row[v], self.prefixes) for v in self.variables] for row in self.rows]
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
