"""Running SPARQL on a built graph: pyoxigraph as the engine, rdflib as the baseline.

Both engines return an :class:`Outcome` of pyoxigraph terms, so callers (the command line,
the Python API, the endpoint, the benchmarks) do not care which one ran.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib
from pyparsing import ParseBaseException
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from kg.sparql import (
    QueryError,
    QueryForm,
    QueryRefused,
    bind_values,
    check_query,
    oxigraph_syntax_error,
)

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+

__all__ = [
    "ENGINES",
    "RDF_FORMATS",
    "Dataset",
    "Engine",
    "Outcome",
    "OxigraphEngine",
    "RdflibEngine",
    "ResultTooLarge",
    "Term",
    "from_rdflib",
    "load_engine",
    "to_rdflib",
]

Term = ox.NamedNode | ox.BlankNode | ox.Literal
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


class ResultTooLarge(RuntimeError):
    """The answer has more rows (or triples) than the cap allows."""

    def __init__(self, cap: int, unit: str) -> None:
        self.cap, self.unit = cap, unit
        super().__init__(
            f"the result has more than {cap:,} {unit}, the cap of this service; "
            "narrow the query or add a LIMIT"
        )


@dataclass
class Outcome:
    """What a query produced: rows for SELECT, a boolean for ASK, triples otherwise."""

    form: QueryForm
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.rows) if self.form == "SELECT" else len(self.triples)


def to_rdflib(term: Term | None) -> Node | None:
    """The rdflib term for a pyoxigraph term (plain literals stay plain)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype))


def from_rdflib(term: Node) -> Term:
    """The pyoxigraph term for an rdflib term."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != _LANG_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def _format_of(path: Path) -> ox.RdfFormat:
    try:
        return RDF_FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(RDF_FORMATS))
        raise ValueError(f"{path}: unknown RDF file type (expected one of {known})") from None


class Engine:
    """A loaded graph that answers SPARQL queries."""

    name = "engine"
    # prefixes every query may use without declaring them
    prefixes: dict[str, str] = {}  # noqa: RUF012 - replaced per instance, never mutated

    def triple_count(self) -> int:
        raise NotImplementedError

    @classmethod
    def load(cls, *files: Path) -> Self:
        """A new engine holding the RDF ``files`` (format from each extension)."""
        engine = cls()
        for file in files:
            engine.add_file(Path(file))
        return engine

    def add_file(self, path: Path, graph: str | None = None) -> None:
        """Load an RDF file (format from its extension), into the named ``graph`` if given."""
        raise NotImplementedError

    def run(
        self,
        text: str,
        bindings: Mapping[str, Term] | None = None,
        *,
        max_results: int | None = None,
        max_chars: int | None = None,
        allow_remote: bool = False,
        dataset: Dataset | None = None,
    ) -> Outcome:
        """Check ``text`` (see :func:`kg.sparql.check_query`), then evaluate its canonical form.

        ``bindings`` pre-bind variables by name. ``max_results`` caps rows or triples and
        ``max_chars`` the characters of all their terms; beyond either the answer is
        :class:`ResultTooLarge`. ``dataset`` (the protocol's default-graph-uri and
        named-graph-uri) may only name graphs this engine holds.
        """
        check = check_query(text, allow_remote=allow_remote, prefixes=self.prefixes)
        text = check.text
        if bindings:
            text = bind_values(text, {name: str(term) for name, term in bindings.items()})
            text = check_query(text, allow_remote=allow_remote, prefixes=self.prefixes).text
        if dataset and not allow_remote:
            foreign = sorted(set(dataset.default + dataset.named) - self.graph_names())
            if foreign:
                raise QueryRefused(
                    f"<{foreign[0]}> is not a graph of this dataset; its graphs are "
                    + ", ".join(f"<{g}>" for g in sorted(self.graph_names()))
                )
        return self._evaluate(text, check.form, _Caps(max_results, max_chars), dataset)

    def graph_names(self) -> set[str]:
        """The IRIs of the named graphs held."""
        raise NotImplementedError

    def _evaluate(
        self, text: str, form: QueryForm, caps: _Caps, dataset: Dataset | None = None
    ) -> Outcome:
        raise NotImplementedError


@dataclass(frozen=True)
class Dataset:
    """A dataset chosen with the protocol's default-graph-uri and named-graph-uri."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default or self.named)


@dataclass(frozen=True)
class _Caps:
    results: int | None
    chars: int | None

    def take(self, items: Iterable, unit: str) -> list:
        """``items`` as a list, or ResultTooLarge as soon as one cap is passed."""
        out: list = []
        chars = 0
        for item in items:
            if self.results is not None and len(out) >= self.results:
                raise ResultTooLarge(self.results, unit)
            if self.chars is not None:
                terms = (item.subject, item.predicate, item.object) if unit == "triples" else item
                chars += sum(len(t.value) for t in terms if t is not None)
                if chars > self.chars:
                    raise ResultTooLarge(self.chars, "characters")
            out.append(item)
        return out


