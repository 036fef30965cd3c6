"""OWL reasoning over the built graph: HermiT through owlready2, OWL 2 RL rules without Java, or
the ontology compiled to SPARQL rules on pyoxigraph for large graphs (:mod:`kg.rules`)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from kg import paths
from kg.vocab import CDEK, OA, ONTOLOGY_IRI

__all__ = [
    "DEFINED_CLASSES",
    "Inconsistency",
    "ReasoningResult",
    "cache_folder",
    "explain_inconsistency",
    "java_available",
    "kinase_types",
    "load_ontology",
    "reason",
]

# Classes whose members only a reasoner can tell; realising them is what costs time in HermiT.
DEFINED_CLASSES = (
    CDEK.KinaseTarget,
    CDEK.MultiKinaseInhibitor,
    CDEK.FavourableComparativeResult,
    CDEK.CommonAdverseEventResult,
)
# The classes and properties the definitions above mention: the slice the second run reasons on.
_SLICE_CLASSES = (
    CDEK.Drug,
    CDEK.GeneProduct,
    CDEK.TargetFamily,
    CDEK.ComparativeResult,
    CDEK.AdverseEventResult,
    CDEK.StudyArm,
    CDEK.RegistryCohort,
    CDEK.Endpoint,
)
_SLICE_PROPERTIES = (
    CDEK.inhibits,
    CDEK.hasMember,
    CDEK.statistic,
    CDEK.resultArm,
    CDEK.comparatorArm,
    CDEK.armRole,
    CDEK.measuresEndpoint,
    CDEK.eventValence,
    CDEK.ciUpper,
    CDEK.ciLower,
    CDEK.percent,
)
# Literals of these datatypes are kept out of HermiT's input: OWL 2 has no date datatypes.
_DATES = frozenset({XSD.date, XSD.gYearMonth, XSD.gYear})


@dataclass(frozen=True)
class Inconsistency:
    """Why the graph has no model: the individual, the axiom it breaks and the facts behind it."""

    individual: str
    axiom: str
    facts: tuple[str, ...] = ()

    def __str__(self) -> str:
        because = f" (from {'; '.join(self.facts)})" if self.facts else ""
        return f"{self.individual} breaks {self.axiom}{because}"


@dataclass
class ReasoningResult:
    """What a reasoner inferred, with which engine and how long it took."""

    inferred: Graph
    engine: str
    seconds: float
    inconsistencies: list[Inconsistency] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reused: bool = False
    """HermiT did not run: an earlier answer to the same input was reused (see cache_folder)."""

    @property
    def consistent(self) -> bool:
        return not self.inconsistencies


def load_ontology(path: Path | None = None) -> Graph:
    """The OWL ontology (``ontology/cdek.ttl``)."""
    return Graph().parse(path or paths.ONTOLOGY / "cdek.ttl", format="turtle")


def java_available() -> bool:
    """Whether a ``java`` executable is on the PATH (HermiT needs one)."""
    return shutil.which("java") is not None


def kinase_types(graph: Graph, table: Path | None = None) -> Graph:
    """``cdek:ProteinKinase`` typings for targets whose UniProt id is in the curated kinase list."""
    from kg.xrefs import prefix_map  # UniProt IRIs as the build expands them

    table = table or paths.DATA / "kinases.csv"
    uniprot = prefix_map()["uniprot"]
    typed = Graph()
    with table.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for target in graph.subjects(SKOS.exactMatch, URIRef(uniprot + row["uniprot"])):
                if (target, RDF.type, CDEK.GeneProduct) in graph:
                    typed.add((target, RDF.type, CDEK.ProteinKinase))
    return typed


def reason(graph: Graph, *, ontology: Graph | None = None, engine: str = "auto") -> ReasoningResult:
    """Check ``graph`` against the ontology and return the inferred types and relations.

    ``engine`` is ``hermit``, ``owlrl``, ``rules`` (the ontology compiled to SPARQL rules run on
    pyoxigraph, :mod:`kg.rules`) or ``auto`` (HermiT when Java is installed, else owlrl).
    """
    ontology = ontology if ontology is not None else load_ontology()
    notes: list[str] = []
    if engine == "auto":
        engine = "hermit" if java_available() else "owlrl"
        if engine == "owlrl":
            notes.append(
                "Java not found: HermiT cannot run, so OWL 2 RL rules (owlrl) were used; they do "
                "not infer the cardinality and datatype-restriction classes "
                "(MultiKinaseInhibitor, FavourableComparativeResult, CommonAdverseEventResult)."
            )
    ill_typed = _ill_typed(graph, ontology)
    if ill_typed:  # not OWL 2 DL: HermiT would read "maybe"^^xsd:boolean as false, or fail
        return ReasoningResult(Graph(), engine, 0.0, ill_typed, notes)
    start = time.perf_counter()
    if engine == "hermit":
        result = _hermit(graph, ontology)
    elif engine == "owlrl":
        result = _owlrl(graph, ontology)
    elif engine == "rules":
        from kg.rules import reason_rules

        result = reason_rules(graph, ontology)
    else:
        raise ValueError(f"unknown reasoner {engine!r}: use hermit, owlrl, rules or auto")
    result.seconds = time.perf_counter() - start
    result.notes[:0] = notes
    return result


# -- the input a DL reasoner can take -------------------------------------------------------------


def _ill_typed(graph: Graph, ontology: Graph) -> list[Inconsistency]:
    """Ill-typed literals of the ontology's properties: ``"maybe"^^xsd:boolean``.

    An OWL 2 DL ontology holds no literal outside its datatype's lexical space (OWL 2 structural
    specification, literals), and with the property's range such a literal has no model. HermiT
    never sees it as such: owlready2 reads ``"maybe"^^xsd:boolean`` as false and stops on
    ``"1.x"^^xsd:decimal`` with a parse error, so the literals are checked here first.
    """
    from kg.validate import as_written, well_typed

    declared = {s for s in ontology.subjects() if isinstance(s, URIRef) and s in CDEK._NS}
    found = [
        Inconsistency(
            str(s),
            f"the lexical space of {_short(o.datatype)} (ill-typed literal)",
            (f'{_short(p)} "{as_written(o) or "(rewritten by rdflib)"}"^^{_short(o.datatype)}',),
        )
        for p in declared  # by property: the index skips labels, provenance, spans
        for s, o in graph.subject_objects(p)
        if isinstance(o, Literal) and not well_typed(o)
    ]
    return sorted(found, key=str)


def _tbox(ontology: Graph, *, definitions: bool) -> Graph:
    """The ontology without imports and date ranges (xsd:date, xsd:gYearMonth, xsd:gYear and
    cdek:PartialDate, their union, are not in the OWL 2 datatype map)."""
    tbox = Graph()
    dropped = set(DEFINED_CLASSES) if not definitions else set()
    dates = {CDEK.PartialDate, *ontology.transitive_objects(CDEK.PartialDate, None)}  # its union
    for s, p, o in ontology:
        if p == OWL.imports or o in _DATES or s in dates or o == CDEK.PartialDate:
            continue
        if s in dropped and p == OWL.equivalentClass:
            continue
        tbox.add((s, p, o))
    if not definitions:  # the blank nodes of the dropped definitions would linger: rebuild
        tbox = _without_orphans(tbox)
    for prop in (SKOS.definition, SKOS.exactMatch, SKOS.closeMatch):
        tbox.add((prop, RDF.type, OWL.AnnotationProperty))
    for op in (OWL.unionOf, OWL.intersectionOf):  # typed for strict OWL parsers
        for node in list(tbox.subjects(op, None)):
            tbox.add((node, RDF.type, OWL.Class))
    return tbox


def _without_orphans(g: Graph) -> Graph:
    """Drop blank-node trees no longer referenced from a named subject."""
    kept = Graph()
    todo = [s for s in set(g.subjects()) if isinstance(s, URIRef)]
    seen: set = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in g.predicate_objects(node):
            kept.add((node, p, o))
            if isinstance(o, BNode):
                todo.append(o)
    for b in g.subjects(RDF.type, OWL.AllDisjointClasses):
        for t in _tree(g, b):
            kept.add(t)
    return kept


def _tree(g: Graph, node: BNode) -> Iterable[tuple]:
    for p, o in g.predicate_objects(node):
        yield (node, p, o)
        if isinstance(o, BNode):
            yield from _tree(g, o)


def _abox(graph: Graph, ontology: Graph, *, subjects: set | None, predicates: set | None) -> Graph:
    """Typed individuals and their ``cdek:`` property values, declared for OWL 2 DL."""
    declared = {s for s in ontology.subjects() if isinstance(s, URIRef) and s in CDEK._NS}
    abox = Graph()
    individuals: set[URIRef] = set()
    for s, p, o in graph:
        if subjects is not None and s not in subjects:
            continue
        if isinstance(o, Literal) and o.datatype in _DATES:
            continue
        if p == RDF.type and o in declared:
            abox.add((s, p, o))
            individuals.add(s)
        elif p in declared and p != RDF.type and (predicates is None or p in predicates):
            abox.add((s, p, o))
            individuals.add(s)
            if isinstance(o, URIRef) and o not in CDEK._NS:
                individuals.add(o)
    # the Web Annotation classes the ontology declares (a span is never its own selector), for
    # the individuals above only: selectors themselves stay out, as HermiT's time grows with them
    annotation = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(OA)}
    for ind in individuals:
        abox.add((ind, RDF.type, OWL.NamedIndividual))
        for cls in annotation & set(graph.objects(ind, RDF.type)):
            abox.add((ind, RDF.type, cls))
    targets = sorted(
        s for cls in (CDEK.GeneProduct, CDEK.TargetFamily) for s in abox.subjects(RDF.type, cls)
    )
    if len(targets) > 1:  # distinct catalogue entries are distinct targets (no unique names in OWL)
        node, members = BNode(), BNode()
        abox.add((node, RDF.type, OWL.AllDifferent))
        abox.add((node, OWL.members, members))
        Collection(abox, members, targets)
    return abox


# -- HermiT ---------------------------------------------------------------------------------------


def _hermit(graph: Graph, ontology: Graph) -> ReasoningResult:
    """Two HermiT runs: the whole graph for consistency, then the slice the definitions read."""
    data = _with_kinases(graph)
    whole = _tbox(ontology, definitions=False) + _abox(
        data, ontology, subjects=None, predicates=None
    )
    inferred, failure, reused = _run_hermit(whole, property_values=False)
    if failure is not None:
        return ReasoningResult(Graph(), "hermit", 0.0, _inconsistencies(data, ontology, failure))
    # the slice: the told and the just-inferred types of the classes the definitions read
    types = Graph()
    for g in (data, inferred):
        for s, o in g.subject_objects(RDF.type):
            types.add((s, RDF.type, o))
    sliced = {s for cls in _SLICE_CLASSES for s in types.subjects(RDF.type, cls)}
    values = Graph()
    for prop in _SLICE_PROPERTIES:
        for s, o in data.subject_objects(prop):
            values.add((s, prop, o))
    part = _tbox(ontology, definitions=True) + _abox(
        types + values, ontology, subjects=sliced, predicates=set(_SLICE_PROPERTIES)
    )
    more, failure, reused_too = _run_hermit(part, property_values=True)
    if failure is not None:
        return ReasoningResult(Graph(), "hermit", 0.0, _inconsistencies(data, ontology, failure))
    result = ReasoningResult(_new_facts(types + more, data, ontology), "hermit", 0.0)
    result.reused = reused and reused_too
    return result


def _with_kinases(graph: Graph) -> Graph:
    """``graph`` plus the kinase typings (a copy only when some are missing)."""
    kinases = kinase_types(graph)
    return graph if all(t in graph for t in kinases) else graph + kinases


# Reasoning is a pure function of its input: a process keeps the last few answers, so that
# rebuilding an unchanged graph (tests, a watch loop) does not start Java again; and a folder
# keeps the last few dozen, so that the next `kg build` of the same graph does not either.
_CACHE: dict[str, tuple[Graph, str | None]] = {}
_CACHE_SIZE = 8
_DISK_CACHE_SIZE = 64


def cache_folder() -> Path | None:
    """Where HermiT's answers persist between processes; ``None`` when that is turned off.

    ``$KG_CACHE_DIR/reasoner`` if set (``off`` turns it off), else the user cache folder
    (``$XDG_CACHE_HOME/cdekg/reasoner``, by default ``~/.cache/cdekg/reasoner``).
    """
    configured = os.environ.get("KG_CACHE_DIR", "")
    if configured.lower() in ("off", "0", "none"):
        return None
    if configured:
        return Path(configured) / "reasoner"
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "cdekg" / "reasoner"


def _run_hermit(owl: Graph, *, property_values: bool) -> tuple[Graph, str | None, bool]:
    """Run HermiT on ``owl`` in a fresh World: the inferred triples, or the reason it failed,
    and whether an earlier answer was reused instead."""
    data = owl.serialize(format="nt", encoding="utf-8")
    key = _digest(data, property_values)
    reused = True
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        found = _read_cached(key)
        if found is None:
            found, reused = _hermit_world(data, property_values), False
            _write_cached(key, *found)
        _CACHE[key] = found
    inferred, failure = _CACHE[key]
    return Graph() + inferred, failure, reused


def _digest(ntriples: bytes, property_values: bool) -> str:
    """Content key of an N-Triples document, blind to blank-node labels.

    The owlready2 version (which fixes the HermiT jar) is part of it: a new reasoner answers
    afresh.
    """
    lines = sorted(re.sub(rb"_:\S+", b"_:", line) for line in ntriples.splitlines())
    engine = f"owlready2 {_owlready_version()}".encode()
    return hashlib.sha256(b"\n".join([engine, *lines]) + bytes([property_values])).hexdigest()


def _owlready_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("owlready2")
    except PackageNotFoundError:
        return "unknown"


def _read_cached(key: str) -> tuple[Graph, str | None] | None:
    folder = cache_folder()
    if folder is None:
        return None
    answer, failure = folder / f"{key}.nt", folder / f"{key}.failure"
    try:
        if failure.is_file():
            return Graph(), failure.read_text(encoding="utf-8")
        if answer.is_file():
            inferred = Graph().parse(data=answer.read_text(encoding="utf-8"), format="nt")
            os.utime(answer)  # recently used: pruned last
            return inferred, None
    except (OSError, ValueError, SyntaxError):  # unreadable: answer afresh and rewrite it
        return None
    return None


def _write_cached(key: str, inferred: Graph, failure: str | None) -> None:
    from kg.export import atomic_write

    folder = cache_folder()
    if folder is None:
        return
    try:
        if failure is not None:
            atomic_write(folder / f"{key}.failure", failure.encode("utf-8"))
        else:
            atomic_write(folder / f"{key}.nt", inferred.serialize(format="nt", encoding="utf-8"))
        entries = sorted(
            (p for p in folder.iterdir() if p.suffix in (".nt", ".failure")),
            key=lambda p: p.stat().st_mtime,
        )
        for old in entries[:-_DISK_CACHE_SIZE]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only home, a full disk: the cache is only a shortcut
        pass


def _hermit_world(data: bytes, property_values: bool) -> tuple[Graph, str | None]:
    import owlready2  # imported here: it starts nothing, but keeps ``kg`` light to import

    world = owlready2.World()
    try:
        onto = world.get_ontology(str(ONTOLOGY_IRI)).load(
            fileobj=io.BytesIO(data), format="ntriples"
        )
        inferred = world.get_ontology(str(ONTOLOGY_IRI) + "/inferred")
        with inferred:
            owlready2.sync_reasoner_hermit([onto], infer_property_values=property_values, debug=0)
        return _owlready_graph(world, inferred), None
    except owlready2.OwlReadyInconsistentOntologyError as error:
        return Graph(), f"HermiT: the ontology is inconsistent ({error})"
    finally:
        world.close()


def _owlready_graph(world: object, onto: object) -> Graph:
    """The named triples of one owlready2 ontology as an rdflib graph."""
    unabbreviate = world._unabbreviate  # type: ignore[attr-defined]
    out = Graph()
    for s, p, o in onto.get_triples():  # type: ignore[attr-defined]
        if s < 0 or not isinstance(o, int) or o < 0:
            continue
        out.add((URIRef(unabbreviate(s)), URIRef(unabbreviate(p)), URIRef(unabbreviate(o))))
    return out


# -- OWL 2 RL -------------------------------------------------------------------------------------


def _owlrl(graph: Graph, ontology: Graph) -> ReasoningResult:
    """OWL 2 RL closure (owlrl) of the ontology and the graph's typed individuals."""
    import owlrl

    data = _with_kinases(graph)
    closure = _tbox(ontology, definitions=True) + _abox(
        data, ontology, subjects=None, predicates=None
    )
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, rdfs_closure=False).expand(closure)
    problems = _clashes(closure, ontology)
    inferred = Graph() if problems else _new_facts(closure, data, ontology)
    return ReasoningResult(inferred, "owlrl", 0.0, problems)


