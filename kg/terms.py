"""Help for people writing SPARQL: names that paste back, unknown terms, readable errors.

Nothing here runs a query. A lexical scan of the query text, following the terminals of the
SPARQL 1.1 grammar (section 19.8: strings, comments, IRIs, prefixed names, variables), finds

- prefixed names whose prefix is neither declared in the query nor predeclared, and bare
  words that are no SPARQL keyword (``SELEC``): the hints of :func:`explain_syntax_error`;
- IRIs in the ontology's namespace that ``ontology/cdek.ttl`` does not define
  (``cdek:inhibts``): the warnings of :func:`unknown_terms`, with the closest defined term.

:func:`shorten` writes an IRI as a prefixed name only when its local part is a plain
``PN_LOCAL`` (no backslash escapes), so that whatever a table shows can be pasted into a
query; otherwise it writes ``<IRI>``.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg import paths
from kg.sparql import QueryError, canonical_query

__all__ = [
    "KEYWORDS",
    "ONTOLOGY_NAMESPACE",
    "SparqlSyntaxError",
    "Token",
    "UnknownTermWarning",
    "declared_prefixes",
    "explain_syntax_error",
    "is_plain_local",
    "ontology_terms",
    "shorten",
    "tokens",
    "unknown_terms",
]

ONTOLOGY_NAMESPACE = "https://w3id.org/cdekg/ontology#"

# -- the lexical rules of SPARQL 1.1 (section 19.8) ----------------------------------------

_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PN_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_PERCENT = "%[0-9A-Fa-f]{2}"
_PLX = rf"(?:{_PERCENT}|\\[_~.\-!$&'()*+,;=/?#@%])"


def _local(plx: str) -> str:
    return f"(?:[{_CHARS_U}:0-9]|{plx})(?:(?:[{_CHARS}.:]|{plx})*(?:[{_CHARS}:]|{plx}))?"


_PN_LOCAL = _local(_PLX)
_PLAIN_LOCAL = re.compile(_local(_PERCENT))  # no backslash escapes: pastes back as written
_PLAIN_PREFIX = re.compile(_PN_PREFIX)
_ESCAPED = re.compile(r"\\(.)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|a number")

_LEXER = re.compile(
    "|".join(
        [
            r"(?P<space>\s+)",
            r"(?P<comment>#[^\n\r]*)",
            r"(?P<string>'''(?:'{0,2}(?:[^'\\]|\\.))*'''|\"\"\"(?:\"{0,2}(?:[^\"\\]|\\.))*\"\"\""
            r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")",
            r"(?P<open_string>'''|\"\"\"|['\"])",  # a string that is never closed
            r'(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)',
            rf"(?P<var>[?$][{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)",
            rf"(?P<bnode>_:[{_CHARS_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)",
            r"(?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
            rf"(?P<pname>(?P<prefix>{_PN_PREFIX})?:(?P<local>{_PN_LOCAL})?)",
            r"(?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?"
            r"|[0-9]+(?:[eE][+-]?[0-9]+)?)",
            r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)",
            r"(?P<punct>\^\^|&&|\|\||!=|<=|>=|.)",
        ]
    ),
    re.DOTALL,
)

# SPARQL 1.1 query and update keywords, built-in functions and aggregates, and the SPARQL
# 1.2 / RDF-star words Oxigraph also reads
_KEYWORD_TEXT = """
    BASE PREFIX SELECT DISTINCT REDUCED AS CONSTRUCT WHERE DESCRIBE ASK FROM NAMED GROUP BY
    HAVING ORDER ASC DESC LIMIT OFFSET VALUES UNDEF OPTIONAL GRAPH SERVICE SILENT BIND MINUS
    FILTER UNION IN NOT EXISTS A TRUE FALSE LOAD CLEAR DROP CREATE ADD MOVE COPY INSERT DELETE
    DATA WITH USING DEFAULT ALL INTO TO STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND
    ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS
    STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5
    SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL
    ISNUMERIC REGEX SUBSTR REPLACE COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR TRIPLE
    SUBJECT PREDICATE OBJECT ISTRIPLE LANGDIR HASLANG HASLANGDIR STRLANGDIR VERSION LATERAL
    ADJUST