class OxigraphEngine(Engine):
    """pyoxigraph's in-memory store: the engine used everywhere but the baseline."""

    name = "pyoxigraph"

    def __init__(self, store: ox.Store | None = None) -> None:
        self.store = store if store is not None else ox.Store()

    @classmethod
    def load(cls, *files: Path) -> Self:
        """The build's store folder opened read-only, or a new store holding the RDF ``files``."""
        from kg.store import is_store, open_store

        stores = [Path(f) for f in files if Path(f).is_dir()]
        if not stores:
            return super().load(*files)
        if len(files) > 1 or not is_store(stores[0]):
            raise ValueError(
                f"{stores[0]}: a folder is read as a store a build wrote (out/store), alone; "
                "give graph files (.nq, .ttl, ...) to combine several"
            )
        return cls(open_store(stores[0]))

    def add_file(self, path: Path, graph: str | None = None) -> None:
        """Load one file, into the named ``graph`` if given (triples formats only)."""
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such graph file (run `kg build` first?)")
        try:
            self.store.bulk_load(
                path=str(path),
                format=_format_of(path),
                to_graph=ox.NamedNode(graph) if graph else None,
            )
        except SyntaxError as error:
            raise ValueError(f"{path}: not valid RDF: {error}") from None

    def triple_count(self) -> int:
        return len(self.store)

    def graph_names(self) -> set[str]:
        return {g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode)}

    def _evaluate(
        self, text: str, form: QueryForm, caps: _Caps, dataset: Dataset | None = None
    ) -> Outcome:
        if dataset:  # the protocol: only the named graphs given; an empty default otherwise
            default = [ox.NamedNode(g) for g in dataset.default] or [ox.DefaultGraph()]
            chosen = {
                "default_graph": default,
                "named_graphs": [ox.NamedNode(g) for g in dataset.named],
            }
        else:
            chosen = {"use_default_graph_as_union": True}
        try:
            result = self.store.query(text, prefixes=self.prefixes or None, **chosen)
        except SyntaxError as error:
            raise oxigraph_syntax_error(error) from None
        if form == "ASK":
            return Outcome(form, boolean=bool(result))
        if form == "SELECT":
            variables = [v.value for v in result.variables]
            rows = caps.take((tuple(solution[v] for v in variables) for solution in result), "rows")
            return Outcome(form, variables=variables, rows=rows)
        return Outcome(form, triples=caps.take(result, "triples"))


class RdflibEngine(Engine):
    """rdflib's own SPARQL engine over its Memory store: the baseline in benchmarks."""

    name = "rdflib"

    def __init__(self, graph: rdflib.Graph | None = None) -> None:
        self.graph = graph if graph is not None else rdflib.Graph()

    @classmethod
    def load(cls, *files: Path) -> Self:
        """The plain Memory graph; a dataset queried as the union when quads are among them."""
        quads = any(Path(f).suffix.lower() in (".nq", ".trig") for f in files)
        engine = cls(rdflib.Dataset(default_union=True) if quads else None)
        for file in files:
            engine.add_file(Path(file))
        return engine

    def add_file(self, path: Path, graph: str | None = None) -> None:
        """Load one file, into the named ``graph`` if given (quads keep their own graphs)."""
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such graph file (run `kg build` first?)")
        fmt = rdflib.util.guess_format(str(path)) or "turtle"
        target = self.graph
        if graph and isinstance(self.graph, rdflib.Dataset):
            target = self.graph.graph(rdflib.URIRef(graph))
        with _quiet_rdflib():
            target.parse(str(path), format=fmt)

    def triple_count(self) -> int:
        return len(self.graph)

    def graph_names(self) -> set[str]:
        if isinstance(self.graph, rdflib.Dataset):
            return {
                str(g.identifier)
                for g in self.graph.graphs()
                if g.identifier != DATASET_DEFAULT_GRAPH_ID
            }
        return set()

    def _evaluate(
        self, text: str, form: QueryForm, caps: _Caps, dataset: Dataset | None = None
    ) -> Outcome:
        if dataset:
            raise QueryRefused(
                "the rdflib engine does not take default-graph-uri / named-graph-uri"
            )
        try:
            with _quiet_rdflib():  # rdflib evaluates lazily: iterate inside the context
                result = self.graph.query(text, initNs=self.prefixes)
                return self._outcome(result, form, caps)
        except ParseBaseException as error:
            raise QueryError(f"syntax error: {error.msg}", error.lineno, error.col) from None

    @staticmethod
    def _outcome(result: rdflib.query.Result, form: QueryForm, caps: _Caps) -> Outcome:
        if form == "ASK":
            return Outcome(form, boolean=bool(result.askAnswer))
        if form == "SELECT":
            variables = [str(v) for v in result.vars or []]
            rows = caps.take(
                (
                    tuple(None if t is None else from_rdflib(t) for t in row)
                    for row in result  # type: ignore[union-attr]
                ),
                "rows",
            )
            return Outcome(form, variables=variables, rows=rows)
        triples = (
            ox.Triple(from_rdflib(s), from_rdflib(p), from_rdflib(o))  # type: ignore[arg-type]
            for s, p, o in result  # type: ignore[misc]
        )
        return Outcome(form, triples=caps.take(triples, "triples"))


@contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """Hide the deprecation warning rdflib 7.6 raises from inside its own Dataset code."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Dataset.default_context is deprecated")
        yield


ENGINES: dict[str, type[Engine]] = {"pyoxigraph": OxigraphEngine, "rdflib": RdflibEngine}


def load_engine(files: Sequence[Path], kind: str = "pyoxigraph") -> Engine:
    """An engine of ``kind`` (``pyoxigraph`` or ``rdflib``) over ``files``."""
    if kind not in ENGINES:
        raise ValueError(f"unknown engine {kind!r} (one of {', '.join(ENGINES)})")
    return ENGINES[kind].load(*files)
