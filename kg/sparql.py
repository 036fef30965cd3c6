"""Checking a SPARQL query before it runs: syntax, query form, and what it may reach.

Every query is parsed with rdflib's parser (pure Python, executes nothing). The parse tree
tells the query form and whether it would make the engine fetch anything: ``SERVICE``
(federated query), ``FROM``/``FROM NAMED`` (dataset clauses) and any SPARQL Update (``LOAD``
among them). pyoxigraph's native HTTP client is invisible to Python audit hooks, so refusing
these in a real parse tree is the guard (see LIBRARIES.md); a text rdflib cannot parse never
reaches the engine. Parsing costs 15-100 ms, so verdicts are cached, and the endpoint runs
the check inside its time-limited workers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

__all__ = [
    "QueryError",
    "QueryForm",
    "QueryRefused",
    "SparqlCheck",
    "bind_values",
    "check_query",
    "oxigraph_syntax_error",
]

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

_FORMS: dict[str, QueryForm] = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}
# With any of these in the text (anywhere, in any case, or behind a \u escape) a syntax
# error is reported from rdflib's parse alone: it is never handed to an engine, not even an
# empty store, for oxigraph's more precise message.
_REACHING = re.compile(r"SERVICE|LOAD|\\u|\\U", re.IGNORECASE)


class QueryError(ValueError):
    """A query that does not parse; ``line`` and ``column`` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message, self.line, self.column = message, line, column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{message}")


class QueryRefused(ValueError):
    """A well-formed query this service will not run (update, SERVICE, FROM...)."""


@dataclass(frozen=True)
class SparqlCheck:
    """What a parsed query is."""

    form: QueryForm
    service: bool  # contains SERVICE
    dataset: bool  # contains FROM / FROM NAMED


def _walk(tree: Any) -> Iterator[CompValue]:
    """Every CompValue of a parse tree (iteratively: deep queries must not overflow)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
            stack.extend(node)


def oxigraph_syntax_error(error: SyntaxError) -> QueryError:
    """pyoxigraph's syntax error with its line and column."""
    match = re.match(r"error at (\d+):(\d+): (.*)", str(error), re.DOTALL)
    if match:
        return QueryError(match[3].strip(), int(match[1]), int(match[2]))
    return QueryError(str(error))


def _oxigraph_position(text: str, prefixes: dict[str, str] | None) -> QueryError | None:
    """Oxigraph's own message, which points at the exact column, if it is safe to ask."""
    if _REACHING.search(text):
        return None
    try:
        ox.Store().query(text, prefixes=prefixes)  # an empty store: nothing to read or reach
    except SyntaxError as error:
        return oxigraph_syntax_error(error)
    except Exception:
        return None
    return None


def check_query(
    text: str, *, allow_remote: bool = False, prefixes: dict[str, str] | None = None
) -> SparqlCheck:
    """Parse ``text``; raise :class:`QueryError` or :class:`QueryRefused`, else describe it.

    With ``allow_remote`` the operator lets SERVICE and dataset clauses through.
    ``prefixes`` are those the engine predeclares (used for precise error positions).
    """
    if not text.strip():
        raise QueryError("the query is empty")
    return _parsed_check(text, allow_remote, tuple(sorted((prefixes or {}).items())))


@functools.lru_cache(maxsize=256)
def _parsed_check(
    text: str, allow_remote: bool, prefixes: tuple[tuple[str, str], ...]
) -> SparqlCheck:
    try:
        tree = parseQuery(text)
    except RecursionError:
        raise QueryError("the query is nested too deeply to be checked") from None
    except ParseBaseException as error:
        if _is_update(text):
            raise QueryRefused("SPARQL Update is not accepted: this graph is read-only") from None
        better = _oxigraph_position(text, dict(prefixes))
        if better is not None:
            raise better from None
        raise QueryError(f"syntax error: {error.msg}", error.lineno, error.col) from None
    nodes = list(_walk(tree))
    form = next((_FORMS[n.name] for n in nodes if n.name in _FORMS), None)
    if form is None:  # pragma: no cover - the parser only accepts the four forms
        raise QueryError("not a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    check = SparqlCheck(
        form=form,
        service=any(n.name == "ServiceGraphPattern" for n in nodes),
        dataset=any(n.name == "DatasetClause" for n in nodes),
    )
    if not allow_remote and check.service:
        raise QueryRefused(
            "SERVICE (federated query) is refused: queries run on this graph only "
            "(a server operator may allow it with --allow-remote)"
        )
    if not allow_remote and check.dataset:
        raise QueryRefused(
            "FROM / FROM NAMED are refused: queries run on this graph only "
            "(a server operator may allow them with --allow-remote)"
        )
    return check


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except (ParseBaseException, RecursionError):
        return False
    return True


def _code(text: str) -> Iterator[int]:
    """Offsets of the characters that are SPARQL code: not in comments, strings or IRIs."""
    i = 0
    while i < len(text):
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            if end < 0:
                return
            i = end
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            while i < len(text) and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote) - 1
        elif c == "<" and re.match(r"<[^\s<>\"{}|^`\\]*>", text[i:]):
            i = text.index(">", i)
        elif c == "\\":  # an escape in a local name (ex:a\'b): the next character is a name
            i += 1
        else:
            yield i
        i += 1


def _word_at(text: str, i: int, word: str) -> bool:
    end = i + len(word)
    return (
        text[i:end].upper() == word
        and not (i and (text[i - 1].isalnum() or text[i - 1] in "_?$:"))
        and not (end < len(text) and (text[end].isalnum() or text[end] == "_"))
    )


def _where_brace(text: str) -> int | None:
    """Offset of the ``{`` opening the query's top-level WHERE group, or None.

    Takes the brace after a top-level ``WHERE``, or, when the keyword is omitted (allowed
    for SELECT, ASK and DESCRIBE), the first top-level brace.
    """
    depth, first, after_where = 0, None, False
    for i in _code(text):
        c = text[i]
        if c == "{":
            if depth == 0:
                if after_where:
                    return i
                first = i if first is None else first
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and _word_at(text, i, "WHERE"):
            after_where = True
    return None if after_where else first


def bind_values(text: str, bindings: dict[str, str]) -> str:
    """``text`` with an inline ``VALUES`` block pre-binding variables at the top of WHERE.

    ``bindings`` maps a variable name to a term in SPARQL syntax (``<iri>``, ``"1"^^<...>``).
    Joining inline data at the start of the group keeps SPARQL's own semantics: filters of
    the group see the value, subqueries are joined on what they project.
    """
    if not bindings:
        return text
    brace = _where_brace(text)
    if brace is None:
        raise QueryError("cannot find the query's WHERE clause to bind parameters to")
    names = " ".join(f"?{name}" for name in bindings)
    values = " ".join(bindings.values())
    return f"{text[: brace + 1]} VALUES ({names}) {{ ({values}) }}{text[brace + 1 :]}"
