"""A write-mostly set of triples for the build: much cheaper to add to than an rdflib Graph.

rdflib's in-memory store keeps three indexes, contexts and events for every triple; a fragment
of the build is written once and read back only by a few lookups, so it needs a set and two
indexes. It offers the part of the :class:`rdflib.Graph` interface the builders use (``add``,
``in``, ``subjects``, ``value``, ``bind``, ``len``, iteration) and writes sorted N-Triples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rdflib import Literal
from rdflib.plugins.serializers.nt import _quoteLiteral

__all__ = ["TripleSet"]

Triple = tuple[Any, Any, Any]


class TripleSet:
    """Distinct triples with (subject, predicate) and (predicate, IRI object) lookups."""

    def __init__(self) -> None:
        self._triples: set[Triple] = set()
        self._by_sp: dict[tuple[Any, Any], list[Any]] = {}
        self._by_po: dict[tuple[Any, Any], list[Any]] = {}
        self._subjects: set[Any] = set()
        self.prefixes: dict[str, str] = {}

    def add(self, triple: Triple) -> None:
        if triple in self._triples:
            return
        self._triples.add(triple)
        s, p, o = triple
        self._by_sp.setdefault((s, p), []).append(o)
        if not isinstance(o, Literal):  # rdflib compares literals slowly, and none is looked up
            self._by_po.setdefault((p, o), []).append(s)
        self._subjects.add(s)

    def __contains__(self, triple: Triple) -> bool:
        s, p, o = triple
        if s is not None and p is not None and o is not None:
            return triple in self._triples
        if s is not None and p is None and o is None:
            return s in self._subjects
        return any(True for _ in self.triples(triple))

    def triples(self, pattern: Triple) -> Iterator[Triple]:
        """The triples matching ``pattern`` (``None`` matches any term)."""
        s, p, o = pattern
        if s is not None and p is not None:
            yield from ((s, p, x) for x in self._by_sp.get((s, p), ()) if o in (None, x))
        elif p is not None and o is not None and not isinstance(o, Literal):
            yield from ((x, p, o) for x in self._by_po.get((p, o), ()))
        else:
            for t in self._triples:
                if all(want is None or want == got for want, got in zip(pattern, t, strict=True)):
                    yield t

    def subjects(self, predicate: Any = None, obj: Any = None) -> Iterator[Any]:
        seen: set[Any] = set()
        for s, _, _ in self.triples((None, predicate, obj)):
            if s not in seen:
                seen.add(s)
                yield s

    def subject_objects(self, predicate: Any) -> Iterator[tuple[Any, Any]]:
        """(subject, object) of every triple with ``predicate``."""
        for (s, p), objects in self._by_sp.items():
            if p == predicate:
                for o in objects:
                    yield s, o

    def objects_all(self) -> set[Any]:
        """Every term in the object position but literals."""
        return {o for _, o in self._by_po}

    def value(self, subject: Any, predicate: Any) -> Any:
        """One object of ``subject predicate``, or ``None``."""
        found = self._by_sp.get((subject, predicate))
        return found[0] if found else None

    def bind(self, prefix: str, namespace: Any, override: bool = True) -> None:
        self.prefixes[prefix] = str(namespace)

    def __len__(self) -> int:
        return len(self._triples)

    def __iter__(self) -> Iterator[Triple]:
        return iter(self._triples)

    def __iadd__(self, other: Any) -> TripleSet:
        for triple in other:
            self.add(triple)
        return self

    def ntriples(self) -> bytes:
        """Sorted N-Triples, one triple a line (the bytes rdflib's ``nt`` writer gives)."""
        names: dict[Any, str] = {}  # each IRI's N-Triples form made once, not at each use

        def name(term: Any) -> str:
            text = names.get(term)
            if text is None:
                text = names[term] = term.n3()
            return text

        rows = [
            f"{name(s)} {name(p)} {_quoteLiteral(o) if isinstance(o, Literal) else name(o)} .\n"
            for s, p, o in self._triples
        ]
        rows.sort()
        return "".join(rows).encode("utf-8")
