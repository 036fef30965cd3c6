"""Query results for people and programs: rows, DataFrames and the W3C results formats.

SELECT and ASK results are written here in the four W3C results formats (JSON, XML, CSV,
TSV); tests parse each back with pyoxigraph's readers. CONSTRUCT and DESCRIBE results are
written by pyoxigraph (Turtle, N-Triples, RDF/XML) or rdflib (JSON-LD with our context).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

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
_OX_GRAPH = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
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
        if locals_ and all(_PLAIN_LOCAL.fullmatch(name) for name in locals_):
            used[prefix] = namespace
    return used


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

    def serialize(self, fmt: str) -> bytes:
        """The result in ``fmt``: a name of ROW_FORMATS or, for graphs, GRAPH_FORMATS."""
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