# -- what counts as a new fact --------------------------------------------------------------------


def _new_facts(inferred: Graph, asserted: Graph, ontology: Graph) -> Graph:
    """Types (closed upward over named superclasses) and relations that were not asserted."""
    supers = _superclasses(ontology + inferred)
    out = Graph()
    for s, p, o in inferred:
        if not isinstance(s, URIRef) or s in CDEK._NS or s == ONTOLOGY_IRI:
            continue
        if p == RDF.type and isinstance(o, URIRef) and o in CDEK._NS:
            for cls in {o, *supers.get(o, ())}:
                if (s, RDF.type, cls) not in asserted:
                    out.add((s, RDF.type, cls))
        elif p in CDEK._NS and isinstance(o, URIRef) and (s, p, o) not in asserted:
            out.add((s, p, o))
    return out


def _superclasses(g: Graph) -> dict[URIRef, set[URIRef]]:
    direct: dict[URIRef, set[URIRef]] = {}
    for s, o in g.subject_objects(RDFS.subClassOf):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            direct.setdefault(s, set()).add(o)
    return {cls: {c for c in above if c in CDEK._NS} for cls, above in closure(direct).items()}


def closure(direct: dict[URIRef, set[URIRef]]) -> dict[URIRef, set[URIRef]]:
    """Everything each key reaches through ``direct`` (a class's superclasses, say)."""
    closed: dict[URIRef, set[URIRef]] = {}
    for start in direct:
        todo, seen = list(direct[start]), set()
        while todo:
            c = todo.pop()
            if c not in seen:
                seen.add(c)
                todo.extend(direct.get(c, ()))
        closed[start] = seen
    return closed


