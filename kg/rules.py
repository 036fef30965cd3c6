"""Reasoning as SPARQL rules on a pyoxigraph store: the ``rules`` engine of ``kg.reason.reason``.

The ontology is compiled once into SPARQL ``INSERT`` rules, read from its own axioms (no class
or property name is written here):

* the told class hierarchy, closed: ``rdfs:subClassOf`` and ``owl:equivalentClass`` between
  named classes, the named conjuncts of an equivalent intersection, the named members of an
  equivalent union; one rule per class types its members with each named superclass;
* ``rdfs:domain`` and ``rdfs:range`` (named classes only), ``rdfs:subPropertyOf``,
  ``owl:equivalentProperty``, ``owl:inverseOf``, ``owl:SymmetricProperty``,
  ``owl:TransitiveProperty`` (one property path) and ``owl:propertyChainAxiom``;
* each class defined by ``owl:equivalentClass`` of a class expression, as the graph pattern its
  members match: intersections, unions, ``owl:someValuesFrom`` a class or a data range (a
  datatype, or one narrowed by ``xsd:minInclusive``/``minExclusive``/``maxInclusive``/
  ``maxExclusive``/``pattern``), ``owl:hasValue``, ``owl:oneOf`` and ``owl:minCardinality``/
  ``owl:minQualifiedCardinality`` (a ``COUNT(DISTINCT ...)``); and the way back, from a member
  of the class to each ``owl:hasValue`` conjunct it must have (OWL 2 RL cls-hv1).

Each rule writes one triple pattern into the store's default graph and, when the triple is new,
also into a named graph that ends up holding the inferences. The rules are ordered by what they
read and write (the strongly connected components of that dependency graph, in topological
order), so that one pass reaches the fixpoint: a component without a cycle runs once, one with
a cycle (a defined class and its superclasses, a transitive property) runs until it adds
nothing. Every rule is a join local to an individual and its neighbours, so the time grows with
the graph's size, not faster. A rule whose triples nothing keeps, checks or reads (a span typed
``prov:Entity``) is dropped when the rules are compiled.

Against HermiT (``tests/test_rules.py``): on the seed graph and its tenfold copy the rules
infer every triple HermiT infers, and also the transitive closure of ``cdek:withinCohort``,
which is entailed but which HermiT is not asked for (``kg.reason`` asks it for the values of
the properties the defined classes read only). They report the clashes HermiT reports, with
the individual and the axiom named where ``kg.reason`` can only say "not located" (a functional
property, a number outside its range's value space).

What the rules cannot say, and so do not prove:

* they are complete only for what they compile: a class expression outside the list above
  (``owl:allValuesFrom``, ``owl:complementOf``, a maximum or exact cardinality) is not
  compiled, and the class is named in the result's notes;
* they read distinct IRIs as distinct individuals (the unique name assumption), and are sound
  under it. A cardinality therefore counts distinct IRIs, as HermiT does here only because
  the build declares the targets all different (see :func:`kg.reason._abox`), and two values
  of a functional object property are not merged into one individual (``owl:sameAs``): they
  are reported in the notes, and as an inconsistency only when the two are known to differ;
* consistency is checked for the clash kinds listed in :func:`inconsistencies` only: disjoint
  classes, functional properties with two different values, literals outside a property's
  range. HermiT proves the whole graph has a model; these rules prove that none of the listed
  clashes is derivable.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from kg.vocab import CDEK, ONTOLOGY_IRI

if TYPE_CHECKING:
    from kg.reason import ReasoningResult

__all__ = [
    "INFERRED",
    "Rule",
    "RuleSet",
    "compile_rules",
    "inconsistencies",
    "load_store",
    "reason_ntriples",
    "reason_rules",
    "run_rules",
]

INFERRED = ox.NamedNode("urn:cdekg:rules:inferred")
"""The named graph that collects what the rules added (the store's default graph holds all)."""

_I = f"<{INFERRED.value}>"
_TYPE = str(RDF.type)

# The value space a datatype's literals fall in: an xsd:integer is an xsd:decimal (OWL 2 reads
# both as owl:real), an xsd:double is not.
_INTEGERS = [
    "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
    "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
]  # fmt: skip
_WITHIN = {
    XSD.decimal: [XSD.decimal, *(XSD[n] for n in _INTEGERS)],
    XSD.integer: [XSD[n] for n in _INTEGERS],
    XSD.nonNegativeInteger: [
        XSD.nonNegativeInteger,
        XSD.positiveInteger,
        *(XSD[n] for n in _INTEGERS[9:]),
    ],
    XSD.string: [XSD.string],
}
_FACETS = {
    XSD.minInclusive: ">=",
    XSD.minExclusive: ">",
    XSD.maxInclusive: "<=",
    XSD.maxExclusive: "<",
}


class Unsupported(ValueError):
    """A class expression the rules do not compile."""


@dataclass(frozen=True)
class Rule:
    """One SPARQL update and the predicates (``p <iri>``) and classes (``a <iri>``) it reads and
    writes: what orders the rules."""

    name: str
    update: str
    reads: frozenset[str]
    writes: frozenset[str]
    pending: str = ""
    """``ASK``: whether the rule would add a triple (run after a pass over a cyclic stratum)."""


@dataclass
class RuleSet:
    """The ontology compiled: rules in strata, and what the clash checks need."""

    strata: list[tuple[list[Rule], bool]]
    """Components of the rules' dependency graph in topological order; ``True``: has a cycle."""
    disjoint: list[tuple[URIRef, URIRef]]
    functional: list[URIRef]
    ranges: list[tuple[URIRef, URIRef]]
    notes: list[str] = field(default_factory=list)

    @property
    def rules(self) -> list[Rule]:
        return [rule for rules, _ in self.strata for rule in rules]


@dataclass
class RunStats:
    """How a run went: rules evaluated, passes over cyclic strata, triples added, seconds."""

    evaluations: int = 0
    repeats: int = 0
    added: int = 0
    seconds: float = 0.0


# -- compiling the ontology -----------------------------------------------------------------------


_COMPILED: dict[str, RuleSet] = {}


def compile_rules(ontology: Graph) -> RuleSet:
    """The rules of ``ontology``; compiled once per distinct ontology in a process."""
    key = _fingerprint(ontology)
    if key not in _COMPILED:
        _COMPILED[key] = _compile(ontology)
    return _COMPILED[key]


def _fingerprint(ontology: Graph) -> str:
    lines = sorted(
        " ".join("_:" if isinstance(t, BNode) else t.n3() for t in triple) for triple in ontology
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _compile(onto: Graph) -> RuleSet:
    rules: list[Rule] = []
    notes: list[str] = []
    supers = _told_superclasses(onto)
    datatypes = _datatypes(onto)
    for cls in sorted(supers):
        for sup in sorted(supers[cls]):
            rules.append(
                _rule(f"{_n(cls)} subClassOf {_n(sup)}", f"?x a <{sup}>", f"?x a <{cls}> .")
            )
    for prop, cls in sorted(onto.subject_objects(RDFS.domain)):
        if isinstance(prop, URIRef) and isinstance(cls, URIRef) and cls not in datatypes:
            rules.append(_rule(f"{_n(prop)} domain", f"?x a <{cls}>", f"?x <{prop}> ?y ."))
    for prop, cls in sorted(onto.subject_objects(RDFS.range)):
        if isinstance(prop, URIRef) and _is_class(onto, cls, datatypes):
            rules.append(
                _rule(
                    f"{_n(prop)} range",
                    f"?x a <{cls}>",
                    f"?y <{prop}> ?x . FILTER(!isLiteral(?x))",
                )
            )
    rules += _property_rules(onto)
    for cls, expr in sorted(onto.subject_objects(OWL.equivalentClass)):
        if not isinstance(cls, URIRef) or not isinstance(expr, BNode) or _is_datatype(onto, expr):
            continue
        try:
            pattern = _pattern(onto, expr, "?x", _Fresh())
        except Unsupported as why:
            notes.append(f"{_n(cls)} is not compiled to a rule ({why}): its members are not found")
            continue
        rules.append(_rule(f"{_n(cls)} definition", f"?x a <{cls}>", pattern))
        for prop, value in _has_values(onto, expr):  # a member has the value: OWL 2 RL cls-hv1
            rules.append(
                _rule(f"{_n(cls)} has {_n(prop)}", f"?x <{prop}> {value.n3()}", f"?x a <{cls}> .")
            )
    for cls, sup in onto.subject_objects(RDFS.subClassOf):  # hasValue as a superclass
        if isinstance(cls, URIRef) and isinstance(sup, BNode):
            value = onto.value(sup, OWL.hasValue)
            prop = onto.value(sup, OWL.onProperty)
            if value is not None and isinstance(prop, URIRef):
                head = f"?x <{prop}> {value.n3()}"
                rules.append(_rule(f"{_n(cls)} has {_n(prop)}", head, f"?x a <{cls}> ."))
    from kg.reason import _disjoint_pairs

    functional = sorted(
        p for p in onto.subjects(RDF.type, OWL.FunctionalProperty) if isinstance(p, URIRef)
    )
    ranges = sorted(
        (p, r)
        for p, r in onto.subject_objects(RDFS.range)
        if isinstance(p, URIRef) and isinstance(r, URIRef) and r in _RANGE_CHECKED
    )
    disjoint = _disjoint_pairs(onto)
    checked = {f"a <{c}>" for pair in disjoint for c in pair}
    checked |= {f"p <{p}>" for p in [*functional, *(p for p, _ in ranges)]}
    rules = _needed(rules, checked)
    return RuleSet(_stratify(rules), disjoint, functional, ranges, notes)


def _needed(rules: list[Rule], checked: set[str]) -> list[Rule]:
    """The rules whose triples are kept (``cdek:`` types and relations), checked for clashes, or
    read by a rule that is itself needed: typing each span a ``prov:Entity`` would cost time at
    scale for nothing."""
    ns = str(CDEK._NS)

    def kept(key: str) -> bool:
        return key[3:].startswith(ns) or key in checked

    while True:
        read = {key for rule in rules for key in rule.reads}
        needed = [r for r in rules if any(kept(k) or k in read for k in r.writes)]
        if len(needed) == len(rules):
            return rules
        rules = needed


def _rule(name: str, head: str, body: str) -> Rule:
    """``INSERT`` ``head`` (one triple pattern) wherever ``body`` matches and it is not there."""
    where = f"WHERE {{ {body}\n FILTER NOT EXISTS {{ {head} }} }}"
    update = f"INSERT {{ {head} . GRAPH {_I} {{ {head} }} }}\n{where}"
    return Rule(name, update, frozenset(_keys(body)), frozenset(_keys(head)), f"ASK {where}")


_IRI = re.compile(r"(\ba\s+)?<([^>]+)>")


def _keys(pattern: str) -> Iterator[str]:
    """What a pattern reads or writes: ``a <class>`` for a typing, ``p <iri>`` for any other IRI.

    Every IRI not typed with ``a`` counts as a property: the dependencies this gives can be too
    many (an IRI in object position), never too few, so the order of the rules stays sound.
    """
    for typed, iri in _IRI.findall(pattern):
        yield f"a <{iri}>" if typed else f"p <{iri}>"


def _depends(reader: Rule, writer: Rule) -> bool:
    """Whether ``writer`` can add a triple ``reader`` reads."""
    return bool(reader.reads & writer.writes)


def _stratify(rules: list[Rule]) -> list[tuple[list[Rule], bool]]:
    """Tarjan's strongly connected components of "reads what that one writes", writers first."""
    feeds = {i: [j for j, w in enumerate(rules) if _depends(r, w)] for i, r in enumerate(rules)}
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    out: list[tuple[list[Rule], bool]] = []

    def visit(v: int) -> None:  # recursion depth is bounded by the number of rules (hundreds)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in feeds[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                members.append(w)
                if w == v:
                    break
            cyclic = len(members) > 1 or v in feeds[v]
            out.append(([rules[m] for m in sorted(members)], cyclic))

    for v in range(len(rules)):
        if v not in index:
            visit(v)
    return out  # Tarjan emits a component after every component it reads from


def _property_rules(onto: Graph) -> list[Rule]:
    rules = []
    for sub, sup in sorted(onto.subject_objects(RDFS.subPropertyOf)):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            rules.append(_rule(f"{_n(sub)} subPropertyOf", f"?x <{sup}> ?y", f"?x <{sub}> ?y ."))
    for a, b in sorted(onto.subject_objects(OWL.equivalentProperty)):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            rules.append(_rule(f"{_n(a)} = {_n(b)}", f"?x <{b}> ?y", f"?x <{a}> ?y ."))
            rules.append(_rule(f"{_n(b)} = {_n(a)}", f"?x <{a}> ?y", f"?x <{b}> ?y ."))
    for a, b in sorted(onto.subject_objects(OWL.inverseOf)):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            rules.append(_rule(f"{_n(a)} inverse", f"?y <{b}> ?x", f"?x <{a}> ?y ."))
            rules.append(_rule(f"{_n(b)} inverse", f"?y <{a}> ?x", f"?x <{b}> ?y ."))
    for p in sorted(onto.subjects(RDF.type, OWL.SymmetricProperty)):
        if isinstance(p, URIRef):
            rules.append(_rule(f"{_n(p)} symmetric", f"?y <{p}> ?x", f"?x <{p}> ?y ."))
    for p in sorted(onto.subjects(RDF.type, OWL.TransitiveProperty)):
        if isinstance(p, URIRef):  # the whole closure in one property path
            rules.append(_rule(f"{_n(p)} transitive", f"?x <{p}> ?y", f"?x <{p}>/<{p}>+ ?y ."))
    for p, chain in sorted(onto.subject_objects(OWL.propertyChainAxiom)):
        steps = list(Collection(onto, chain))
        if not isinstance(p, URIRef) or not all(isinstance(s, URIRef) for s in steps):
            continue
        body = " ".join(f"?v{i} <{s}> ?v{i + 1} ." for i, s in enumerate(steps))
        rules.append(_rule(f"{_n(p)} chain", f"?v0 <{p}> ?v{len(steps)}", body))
    return rules


def _told_superclasses(onto: Graph) -> dict[URIRef, set[URIRef]]:
    """Each named class's named superclasses as the ontology tells them, closed."""
    direct: dict[URIRef, set[URIRef]] = {}

    def add(sub: object, sup: object) -> None:
        named = isinstance(sub, URIRef) and isinstance(sup, URIRef)
        if named and sub != sup and sup != OWL.Thing:
            direct.setdefault(sub, set()).add(sup)

    for sub, sup in onto.subject_objects(RDFS.subClassOf):
        add(sub, sup)
        for part in _conjuncts(onto, sup):
            add(sub, part)
    for a, b in onto.subject_objects(OWL.equivalentClass):
        add(a, b)
        add(b, a)
        for cls, expr in ((a, b), (b, a)):
            if isinstance(expr, BNode):
                for part in _conjuncts(onto, expr):
                    add(cls, part)
                for member in _list(onto, expr, OWL.unionOf):
                    add(member, cls)
    from kg.reason import closure

    return {cls: above - {cls} for cls, above in closure(direct).items()}


def _conjuncts(onto: Graph, expr: object) -> list:
    return _list(onto, expr, OWL.intersectionOf)


def _list(onto: Graph, node: object, prop: URIRef) -> list:
    head = onto.value(node, prop)  # type: ignore[arg-type]
    return list(Collection(onto, head)) if head is not None else []


def _has_values(onto: Graph, expr: BNode) -> Iterator[tuple[URIRef, object]]:
    for part in _conjuncts(onto, expr):
        value, prop = onto.value(part, OWL.hasValue), onto.value(part, OWL.onProperty)
        if value is not None and isinstance(prop, URIRef):
            yield prop, value


def _datatypes(onto: Graph) -> set:
    named = set(onto.subjects(RDF.type, RDFS.Datatype))
    return {d for d in named if isinstance(d, URIRef)} | {RDFS.Literal}


def _is_datatype(onto: Graph, node: object) -> bool:
    if isinstance(node, URIRef):
        return str(node).startswith(str(XSD)) or node in _datatypes(onto)
    if (node, RDF.type, RDFS.Datatype) in onto or (node, OWL.onDatatype, None) in onto:
        return True
    members = _list(onto, node, OWL.unionOf) or _list(onto, node, OWL.intersectionOf)
    return bool(members) and all(_is_datatype(onto, m) for m in members)


def _is_class(onto: Graph, node: object, datatypes: set) -> bool:
    return (
        isinstance(node, URIRef)
        and node not in datatypes
        and not str(node).startswith(str(XSD))
        and (node, RDF.type, OWL.Class) in onto
    )


class _Fresh:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"?v{self.n}"


def _pattern(onto: Graph, expr: object, var: str, fresh: _Fresh) -> str:
    """The SPARQL group pattern the members ``var`` of a class expression match."""
    if isinstance(expr, URIRef):
        return "" if expr == OWL.Thing else f"{var} a <{expr}> ."
    if isinstance(expr, Literal):
        raise Unsupported(f"a literal {expr.n3()} where a class is expected")
    if parts := _conjuncts(onto, expr):
        return " ".join(_pattern(onto, p, var, fresh) for p in parts)
    if parts := _list(onto, expr, OWL.unionOf):
        return " UNION ".join(f"{{ {_pattern(onto, p, var, fresh)} }}" for p in parts)
    if members := _list(onto, expr, OWL.oneOf):
        return f"VALUES {var} {{ {' '.join(m.n3() for m in members)} }}"
    prop = onto.value(expr, OWL.onProperty)  # type: ignore[arg-type]
    if prop is None:
        kinds = ", ".join(sorted(_n(p) for p in onto.predicates(expr) if p != RDF.type))  # type: ignore[arg-type]
        raise Unsupported(f"a class expression with {kinds or 'nothing'}")
    step = _step(onto, prop)
    if (value := onto.value(expr, OWL.hasValue)) is not None:
        return step(var, value.n3())
    if (filler := onto.value(expr, OWL.someValuesFrom)) is not None:
        y = fresh()
        if _is_datatype(onto, filler):
            return f"{step(var, y)} FILTER({_data_range(onto, filler, y)})"
        return f"{step(var, y)} {_pattern(onto, filler, y, fresh)}"
    for card, qualified in (
        (OWL.minQualifiedCardinality, True),
        (OWL.minCardinality, False),
    ):
        if (count := onto.value(expr, card)) is not None:
            y = fresh()
            filler = onto.value(expr, OWL.onClass) if qualified else None
            if qualified and filler is None:
                filler = onto.value(expr, OWL.onDataRange)
            inner = ""
            if filler is not None:
                inner = (
                    f"FILTER({_data_range(onto, filler, y)})"
                    if _is_datatype(onto, filler)
                    else _pattern(onto, filler, y, fresh)
                )
            n = int(count)
            if n == 0:
                return ""
            return (
                f"{{ SELECT {var} WHERE {{ {step(var, y)} {inner} }} "
                f"GROUP BY {var} HAVING (COUNT(DISTINCT {y}) >= {n}) }}"
            )
    said = onto.predicates(expr)  # type: ignore[arg-type]
    kinds = ", ".join(sorted(_n(p) for p in said if p not in (RDF.type, OWL.onProperty)))
    raise Unsupported(f"a restriction with {kinds}")


def _step(onto: Graph, prop: object) -> Callable[[str, str], str]:
    """``var prop value`` for a property or an ``owl:inverseOf`` one."""
    if isinstance(prop, URIRef):
        return lambda s, o: f"{s} <{prop}> {o} ."
    inverse = onto.value(prop, OWL.inverseOf)  # type: ignore[arg-type]
    if isinstance(inverse, URIRef):
        return lambda s, o: f"{o} <{inverse}> {s} ."
    raise Unsupported("a property expression that is neither named nor an inverse")


def _data_range(onto: Graph, node: object, var: str) -> str:
    """A SPARQL condition: ``var`` is a literal in the data range ``node``."""
    if isinstance(node, URIRef):
        if node == RDFS.Literal:
            return f"isLiteral({var})"
        within = _WITHIN.get(node, [node])  # type: ignore[call-overload]
        return f"isLiteral({var}) && datatype({var}) IN ({', '.join(f'<{d}>' for d in within)})"
    if parts := _list(onto, node, OWL.unionOf):
        return " || ".join(f"({_data_range(onto, p, var)})" for p in parts)
    if parts := _list(onto, node, OWL.intersectionOf):
        return " && ".join(f"({_data_range(onto, p, var)})" for p in parts)
    base = onto.value(node, OWL.onDatatype)  # type: ignore[arg-type]
    if base is None:
        raise Unsupported("a data range other than a datatype, a union or a restriction")
    conditions = [_data_range(onto, base, var)]
    for facet_node in _list(onto, node, OWL.withRestrictions):
        for facet, bound in onto.predicate_objects(facet_node):
            if facet in _FACETS:
                conditions.append(f"{var} {_FACETS[facet]} {bound.n3()}")
            elif facet == XSD.pattern:
                conditions.append(f"REGEX(STR({var}), {Literal(str(bound)).n3()})")
            else:
                raise Unsupported(f"the facet {_n(facet)}")
    return " && ".join(f"({c})" for c in conditions)


_RANGE_CHECKED = {
    XSD.decimal,
    XSD.integer,
    XSD.nonNegativeInteger,
    XSD.double,
    XSD.float,
    XSD.int,
    XSD.boolean,
    XSD.string,
}


def _n(term: object) -> str:
    from kg.reason import _short

    text = _short(term)
    return text if text != str(term) else f"<{term}>"


# -- the store ------------------------------------------------------------------------------------


def load_store(*graphs: Iterable[tuple]) -> ox.Store:
    """A pyoxigraph store holding the triples of ``graphs`` in its default graph."""
    store = ox.Store()
    convert = _Converter()
    for graph in graphs:
        store.bulk_extend(_quads(graph, convert))  # type: ignore[arg-type]
    return store


def _quads(graph: Iterable[tuple], convert: _Converter) -> Iterator[ox.Quad]:
    """The triples of ``graph`` as quads; for a graph alone in rdflib's memory store, read from
    its subject index (a tenth of the time of iterating the graph, which matters at a million
    triples)."""
    index = getattr(getattr(graph, "store", None), "_Memory__spo", None)
    alone = isinstance(index, dict) and sum(len(o) for po in index.values() for o in po.values())
    if type(graph) is Graph and alone == len(graph):  # type: ignore[arg-type]
        for s, po in index.items():  # type: ignore[union-attr]
            cs = convert(s)
            for p, objects in po.items():
                cp = convert(p)
                for o in objects:
                    yield ox.Quad(cs, cp, convert(o))
    else:
        for s, p, o in graph:
            yield ox.Quad(convert(s), convert(p), convert(o))


class _Converter:
    """rdflib terms as pyoxigraph terms, each distinct term converted once."""

    def __init__(self) -> None:
        self.seen: dict = {}

    def __call__(self, term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        found = self.seen.get(term)
        if found is None:
            found = self.seen[term] = self._convert(term)
        return found

    @staticmethod
    def _convert(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if isinstance(term, URIRef):
            return ox.NamedNode(str(term))
        if isinstance(term, BNode):
            return ox.BlankNode(re.sub(r"[^A-Za-z0-9_]", "_", str(term)) or "b")
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
            return ox.Literal(str(term))
        raise TypeError(f"not an RDF term: {term!r}")


def _rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value, datatype=None if datatype == str(XSD.string) else URIRef(datatype))


def run_rules(store: ox.Store, ruleset: RuleSet) -> RunStats:
    """Apply the rules to ``store`` until none adds a triple.

    The strata come writers first, so a stratum without a cycle runs once; one with a cycle
    runs again while one of its rules still has something to add (an ``ASK``, which stops at
    the first answer; counting the store's triples would read all of them).
    """
    stats = RunStats()
    start = time.perf_counter()
    before = _inferred_count(store)
    for rules, cyclic in ruleset.strata:
        while True:
            for rule in rules:
                store.update(rule.update)
                stats.evaluations += 1
            if not cyclic or not any(store.query(rule.pending) for rule in rules):
                break
            stats.repeats += 1
    stats.added = _inferred_count(store) - before
    stats.seconds = time.perf_counter() - start
    return stats


def _inferred_count(store: ox.Store) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {_I} {{ ?s ?p ?o }} }}")
    return int(next(iter(rows))[0].value)  # type: ignore[call-overload, index]


# -- clashes --------------------------------------------------------------------------------------


def inconsistencies(
    store: ox.Store, ruleset: RuleSet, asserted: Graph, ontology: Graph
) -> tuple[list, list[str]]:
    """The clashes the closed ``store`` shows, as :class:`kg.reason.Inconsistency` objects, and
    notes on functional object properties with two values not known to differ.

    The kinds: an individual in two disjoint classes (``owl:disjointWith``,
    ``owl:AllDisjointClasses``), a functional property with two different literal values or
    two individuals known to differ (``owl:differentFrom``, ``owl:AllDifferent``, two distinct
    targets, or of disjoint classes), a literal outside its property's numeric, boolean or
    string range (for a number: outside the range's value space, see :func:`_in_value_space`).
    """
    from kg.reason import Inconsistency, _fits, _short, _why

    found: list[Inconsistency] = []
    for a, b in ruleset.disjoint:
        rows = store.query(f"SELECT DISTINCT ?x WHERE {{ ?x a <{a}> . ?x a <{b}> }}")
        for ind in sorted(_rdflib(row[0]) for row in rows):  # type: ignore[index]
            axiom = f"{_short(a)} owl:disjointWith {_short(b)}"
            found.append(Inconsistency(str(ind), axiom, _why(ind, (a, b), asserted, ontology)))
    notes: list[str] = []
    for prop in ruleset.functional:
        rows = store.query(
            f"SELECT ?s ?a ?b WHERE {{ ?s <{prop}> ?a . ?s <{prop}> ?b "
            "FILTER(STR(?a) < STR(?b) || (STR(?a) = STR(?b) && !sameTerm(?a, ?b))) }"
        )
        for row in rows:
            s, a, b = (_rdflib(t) for t in row)  # type: ignore[union-attr]
            pair = f"{_short(prop)} {a.n3()}; {_short(prop)} {b.n3()}"
            if isinstance(a, Literal) or isinstance(b, Literal):
                if _same_value(a, b):
                    continue
            elif not _known_different(store, ruleset, a, b):
                notes.append(
                    f"{s} has two values of the functional property {_short(prop)} ({a}, {b}): "
                    "OWL makes them one individual; the rules engine does not merge them"
                )
                continue
            axiom = f"{_short(prop)} a owl:FunctionalProperty"
            found.append(Inconsistency(str(s), axiom, (pair,)))
    clashes = []
    for prop, rng in ruleset.ranges:  # SPARQL finds the suspects, kg.reason._fits judges them
        suspect = _outside(rng, "?o")
        rows = store.query(
            f"SELECT ?s ?o WHERE {{ ?s <{prop}> ?o FILTER(isLiteral(?o) && {suspect}) }}"
        )
        for s, o in rows:  # type: ignore[misc]
            value = _rdflib(o)
            if not (_fits(value, rng) and _in_value_space(value, rng)):  # type: ignore[arg-type]
                axiom = f"{_short(prop)} rdfs:range {_short(rng)}"
                clashes.append(Inconsistency(s.value, axiom, (f"{_short(prop)} {value.n3()}",)))
    found.extend(sorted(clashes, key=lambda i: (i.individual, i.axiom, i.facts)))
    return found, notes


def _outside(rng: URIRef, var: str) -> str:
    """A SPARQL condition true of every literal ``var`` outside the range ``rng`` (and maybe of
    a few inside it: the Python checks decide)."""
    if rng in (XSD.string, XSD.boolean, XSD.double, XSD.float):
        allowed = (XSD.string, RDF.langString) if rng == XSD.string else (rng,)
        return f"!(datatype({var}) IN ({', '.join(f'<{d}>' for d in allowed)}))"
    numbers = ", ".join(f"<{d}>" for d in _WITHIN[XSD.decimal])
    out = f"!(datatype({var}) IN ({numbers}))"
    if rng == XSD.decimal:
        return out
    bounds = f"{var} < 0 || {var} >= 2147483648"  # nonNegativeInteger, int
    return f"({out} || {var} != ROUND({var}) || {bounds})"


def _in_value_space(value: Literal, rng: URIRef) -> bool:
    """Whether a numeric literal lies in the value space of a numeric range, as OWL 2 reads it:
    xsd:decimal and the integer types are owl:real, so ``"2.0"^^xsd:decimal`` is an xsd:integer
    and ``"2.5"^^xsd:decimal`` is not; xsd:double and xsd:float are apart from owl:real and
    from each other (``kg.reason._fits`` lets any number through; HermiT does not)."""
    if rng not in (
        XSD.decimal,
        XSD.integer,
        XSD.nonNegativeInteger,
        XSD.int,
        XSD.double,
        XSD.float,
    ):
        return True
    if rng in (XSD.double, XSD.float):
        return value.datatype == rng
    if value.datatype not in _WITHIN[XSD.decimal]:
        return False
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return False
    if rng == XSD.decimal:
        return True
    whole = number == number.to_integral_value()
    if rng == XSD.nonNegativeInteger:
        return whole and number >= 0
    if rng == XSD.int:
        return whole and -(2**31) <= number < 2**31
    return whole


def _same_value(a: object, b: object) -> bool:
    if not (isinstance(a, Literal) and isinstance(b, Literal)):
        return False
    numbers = []
    for lit in (a, b):
        if lit.datatype is None or lit.language:
            return a == b
        try:
            numbers.append(Decimal(str(lit)))
        except InvalidOperation:
            return a.eq(b) if a.datatype == b.datatype else a == b
    return numbers[0] == numbers[1]


def _known_different(store: ox.Store, ruleset: RuleSet, a: object, b: object) -> bool:
    x, y = f"<{a}>", f"<{b}>"
    told = (
        f"ASK {{ {{ {x} <{OWL.differentFrom}> {y} }} UNION {{ {y} <{OWL.differentFrom}> {x} }} "
        f"UNION {{ ?d <{OWL.members}>|<{OWL.distinctMembers}> ?l . "
        f"?l <{RDF.rest}>*/<{RDF.first}> {x} . ?l <{RDF.rest}>*/<{RDF.first}> {y} }} }}"
    )
    if store.query(told):
        return True
    targets = f"VALUES ?c {{ <{CDEK.GeneProduct}> <{CDEK.TargetFamily}> }}"
    if all(store.query(f"ASK {{ {targets} {z} a ?c }}") for z in (x, y)):
        return True  # the build declares all targets different (kg.reason._abox)
    return any(
        store.query(f"ASK {{ {x} a <{c}> . {y} a <{d}> }}")
        or store.query(f"ASK {{ {x} a <{d}> . {y} a <{c}> }}")
        for c, d in ruleset.disjoint
    )


# -- the engine -----------------------------------------------------------------------------------


def reason_rules(graph: Graph, ontology: Graph) -> ReasoningResult:
    """The ``rules`` engine: compile (once), load, close under the rules, check, and return the
    new class memberships and relations filtered as the other engines' (see ``_new_facts``)."""
    from kg.reason import kinase_types

    kinases = kinase_types(graph)
    store = load_store(graph, kinases, ontology)
    asserted = graph if all(t in graph for t in kinases) else graph + kinases
    return _close(store, asserted, ontology)


def reason_ntriples(ntriples: bytes | Path, ontology: Graph) -> ReasoningResult:
    """The ``rules`` engine over a large graph given as N-Triples, or the file of them
    (completed with its kinase typings already, as the streaming build's fragments are): never
    an rdflib graph. A clash is then explained without the asserted facts that led to it."""
    store = load_store(ontology)
    if isinstance(ntriples, Path):
        store.bulk_load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
    else:
        store.bulk_load(ntriples, format=ox.RdfFormat.N_TRIPLES)
    return _close(store, Graph(), ontology)


def _close(store: ox.Store, asserted: Graph, ontology: Graph) -> ReasoningResult:
    """Run the rules on ``store`` (data and ontology), check it, keep what the engines keep."""
    from kg.reason import ReasoningResult

    ruleset = compile_rules(ontology)
    stats = run_rules(store, ruleset)
    problems, notes = inconsistencies(store, ruleset, asserted, ontology)
    result = ReasoningResult(Graph(), "rules", 0.0, problems, [*ruleset.notes, *notes])
    result.stats = stats  # type: ignore[attr-defined]
    if not problems:
        result.inferred = new_facts(store)
    return result


def new_facts(store: ox.Store) -> Graph:
    """What the rules added that the other engines keep: ``cdek:`` class memberships and ``cdek:``
    relations between named individuals, of subjects outside the ontology."""
    ns, onto = str(CDEK._NS), str(ONTOLOGY_IRI)
    rows = store.query(
        f"SELECT ?s ?p ?o WHERE {{ GRAPH {_I} {{ ?s ?p ?o }} "
        f'FILTER(isIRI(?s) && isIRI(?o) && !STRSTARTS(STR(?s), "{ns}") && STR(?s) != "{onto}" '
        f'&& ((?p = <{_TYPE}> && STRSTARTS(STR(?o), "{ns}")) || STRSTARTS(STR(?p), "{ns}"))) }}'
    )
    out = Graph()
    add = out.add
    for s, p, o in rows:  # type: ignore[misc]
        add((URIRef(s.value), URIRef(p.value), URIRef(o.value)))
    return out