"""
KEYWORDS = frozenset(_KEYWORD_TEXT.split())
# the keywords a query is made of, offered first as corrections (functions come after)
_MAIN_TEXT = """
    SELECT WHERE PREFIX DISTINCT CONSTRUCT DESCRIBE ASK OPTIONAL FILTER UNION GRAPH BIND VALUES
    LIMIT OFFSET ORDER GROUP BY HAVING MINUS EXISTS NOT AS ASC DESC BASE REDUCED UNDEF IN
"""
_MAIN_KEYWORDS = tuple(_MAIN_TEXT.split())


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` is a group name of the lexer (iri, pname, word...)."""

    kind: str
    text: str
    start: int
    prefix: str = ""
    local: str = ""


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, without spaces and comments (never raises; linear)."""
    position = 0
    while position < len(text):
        match = _LEXER.match(text, position)
        assert match is not None  # the last alternative takes any character
        kind = match.lastgroup or "punct"
        if kind in ("prefix", "local"):
            kind = "pname"
        if kind == "pname":
            yield Token(kind, match[0], position, match["prefix"] or "", match["local"] or "")
        elif kind == "open_string":  # the rest of the text (or line) is inside the string
            end = len(text) if len(match[0]) == 3 else _line_end(text, position)
            yield Token(kind, text[position:end], position)
            position = end
            continue
        elif kind not in ("space", "comment"):
            yield Token(kind, match[0], position)
        position = match.end()


def _line_end(text: str, start: int) -> int:
    ends = [i for i in (text.find("\n", start), text.find("\r", start)) if i >= 0]
    return min(ends, default=len(text))


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def declared_prefixes(found: list[Token]) -> dict[str, str]:
    """The ``PREFIX p: <iri>`` declarations among ``found`` tokens."""
    declared = {}
    for i, token in enumerate(found[:-2]):
        name, iri = found[i + 1], found[i + 2]
        if (
            token.kind == "word"
            and token.text.upper() == "PREFIX"
            and name.kind == "pname"
            and not name.local
            and iri.kind == "iri"
        ):
            declared[name.prefix] = iri.text[1:-1]
    return declared


def is_plain_local(local: str) -> bool:
    """True if ``local`` is a SPARQL ``PN_LOCAL`` as it stands (no backslash escapes)."""
    return _PLAIN_LOCAL.fullmatch(local) is not None


def shorten(iri: str, prefixes: Mapping[str, str]) -> str:
    """``prefix:local`` if that is legal SPARQL without escapes, else ``<iri>``.

    ``prefixes`` are tried in order (put the longest namespace first); the first that gives
    a plain local part wins.
    """
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            local = iri[len(namespace) :]
            if is_plain_local(local) and (not prefix or _PLAIN_PREFIX.fullmatch(prefix)):
                return f"{prefix}:{local}"
    return f"<{iri}>"


# -- the ontology's terms ---------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def ontology_terms(path: Path = paths.ONTOLOGY / "cdek.ttl") -> frozenset[str]:
    """Every IRI the ontology file says something about (its subjects)."""
    return frozenset(
        quad.subject.value
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        if isinstance(quad.subject, ox.NamedNode)
    )


class UnknownTermWarning(UserWarning):
    """A query names an ontology term that the ontology does not define."""


def _closest(local: str, known: list[str]) -> str | None:
    folded = {name.casefold(): name for name in known}
    if local.casefold() in folded:
        return folded[local.casefold()]
    close = difflib.get_close_matches(local.casefold(), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def unknown_terms(
    text: str,
    prefixes: Mapping[str, str],
    *,
    namespace: str = ONTOLOGY_NAMESPACE,
    defined: frozenset[str] | None = None,
) -> list[str]:
    """Warnings for IRIs under ``namespace`` in ``text`` that the ontology does not define.

    Such a term matches nothing, so the query quietly returns no rows. ``prefixes`` are the
    predeclared ones (the query's own PREFIX lines take precedence). Each warning names
    the place, the term and, when one is close, the defined term meant.
    """
    try:
        text = canonical_query(text)
    except QueryError:
        return []
    defined = ontology_terms() if defined is None else defined
    known = sorted(iri[len(namespace) :] for iri in defined if iri.startswith(namespace))
    found = list(tokens(text))
    scope = {**prefixes, **declared_prefixes(found)}
    short = {p: ns for p, ns in scope.items() if ns == namespace}
    warnings, seen = [], set()
    for token in found:
        if token.kind == "iri":
            iri = token.text[1:-1]
        elif token.kind == "pname" and token.prefix in scope:
            iri = scope[token.prefix] + _ESCAPED.sub(r"\1", token.local)
        else:
            continue
        if not iri.startswith(namespace) or iri in defined or iri in seen:
            continue
        seen.add(iri)
        local = iri[len(namespace) :]
        if not local:
            continue
        line, column = position(text, token.start)
        message = (
            f"line {line}, column {column}: {token.text} is not a term of the ontology "
            "(ontology/cdek.ttl), so it matches nothing"
        )
        suggestion = _closest(local, known)
        if suggestion is not None:
            message += f"; did you mean {shorten(namespace + suggestion, short or scope)}?"
        warnings.append(message)
    return warnings


# -- syntax errors --------------------------------------------------------------------------


class SparqlSyntaxError(QueryError):
    """A :class:`QueryError` rewritten for people: one line, with a ``hint`` when one helps.

    ``original`` is the parser's own message.
    """

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        *,
        hint: str = "",
        original: str = "",
    ) -> None:
        super().__init__(message, line, column)
        self.hint, self.original = hint, original


# punctuation Oxigraph lists as expected that belongs to RDF-star / SPARQL 1.2 only
_EXOTIC = frozenset({"{|", "|}", "~", "<<", ">>", "<<(", ")>>"})


def _split_items(text: str) -> list[str]:
    """The comma-separated items of a parser's list, brackets and quotes respected."""
    items, depth, quote, current = [], 0, "", []
    for c in text:
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "[(":
            depth += 1
        elif c in "])":
            depth -= 1
        elif c == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(c)
    items.append("".join(current).strip())
    return [i for i in items if i]


def _plain_message(message: str) -> str:
    """A parser's message without character-class dumps, on one line."""
    message = " ".join(message.split())
    match = re.match(r"(syntax error: )?expected (one of )?(.*)", message, re.IGNORECASE)
    if match is None or match[1]:  # not Oxigraph's list (rdflib's is kept, shortened)
        message = message.removeprefix("syntax error: ")
        return message if len(message) <= 160 else message[:157] + "..."
    items = [i for i in _split_items(match[3]) if not i.startswith("[") and i not in _EXOTIC]
    sentences = [i for i in items if " " in i and not i.startswith('"') and "not found" not in i]
    if sentences:  # Oxigraph puts its semantic errors in the list ("SELECT * is not ...")
        sentence = sentences[0]
        if "variable that is unbound" in sentence:
            sentence += (
                " (with an aggregate such as COUNT, every other selected variable must be "
                "in GROUP BY)"
            )
        return sentence
    items = [i for i in items if " " not in i]
    if any(re.fullmatch(r"\['0' *\.\.=? *'9'\]", i) for i in _split_items(match[3])):
        items.append("a number")
    shown = [i if i.startswith('"') or _WORD.fullmatch(i) else f'"{i}"' for i in items[:12]]
    if not shown:
        return "the query is not valid SPARQL (the parser gives no reason)"
    return "expected " + ("one of " + ", ".join(shown) if len(shown) > 1 else shown[0])


def _brackets(found: list[Token]) -> tuple[str, Token | None]:
    """A hint and the bracket it is about when brackets do not balance, else ('', None)."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    stack: list[Token] = []
    for token in found:
        if token.kind != "punct":
            continue
        if token.text in pairs:
            stack.append(token)
        elif token.text in pairs.values():
            if not stack:
                return f"this {token.text} closes nothing (one too many?)", token
            if pairs[stack[-1].text] != token.text:
                return (
                    f"a closing {pairs[stack[-1].text]} is missing before this {token.text}",
                    token,
                )
            stack.pop()
    if stack:
        return f"a closing {pairs[stack[-1].text]} is missing", None
    return "", None


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn ``a`` into ``b``."""
    previous, current = list(range(len(b) + 1)), [0] * (len(b) + 1)
    before: list[int] = []
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[len(b)]


def _near(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate one typo away (two for words over 4 letters), ignoring case."""
    limit = 1 if len(word) <= 4 else 2
    best, best_distance = None, limit + 1
    for candidate in candidates:
        distance = _distance(word.casefold(), candidate.casefold())
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best if len(word) > 1 or best_distance == 0 else None


def _word_hint(token: Token) -> str:
    word = token.text
    close = _near(word, _MAIN_KEYWORDS) or _near(word, sorted(KEYWORDS))
    if close:
        return f"{word} is not a SPARQL keyword; did you mean {close}?"
    return f'{word} is not a SPARQL keyword (a variable is written ?{word}, a string "{word}")'


def _prefix_hint(token: Token, predeclared: Mapping[str, str]) -> str:
    name = f"{token.prefix}:"
    listed = ", ".join(sorted(predeclared))
    close = _near(token.prefix, sorted(predeclared))
    meant = f"did you mean {close}:? " if close else ""
    return (
        f"unknown prefix {name} in {token.text}; {meant}Declare it with "
        f"PREFIX {name} <namespace-IRI> or use a predeclared prefix: {listed} "
        "(`kg prefixes` lists them with their namespaces)"
    )


def explain_syntax_error(
    error: QueryError, text: str, predeclared: Mapping[str, str]
) -> SparqlSyntaxError:
    """``error`` as one readable line with a hint; ``text`` is the query that failed.

    Hints, first that applies: an unknown prefix (with the predeclared ones), a word that is
    no keyword (with the closest keyword), a string never closed, brackets that do not
    balance. A message that is no parser error (a limit, say) only loses its line breaks.
    """
    if isinstance(error, SparqlSyntaxError):
        return error
    original = error.message
    flat = " ".join(original.split())
    if not re.match(r"(syntax error: )?expected ", flat, re.IGNORECASE) and not (
        flat.startswith("syntax error")
    ):
        return SparqlSyntaxError(flat, error.line, error.column, original=original)
    try:
        code = canonical_query(text)
    except QueryError:
        code = text
    found = list(tokens(code))
    declared = declared_prefixes(found)
    hint, at = "", None
    for token in found:
        if token.kind == "pname" and token.prefix not in declared | dict(predeclared):
            hint, at = _prefix_hint(token, predeclared), token
            break
    if not hint:
        for token in found:
            if token.kind == "word" and token.text.upper() not in KEYWORDS:
                hint, at = _word_hint(token), token
                break
    if not hint:
        for token in found:
            if token.kind == "open_string":
                hint, at = "this string is never closed (a quote is missing)", token
                break
    line, column = error.line, error.column
    if at is not None:
        line, column = position(code, at.start)
        return SparqlSyntaxError(hint, line, column, hint=hint, original=original)
    message = _plain_message(flat)
    near = ""
    if line is not None and column is not None:
        offset = _offset(code, line, column)
        following = next((t for t in found if t.start >= offset), None)
        if offset >= len(code.rstrip()) or following is None:
            near = "the end of the query"
        else:
            near = following.text[:40]
    hint, bracket = _brackets(found)
    if bracket is not None:
        line, column = position(code, bracket.start)
        message = hint
    elif hint:
        message = f"{hint} (the parser stopped at {near or 'this point'})"
    elif near == "the end of the query" and message.startswith("expected"):
        message = f"{message} (at the end of the query)"
    elif near and message.startswith("expected"):
        message = f"{message} (found {near})"
    return SparqlSyntaxError(message, line, column, hint=hint, original=original)


def _offset(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        newline = text.find("\n", start)
        if newline < 0:
            return len(text)
        start = newline + 1
    return start + column - 1


# -- the vocabulary, for `kg vocab` -------------------------------------------------------

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_KINDS = {
    f"{_OWL}Class": "class",
    f"{_OWL}ObjectProperty": "object property",
    f"{_OWL}DatatypeProperty": "datatype property",
    f"{_OWL}AnnotationProperty": "annotation property",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property": "property",
    f"{_RDFS}Datatype": "datatype",  # cdek:PartialDate: a date, a month or a year
}
KIND_ORDER = (
    "class",
    "object property",
    "datatype property",
    "annotation property",
    "property",
    "datatype",
)


@dataclass(frozen=True)
class VocabularyTerm:
    """A class, property or individual that the ontology defines."""

    iri: str
    name: str  # as written in a query: cdek:Drug
    kind: str  # class, object property, datatype property, individual
    label: str
    domain: str = ""
    range: str = ""
    parents: tuple[str, ...] = ()  # superclasses of a class; the classes of an individual


def vocabulary(
    prefixes: Mapping[str, str],
    path: Path = paths.ONTOLOGY / "cdek.ttl",
    namespace: str = ONTOLOGY_NAMESPACE,
) -> list[VocabularyTerm]:
    """The terms under ``namespace`` that the ontology defines: classes, then object and
    datatype properties, then individuals (such as statistic kinds), each in file order.

    Names, domains and ranges are written with ``prefixes`` (as :func:`shorten` does).
    """
    facts: dict[str, dict[str, list[str]]] = {}
    labels: dict[str, str] = {}
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        subject, predicate, obj = quad.subject, quad.predicate.value, quad.object
        if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(namespace):
            continue
        if predicate == f"{_RDFS}label" and isinstance(obj, ox.Literal):
            if obj.language in (None, "", "en") or subject.value not in labels:
                labels[subject.value] = obj.value
            continue
        if isinstance(obj, ox.NamedNode):  # blank nodes (class expressions) are left out
            facts.setdefault(subject.value, {}).setdefault(predicate, []).append(obj.value)

    def short(iris: list[str]) -> str:
        return ", ".join(shorten(i, prefixes) for i in iris)

    terms: list[VocabularyTerm] = []
    for iri, said in facts.items():
        types = said.get(_RDF_TYPE, [])
        kind = next((_KINDS[t] for t in types if t in _KINDS), None)
        others = [t for t in types if t != f"{_OWL}NamedIndividual"]
        if kind is None and f"{_OWL}NamedIndividual" in types:
            kind = "individual"
        if kind is None:
            continue
        if kind == "class":
            parents = said.get(f"{_RDFS}subClassOf", [])
        else:
            parents = others if kind == "individual" else []
        terms.append(
            VocabularyTerm(
                iri=iri,
                name=shorten(iri, prefixes),
                kind=kind,
                label=labels.get(iri, ""),
                domain=short(said.get(f"{_RDFS}domain", [])),
                range=short(said.get(f"{_RDFS}range", [])),
                parents=tuple(shorten(p, prefixes) for p in parents),
            )
        )
    order = {kind: n for n, kind in enumerate((*KIND_ORDER, "individual"))}
    return sorted(terms, key=lambda t: order[t.kind])  # stable: file order within a kind