# -- explanations ---------------------------------------------------------------------------------


def explain_inconsistency(graph: Graph, ontology: Graph | None = None) -> list[Inconsistency]:
    """Name the individuals and axioms that make ``graph`` inconsistent with the ontology.

    Types are closed under asserted superclasses, domains and ranges; then each individual is
    checked against the disjointness axioms and each literal against its property's range.
    """
    ontology = ontology if ontology is not None else load_ontology()
    return _inconsistencies(_with_kinases(graph), ontology, None)


def _inconsistencies(data: Graph, ontology: Graph, failure: str | None) -> list[Inconsistency]:
    closure = Graph() + data
    supers = _superclasses(ontology)
    for s, p, o in data:
        for cls in ontology.objects(p, RDFS.domain):
            closure.add((s, RDF.type, cls))
        if isinstance(o, URIRef):
            for cls in ontology.objects(p, RDFS.range):
                if (cls, RDF.type, OWL.Class) in ontology:
                    closure.add((o, RDF.type, cls))
    for s, cls in list(closure.subject_objects(RDF.type)):
        for sup in supers.get(cls, ()):  # type: ignore[call-overload]
            closure.add((s, RDF.type, sup))
    found = _clashes(closure, ontology, asserted=data)
    if not found and failure:
        found.append(Inconsistency("(not located)", failure))
    return found


