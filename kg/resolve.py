"""Finding the node a user means: by IRI, CURIE, label, synonym or acronym."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass

import curies
import pyoxigraph as ox

from kg.engine import Engine

__all__ = ["CLASS_OF_KIND", "EntityIndex", "ResolveError"]

CDEK = "https://w3id.org/cdekg/ontology#"
# named things, preferred when a name fits several nodes (a drug and the arms named after it)
ENTITY_CLASSES = frozenset(
    f"{CDEK}{name}"
    for name in (
        "Drug",
        "Disease",
        "Target",
        "GeneProduct",
        "TargetFamily",
        "AdverseEventTerm",
        "Endpoint",
        "ClinicalStudy",
        "SourceDocument",
    )
)
# parameter kind -> the class the node must have (entity: any class)
CLASS_OF_KIND = {
    "drug": f"{CDEK}Drug",
    "disease": f"{CDEK}Disease",
    "study": f"{CDEK}ClinicalStudy",
}

_NAMES = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX cdek: <{CDEK}>
SELECT ?node ?name ?class WHERE {{
  ?node a ?class .
  {{ ?node rdfs:label ?name }} UNION {{ ?node skos:altLabel ?name }}
  UNION {{ ?node cdek:acronym ?name }} UNION {{ ?node cdek:xref ?name }}
  UNION {{ ?node skos:exactMatch ?name }} UNION {{ ?node skos:closeMatch ?name }}
}}
"""


class ResolveError(LookupError):
    """No node, or more than one, answers to the name."""


@dataclass(frozen=True)
class _Entry:
    node: str
    classes: frozenset[str]


class EntityIndex:
    """Names and identifiers of every typed node, for resolving parameters."""

    def __init__(
        self,
        engine: Engine,
        converter: curies.Converter,
        prefixes: dict[str, str] | None = None,
    ) -> None:
        self.converter = converter
        self.prefixes = prefixes or {}  # further prefixes, such as kgr: for minted IRIs
        classes: dict[str, set[str]] = defaultdict(set)
        names: dict[str, set[str]] = defaultdict(set)
        for node, name, cls in engine.run(_NAMES).rows:
            if not isinstance(node, ox.NamedNode) or name is None or cls is None:
                continue
            classes[node.value].add(cls.value)
            names[self._key(name.value)].add(node.value)
        self._classes = {node: frozenset(c) for node, c in classes.items()}
        self._names = dict(names)

    @staticmethod
    def _key(text: str) -> str:
        return " ".join(text.casefold().split())

    def _entries(self, nodes: set[str]) -> list[_Entry]:
        return [_Entry(n, self._classes.get(n, frozenset())) for n in sorted(nodes)]

    def resolve(self, value: str, kind: str = "entity") -> ox.NamedNode:
        """The node named ``value``; restricted to the class of ``kind`` when it has one."""
        wanted = CLASS_OF_KIND.get(kind)
        text = value.strip()
        if text.startswith("<") and text.endswith(">"):
            text = text[1:-1]
        if re.fullmatch(r"NCT\d{8}", text, re.IGNORECASE):  # a bare ClinicalTrials.gov id
            text = f"clinicaltrials:{text.upper()}"
        candidates: set[str] = set()
        if text.startswith(("http://", "https://", "urn:")):
            candidates = (
                {text} if text in self._classes else set(self._names.get(self._key(text), ()))
            )
        else:
            candidates = set(self._names.get(self._key(text), ()))
            expanded = self._expand(text)
            if expanded:
                candidates |= set(self._names.get(self._key(expanded), ()))
                if expanded in self._classes:
                    candidates.add(expanded)
        entries = [e for e in self._entries(candidates) if wanted is None or wanted in e.classes]
        named = [e for e in entries if e.classes & ENTITY_CLASSES]
        if len(entries) > 1 and len(named) == 1:
            entries = named
        if len(entries) == 1:
            return ox.NamedNode(entries[0].node)
        what = kind if wanted else "entity"
        if not entries:
            hint = self._suggest(text, wanted)
            raise ResolveError(
                f"no {what} named {value!r} in the graph"
                + (f"; did you mean {hint}?" if hint else "")
            )
        listed = ", ".join(e.node for e in entries[:8])
        raise ResolveError(f"{value!r} names {len(entries)} nodes ({listed}); give an IRI or CURIE")

    def _expand(self, text: str) -> str | None:
        if ":" not in text:
            return None
        prefix, local = text.split(":", 1)
        for candidate in (f"{prefix.lower()}:{local}", text):
            try:
                expanded = self.converter.expand(candidate)
            except (ValueError, curies.api.ExpansionError):
                expanded = None
            if expanded:
                return expanded
        namespace = self.prefixes.get(prefix)
        return namespace + local if namespace else None

    def _suggest(self, text: str, wanted: str | None) -> str:
        pool = [
            name
            for name, nodes in self._names.items()
            if wanted is None or any(wanted in self._classes.get(n, ()) for n in nodes)
        ]
        close = difflib.get_close_matches(self._key(text), pool, n=3, cutoff=0.6)
        return " or ".join(repr(c) for c in close)
