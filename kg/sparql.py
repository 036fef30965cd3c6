"""Checking a SPARQL query before it runs: syntax, query form, and what it may reach.

The guard and the engine must read the same text. A query is first made *canonical*: the
SPARQL codepoint escapes (``\\u0053``) are decoded as the specification (and Oxigraph) do
before parsing, line ends become ``\\n``, and characters on which parsers disagree (other
control characters, U+2028/2029, a byte-order mark) are refused. The canonical text is what
rdflib's parser checks and what the engine then runs, so a comment that one parser ends and
the other does not (``#\\r SERVICE``) no longer exists. Its nesting is bounded in a linear
scan before any recursive parser sees it. The parse tree then tells the query form and
whether it would make the engine fetch anything: ``SERVICE`` (also found by a scan of the
canonical text with the specification's own lexical rules), ``FROM``/``FROM NAMED`` and any
SPARQL Update. This guard is the second layer: processes that run queries for others also
have no network at all (:mod:`kg.sandbox`). Parsing costs 15-100 ms, so verdicts are cached.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from collections.abc import Callable, Iterator
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
    """What a parsed query is; ``text`` is its canonical form, the one to execute."""

    form: QueryForm
    service: bool  # contains SERVICE
    dataset: bool  # contains FROM / FROM NAMED
    text: str = ""


# nesting of ( [ { and runs of prefix operators: far above what people write, far below
# what overflows a recursive parser's stack (rdflib's or Oxigraph's)
MAX_NESTING = 64
MAX_PREFIX_RUN = 16
# operators and pattern keywords of one query: 10-50 in real ones; long chains of them
# (``1||1||...``, ``{} UNION {} ...``, ``a/a/...``) take the engines seconds to parse and plan
MAX_OPERATORS = 256
MAX_KEYWORDS = 256
_OPERATORS = frozenset("|&/*+-=<>!^")
_KEYWORD = re.compile(r"UNION|OPTIONAL|MINUS|FILTER|BIND|SELECT|GRAPH|EXISTS|VALUES", re.I)
# characters that one SPARQL parser treats as a line end or space and another does not:
# control characters other than tab and line ends, NEL, the Unicode line and paragraph
# separators, and the byte-order mark
_DISPUTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_DEEP_STACK = 256 * 1024 * 1024  # virtual; a parse touches only what it needs
_DEEP_RECURSION = 40_000
_DEEP_LOCK = threading.Lock()
_OPERATOR_RUN = re.compile(r"[!^+\-][!^+\-\s]*")
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)


def _decode_escape(match: re.Match[str]) -> str:
    code = match[1]
    if len(code) == 1:  # an escaped character (\\, \" ...): kept, and it shields the next
        return match[0]
    point = int(code[1:], 16)
    if point > 0x10FFFF or 0xD800 <= point <= 0xDFFF:
        raise QueryError(f"\\{code} is not a Unicode character")
    return chr(point)


def _refuse_disputed(text: str) -> None:
    bad = _DISPUTED.search(text)
    if bad:
        raise QueryError(
            f"the query contains the control or separator character U+{ord(bad[0]):04X}, "
            "which SPARQL parsers read differently; remove it",
            *_position(text, bad.start()),
        )


def canonical_query(text: str) -> str:
    """``text`` as every parser reads it alike, or :class:`QueryError`.

    Decodes ``\\uXXXX`` and ``\\UXXXXXXXX`` everywhere (SPARQL 1.1, section 19.2) exactly
    once, refuses a text whose decoded form would decode again, refuses disputed
    characters, turns CR LF and lone CR into LF, and bounds the nesting depth.
    """
    _refuse_disputed(text)
    decoded = _ESCAPE.sub(_decode_escape, text)
    if decoded != text:
        if _ESCAPE.sub(_decode_escape, decoded) != decoded:
            raise QueryError("a codepoint escape spells another escape; write the character")
        _refuse_disputed(decoded)
    text = decoded.replace("\r\n", "\n").replace("\r", "\n")
    _bound_nesting(text)
    return text


def _bound_nesting(text: str) -> None:
    """QueryError when brackets nest, operators repeat or chain, beyond the limits."""
    depth = run = operators = keywords = 0
    for i in _code(text):
        c = text[i]
        if c in _OPERATORS and not (i and text[i - 1] in _OPERATORS):  # `||` is one
            operators += 1
            if operators > MAX_OPERATORS:
                raise QueryError(
                    f"more than {MAX_OPERATORS} operators in one query", *_position(text, i)
                )
        elif c.isalpha() and _KEYWORD.match(text, i) and not (i and text[i - 1].isalnum()):
            keywords += 1
            if keywords > MAX_KEYWORDS:
                raise QueryError(
                    f"more than {MAX_KEYWORDS} UNION, OPTIONAL, FILTER... in one query",
                    *_position(text, i),
                )
        if c in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise QueryError(f"brackets nest more than {MAX_NESTING} deep", *_position(text, i))
        elif c in ")]}":
            depth -= 1
        if c in "!^-+":
            run += 1
            if run > MAX_PREFIX_RUN:
                raise QueryError(
                    f"more than {MAX_PREFIX_RUN} operators in a row", *_position(text, i)
                )
        elif not c.isspace():
            run = 0


def _raw_depth(text: str) -> int:
    """The deepest bracket nesting counting every bracket character in the text."""
    depth = deepest = 0
    for c in text:
        if c in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")]}" and depth:
            depth -= 1
    runs = (len(run) - sum(c.isspace() for c in run) for run in _OPERATOR_RUN.findall(text))
    return deepest + max(runs, default=0)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _service_keyword(text: str) -> bool:
    """True if SERVICE appears as a keyword under the specification's lexical rules."""
    return any(text[i] in "sS" and _word_at(text, i, "SERVICE") for i in _code(text))


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
    """Oxigraph's own message, which points at the exact column, if it is safe to ask.

    Only for a text that cannot reach anything and is shallow by a raw count of brackets
    (strings and comments included): Oxigraph's parser recurses and may read a text that
    rdflib gave up on further than rdflib did.
    """
    if _REACHING.search(text) or _raw_depth(text) > MAX_NESTING:
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
    """Check ``text``; raise :class:`QueryError` or :class:`QueryRefused`, else describe it.

    The returned ``text`` is the canonical form (:func:`canonical_query`): run that one.
    With ``allow_remote`` the operator lets SERVICE and dataset clauses through.
    ``prefixes`` are those the engine predeclares (used for precise error positions).
    """
    if not text.strip():
        raise QueryError("the query is empty")
    return _parsed_check(text, allow_remote, tuple(sorted((prefixes or {}).items())))


