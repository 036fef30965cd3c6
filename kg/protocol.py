"""Content negotiation for the SPARQL 1.1 Protocol: which format answers which request.

The format is chosen once the query form is known (in the worker that ran the query): a
``format=`` parameter that names a format this form has wins (short names and the values
SPARQLWrapper sends: ``json``, ``xml``, ``rdf+xml``, ``json-ld``, ``n3``, ``turtle``...);
an unknown ``format=`` is ignored and the Accept header decides, by q-value then order.
"""

from __future__ import annotations

from kg.results import GRAPH_FORMATS

__all__ = ["MEDIA", "NotAcceptable", "choose_format"]

# media type (and wildcards) -> results format, for SELECT and for ASK
_ROW_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "*/*": "json",
    "application/*": "json",
    "text/*": "csv",
    "text/html": "json",  # a browser following a link
}
_GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",  # Turtle is a subset of N3
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
    "*/*": "turtle",
    "text/*": "turtle",
    "application/*": "nt",
    "text/html": "turtle",
}
_ROW_NAMES = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", "srj": "json", "srx": "xml"}
_GRAPH_NAMES = {
    "turtle": "turtle",
    "ttl": "turtle",
    "n3": "turtle",
    "nt": "nt",
    "ntriples": "nt",
    "n-triples": "nt",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "json": "jsonld",
    "rdfxml": "rdfxml",
    "rdf+xml": "rdfxml",
    "rdf": "rdfxml",
    "xml": "rdfxml",
}
MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    **{
        name: f"{media}; charset=utf-8" if media.startswith("text/") else media
        for name, media in GRAPH_FORMATS.items()
    },
}


class NotAcceptable(ValueError):
    """No format of this query form fits the request (HTTP 406)."""


def _by_accept(header: str, table: dict[str, str]) -> str | None:
    """The format for an Accept header, by q-value then order; None if nothing fits."""
    if not header.strip():
        return table["*/*"]
    choices: list[tuple[float, int, str]] = []
    for order, part in enumerate(header.split(",")[:64]):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param[:2].lower() == "q=":
                try:
                    q = min(max(float(param[2:]), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        choices.append((-q, order, media.lower()))
    for negative_q, _, media in sorted(choices):
        if negative_q == 0:
            break
        if media in table:
            return table[media]
    return None


def choose_format(form: str, accept: str, wanted: str | None) -> str:
    """The results format for a ``form`` query; :class:`NotAcceptable` if none fits."""
    graph = form in ("CONSTRUCT", "DESCRIBE")
    table = _GRAPH_TYPES if graph else _ROW_TYPES
    if wanted:
        key = wanted.strip().lower()
        chosen = (_GRAPH_NAMES if graph else _ROW_NAMES).get(key) or table.get(key)
        if chosen and "*" not in key:
            return chosen
    chosen = _by_accept(accept, table)
    if chosen is None:
        offered = ", ".join(sorted({k for k in table if "*" not in k and k != "text/html"}))
        raise NotAcceptable(
            f"cannot answer this {form} query in the requested type; offered: {offered}"
        )
    return chosen