def _clashes(closure: Graph, ontology: Graph, asserted: Graph | None = None) -> list[Inconsistency]:
    asserted = asserted if asserted is not None else closure
    found: list[Inconsistency] = []
    for a, b in _disjoint_pairs(ontology):
        for ind in sorted(set(closure.subjects(RDF.type, a)) & set(closure.subjects(RDF.type, b))):
            axiom = f"{_short(a)} owl:disjointWith {_short(b)}"
            found.append(Inconsistency(str(ind), axiom, _why(ind, (a, b), asserted, ontology)))
    found.extend(_range_clashes(closure, ontology))
    return found


def _disjoint_pairs(ontology: Graph) -> list[tuple[URIRef, URIRef]]:
    pairs = {tuple(sorted((a, b))) for a, b in ontology.subject_objects(OWL.disjointWith)}
    for node in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(ontology, next(ontology.objects(node, OWL.members))))
        pairs.update(tuple(sorted(pair)) for pair in combinations(members, 2))
    return sorted(pairs)  # type: ignore[arg-type]


def _why(ind: URIRef, classes: tuple, asserted: Graph, ontology: Graph) -> tuple[str, ...]:
    facts = [f"{_short(ind)} a {_short(c)}" for c in asserted.objects(ind, RDF.type)]
    for p, o in asserted.predicate_objects(ind):
        if set(ontology.objects(p, RDFS.domain)) & set(classes):
            facts.append(f"{_short(ind)} {_short(p)} {_short(o)} (domain)")
    for s, p in asserted.subject_predicates(ind):
        if set(ontology.objects(p, RDFS.range)) & set(classes):
            facts.append(f"{_short(s)} {_short(p)} {_short(ind)} (range)")
    return tuple(sorted(facts))


