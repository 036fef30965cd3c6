"""Where a value stands in a structured record: an RFC 6901 JSON Pointer or an XPath.

In the graph a locator is a W3C Web Annotation specific resource: ``oa:hasSource`` the
document, ``oa:hasSelector`` an ``oa:FragmentSelector`` that ``dcterms:conformsTo`` RFC 6901
(JSON) or an ``oa:XPathSelector`` (XML), whose ``rdf:value`` is the pointer.
"""

from __future__ import annotations

import hashlib
from typing import Literal as Kind

from pydantic import BaseModel, ConfigDict
from rdflib import DCTERMS, RDF, Graph, Literal, URIRef

from kg.iris import Minter
from kg.vocab import CDEK, OA

__all__ = ["RFC6901", "PointerLocator", "json_pointer"]

RFC6901 = URIRef("https://www.rfc-editor.org/rfc/rfc6901")


def json_pointer(*steps: str | int) -> str:
    """The RFC 6901 pointer of a path of keys and indexes (``~`` and ``/`` escaped)."""
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in steps)


class PointerLocator(BaseModel):
    """A place in a JSON or XML record that a node was read from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pointer: str
    syntax: Kind["json-pointer", "xpath"] = "json-pointer"
    file: str | None = None  # the document's file; None: the record's own document

    @property
    def section(self) -> str:
        """The first step of the path (how conflict reports name a place)."""
        return self.pointer.lstrip("/").split("/", 1)[0].split("[", 1)[0] or "/"

    @property
    def span(self) -> tuple[int, int]:  # conflict reports print span[0]: no offsets here
        return (0, 0)

    def add_to(self, graph: Graph, mint: Minter, doc_id: str) -> URIRef:
        """Add the locator and its selector to ``graph``; the locator's IRI."""
        digest = hashlib.blake2b(self.pointer.encode("utf-8"), digest_size=8).hexdigest()
        node = mint("document", doc_id, f"at-{digest}")
        selector = URIRef(f"{node}-selector")
        graph.add((node, RDF.type, CDEK.RecordLocator))
        graph.add((node, OA.hasSource, mint.document(doc_id)))
        graph.add((node, OA.hasSelector, selector))
        if self.syntax == "xpath":
            graph.add((selector, RDF.type, OA.XPathSelector))
        else:
            graph.add((selector, RDF.type, OA.FragmentSelector))
            graph.add((selector, DCTERMS.conformsTo, RFC6901))
        graph.add((selector, RDF.value, Literal(self.pointer)))
        return node