@functools.lru_cache(maxsize=1024)
def _parsed_check(
    original: str, allow_remote: bool, prefixes: tuple[tuple[str, str], ...]
) -> SparqlCheck:
    text = canonical_query(original)
    try:
        tree = _on_deep_stack(parseQuery, text)
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
        service=_service_keyword(text) or any(n.name == "ServiceGraphPattern" for n in nodes),
        dataset=any(n.name == "DatasetClause" for n in nodes),
        text=text,
    )
    if not allow_remote and check.service:
        raise QueryRefused(
            "SERVICE (federated query) is refused: queries run on this graph only "
            "(a server operator may allow it with --allow-remote)"
        )
    if not allow_remote and check.dataset:
        raise QueryRefused(
            "FROM / FROM NAMED are refused: queries run on this graph's union of graphs "
            "(use GRAPH <...> { } in the query, or the protocol's default-graph-uri with one "
            "of this graph's named graphs)"
        )
    return check


def _on_deep_stack(function: Callable[[str], Any], text: str) -> Any:
    """``function(text)`` on a thread with a large stack and a high recursion limit.

    rdflib's parser recurses once or more per triple pattern and nesting level; the
    nesting is bounded before (:func:`canonical_query`), the pattern count is not.
    """
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["value"] = function(text)
        except BaseException as error:  # re-raised in the caller's thread
            box["error"] = error

    with _DEEP_LOCK:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, _DEEP_RECURSION))
        previous = threading.stack_size(_DEEP_STACK)
        try:
            thread = threading.Thread(target=call, name="sparql-parse")
            thread.start()
        finally:
            threading.stack_size(previous)
        thread.join()
        sys.setrecursionlimit(limit)
    if "error" in box:
        raise box["error"]
    return box["value"]


def _is_update(text: str) -> bool:
    try:
        _on_deep_stack(parseUpdate, text)
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