_NUMERIC = {XSD.decimal, XSD.integer, XSD.nonNegativeInteger, XSD.double, XSD.float, XSD.int}


def _range_clashes(closure: Graph, ontology: Graph) -> list[Inconsistency]:
    found = []
    for prop, rng in ontology.subject_objects(RDFS.range):
        if rng not in _NUMERIC and rng not in (XSD.boolean, XSD.string):
            continue
        for s, o in closure.subject_objects(prop):
            if isinstance(o, Literal) and not _fits(o, rng):
                axiom = f"{_short(prop)} rdfs:range {_short(rng)}"
                found.append(Inconsistency(str(s), axiom, (f"{_short(prop)} {o.n3()}",)))
    return found


def _fits(value: Literal, rng: URIRef) -> bool:
    if rng in _NUMERIC:
        return value.datatype in _NUMERIC and value.ill_typed is not True
    if rng == XSD.boolean:
        return value.datatype == XSD.boolean
    return value.datatype in (None, XSD.string) or value.language is not None


def _short(term: object) -> str:
    text = str(term)
    for prefix, ns in (("cdek:", str(CDEK._NS)), ("xsd:", str(XSD)), ("owl:", str(OWL))):
        if text.startswith(ns):
            return prefix + text[len(ns) :]
    return text
