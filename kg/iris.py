"""Mint stable, readable IRIs from record content (never from run order)."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef

from kg.normalize import slug
from kg.paths import DEFAULT_BASE, base_from_env

__all__ = ["DEFAULT_BASE", "Minter", "base_from_env"]


@dataclass(frozen=True)
class Minter:
    """Builds every IRI of the data under one base namespace."""

    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        if not self.base.endswith(("/", "#")):
            raise ValueError(f"the base IRI must end with '/' or '#': {self.base!r}")

    def __call__(self, kind: str, *parts: str) -> URIRef:
        return URIRef(self.base + kind + "/" + "/".join(slug(p) for p in parts))

    def drug(self, key: str) -> URIRef:
        return self("drug", key)

    def disease(self, key: str) -> URIRef:
        return self("disease", key)

    def target(self, key: str) -> URIRef:
        return self("target", key)

    def ae_term(self, key: str) -> URIRef:
        return self("adverse-event-term", key)

    def endpoint(self, key: str) -> URIRef:
        return self("endpoint", key)

    def document(self, key: str) -> URIRef:
        return self("document", key)

    def publication(self, curie: str) -> URIRef:
        """A publication named by its first identifier (``pubmed:24768112``)."""
        return self("publication", curie.replace(":", "-"))

    def span(self, document: str, start: int, end: int) -> URIRef:
        return self("document", document, f"span-{start}-{end}")

    def study(self, key: str) -> URIRef:
        return self("study", key)

    def arm(self, study: str, key: str) -> URIRef:
        return self("study", study, "arm", key)

    def regimen(self, study: str, arm: str) -> URIRef:
        return self("study", study, "arm", arm, "regimen")

    def in_study(self, study: str, kind: str, *parts: str) -> URIRef:
        """A node that belongs to one study (a result, a participant count...)."""
        return self("study", study, kind, "-".join(slug(p) for p in parts if p))

    def statement(self, kind: str, *parts: str) -> URIRef:
        return self(kind, "-".join(slug(p) for p in parts))
