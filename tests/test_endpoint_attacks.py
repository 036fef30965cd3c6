"""Hostile queries against `kg serve` and `kg query`: fetch tricks (SSRF) and parser bombs.

The server runs as a real subprocess (two workers, a 2 s time limit). A local listener on
127.0.0.1 (and ::1 when the host has it) stands in for any machine a query might try to
reach: it records every accepted TCP connection before reading a byte, then every HTTP
request, and answers with a marker string. The contract under test:

* no query, however it is spelled, makes the server (or the CLI) connect anywhere; SERVICE
  is refused (400/403) or fails harmlessly, FROM / FROM NAMED naming a foreign IRI is
  refused (400/403), and the protocol's default-graph-uri / named-graph-uri get 400;
* a deeply nested or very long query gets 400 within 1 s, no worker process dies
  (/health reports workers_alive == workers) and the server keeps answering.

Nothing here leaves the loopback interface. Every IRI a query names points at the
listener, and the only code that is allowed to contact it is the sanity checks below.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from servers import Server, local_env, running_server

from kg.pipeline import BuildReport

WORKERS = 2
TIME_LIMIT = 2  # seconds, passed to --timeout
GRACE = 0.1  # a SERVICE call runs while the query runs: before its answer is sent
BOMB_SECONDS = 1.0  # a bomb must be answered within this
POST_BUDGET = 60_000  # bytes of a POSTed bomb: under the server's 64 KB cap
GET_BUDGET = 15_000  # bytes of a GET request target: uvicorn (h11) may refuse a head over 16 KB
TRIVIAL = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
MARKER = f"listener-marker-{uuid.uuid4().hex}"

# every request here goes to 127.0.0.1 or ::1: no proxy from the environment may step in
_get = functools.partial(httpx.get, trust_env=False)
_post = functools.partial(httpx.post, trust_env=False)


# --------------------------------------------------------------------------------------
# The listener


class _ListenerHandler(http.server.BaseHTTPRequestHandler):
    """Answers any HTTP request with the marker, as SPARQL results or as N-Triples."""

    server: _ListenerServer
    timeout = 3  # a client that connects and says nothing must not hold a thread forever

    def _answer(self) -> None:
        self.server.record(f"{self.command} {self.path} (Host: {self.headers.get('Host')})")
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        accept = self.headers.get("Accept") or ""
        if "triples" in accept or "turtle" in accept:  # someone loading it as RDF
            ctype = "application/n-triples"
            body = f'<urn:x:s> <urn:x:p> "{MARKER}" .\n'
        else:
            ctype = "application/sparql-results+json"
            cell = {"type": "literal", "value": MARKER}
            names = ["a", "b", "c", "s", "p", "o"]
            body = json.dumps(
                {"head": {"vars": names}, "results": {"bindings": [dict.fromkeys(names, cell)]}}
            )
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = _answer

    def log_message(self, *args: object) -> None:
        pass


class _ListenerServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], log: _Log, family: int) -> None:
        self.address_family = family
        self.log = log
        super().__init__(address, _ListenerHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look the address up (getfqdn): no name lookups here
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def record(self, event: str) -> None:
        self.log.add(f"[{self.server_address[0]}] {event}")

    def process_request(self, request: socket.socket, client_address: object) -> None:
        # called once per accepted connection, before anything is read from it: a bare
        # TCP connect (or a TLS hello) is on record even if no HTTP request follows
        self.record(f"connection from {client_address}")
        super().process_request(request, client_address)


class _Log:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[str] = []

    def add(self, event: str) -> None:
        with self._lock:
            self._events.append(event)

    def take(self) -> list[str]:
        """What was recorded since the last call (and forget it)."""
        with self._lock:
            events, self._events = self._events, []
        return events


@dataclass
class Listener:
    port: int
    ipv6: bool
    log: _Log

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def clear(self) -> None:
        self.log.take()

    def settle(self) -> list[str]:
        """Everything recorded so far, after giving late connections GRACE seconds."""
        time.sleep(GRACE)
        return self.log.take()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    """An IPv4 listener on a free port, plus one on [::1] with the same port if possible."""
    log = _Log()
    servers: list[_ListenerServer] = []
    for _ in range(20):
        v4 = _ListenerServer(("127.0.0.1", 0), log, socket.AF_INET)
        port = v4.server_address[1]
        try:
            v6 = _ListenerServer(("::1", port), log, socket.AF_INET6)
        except OSError:  # port taken on ::1, or no IPv6 at all
            v4.server_close()
            continue
        servers = [v4, v6]
        break
    else:  # no IPv6 loopback here: the [::1] case is skipped
        v4 = _ListenerServer(("127.0.0.1", 0), log, socket.AF_INET)
        servers = [v4]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Listener(servers[0].server_address[1], len(servers) == 2, log)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


# --------------------------------------------------------------------------------------
# The server and the CLI


@pytest.fixture(scope="module")
def graph(seed_build: BuildReport) -> Path:
    """The seed graph as Turtle, for the server and the CLI."""
    return seed_build.outputs["turtle"]


@pytest.fixture(scope="module")
def server(graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log_dir = tmp_path_factory.mktemp("attacks")
    options = ("--workers", str(WORKERS), "--timeout", str(TIME_LIMIT))
    with running_server(graph, log_dir, *options) as running:
        yield running


def _cli(graph: Path, query: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    """``kg query - --graph GRAPH -f json`` with ``query`` on stdin; also the seconds it took."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "query", "-", "--graph", str(graph), "-f", "json"],
        input=query.encode("utf-8"),
        capture_output=True,
        timeout=timeout,
        env=local_env(),
    )
    return done, time.monotonic() - started


@pytest.fixture(scope="module")
def cli_baseline(graph: Path) -> float:
    """Seconds the CLI takes for a trivial query (start-up and graph loading included)."""
    done, seconds = _cli(graph, TRIVIAL)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return seconds


# --------------------------------------------------------------------------------------
# Sending a query by each route of the protocol

ROUTES = ("GET", "POST-form", "POST-direct")


def _send(base: str, route: str, query: str, timeout: float = 10) -> httpx.Response:
    url = f"{base}/sparql"
    if route == "GET":
        return _get(url, params={"query": query}, timeout=timeout)
    if route == "POST-form":
        return _post(url, data={"query": query}, timeout=timeout)
    if route == "POST-direct":
        return _post(
            url,
            content=query.encode("utf-8"),
            headers={"Content-Type": "application/sparql-query"},
            timeout=timeout,
        )
    raise ValueError(route)


def _health(base: str) -> dict:
    response = _get(f"{base}/health", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# --------------------------------------------------------------------------------------
# The fetch (SSRF) corpus
#
# In a template, @T@ stands for http://127.0.0.1:<listener port>, @PORT@ for the port and
# @ESCAPED_T@ for @T@ with every character written as a \uXXXX escape.
# Written "\\u0053" is a SPARQL codepoint escape (backslash, u, four hex digits) in the query
# text; "\r", "\u2028"... are the real characters.

SERVICE_OK = frozenset({200, 400, 403})  # refused, or answered without reaching anything
REFUSED = frozenset({400, 403})
ANSWERED = frozenset({200})


@dataclass(frozen=True)
class Attack:
    id: str
    template: str
    allowed: frozenset[int] = SERVICE_OK
    cli_by_default: bool = False  # else the CLI run of this case is marked slow
    needs_ipv6: bool = False

    def render(self, port: int) -> str:
        target = f"http://127.0.0.1:{port}"
        return (
            self.template.replace("@ESCAPED_T@", _escaped(target))
            .replace("@T@", target)
            .replace("@PORT@", str(port))
        )


def _escaped(text: str) -> str:
    """Every character of ``text`` as a SPARQL \\uXXXX escape."""
    return "".join(f"\\u{ord(c):04X}" for c in text)


# the SERVICE clause that most cases hide, wrap or disguise
SVC = "SERVICE <@T@/x> { ?a ?b ?c }"
# a query the checker may read as "a BIND then a comment"; an engine that ends the comment
# at the character put in {eol} reads a live SERVICE after it
HIDDEN = "SELECT * WHERE { BIND(1 AS ?one) # hidden{eol}" + SVC + "\n}"


def _service_at(iri: str) -> str:
    return "SELECT * WHERE { SERVICE <" + iri + "> { ?a ?b ?c } }"


def _hidden(eol: str) -> str:
    return HIDDEN.replace("{eol}", eol)


ATTACKS = [
    # plain spellings
    Attack("service-plain", "SELECT * WHERE { " + SVC + " }", cli_by_default=True),
    Attack("service-silent", "SELECT * WHERE { SERVICE SILENT <@T@/x> { ?a ?b ?c } }"),
    Attack("service-lowercase", "select * where { service <@T@/x> { ?a ?b ?c } }"),
    Attack("service-mixed-case", "SeLeCt * WhErE { sErViCe SiLeNt <@T@/x> { ?a ?b ?c } }"),
    Attack("service-no-spaces", "SELECT*WHERE{SERVICE<@T@/x>{?a ?b ?c}}"),
    Attack("service-tabs", "SELECT\t*\tWHERE\t{\tSERVICE\t<@T@/x>\t{\t?a\t?b\t?c\t}\t}"),
    Attack("service-after-bom", "\ufeffSELECT * WHERE { " + SVC + " }"),
    Attack("service-after-null-byte", "SELECT * WHERE { BIND(1 AS ?one) \x00" + SVC + " }"),
    # a comment ended by something other than \n
    Attack("comment-ended-by-cr", _hidden("\r"), cli_by_default=True),
    Attack("comment-ended-by-crlf", _hidden("\r\n")),
    Attack("comment-ended-by-u2028", _hidden("\u2028")),
    Attack("comment-ended-by-u2029", _hidden("\u2029")),
    Attack("comment-ended-by-nel-x85", _hidden("\x85")),
    Attack("comment-ended-by-form-feed", _hidden("\f")),
    Attack("comment-ended-by-vertical-tab", _hidden("\v")),
    Attack("comment-with-null-byte-then-cr", _hidden("\x00\r")),
    Attack("comment-ended-by-escaped-lf", _hidden("\\u000a")),
    Attack("comment-ended-by-escaped-cr", _hidden("\\u000d")),
    # the keyword or the IRI behind codepoint escapes
    Attack("escape-u0053ERVICE", "SELECT * WHERE { \\u0053ERVICE <@T@/x> { ?a ?b ?c } }"),
    Attack("escape-U00000053ERVICE", "SELECT * WHERE { \\U00000053ERVICE <@T@/x> { ?a ?b ?c } }"),
    Attack("escape-SERV-u0049-CE", "SELECT * WHERE { SERV\\u0049CE <@T@/x> { ?a ?b ?c } }"),
    Attack("escape-iri-scheme", _service_at("\\u0068ttp://127.0.0.1:@PORT@/x")),
    Attack("escape-iri-every-char", _service_at("@ESCAPED_T@/x")),
    # SERVICE deep inside other patterns
    Attack("nested-groups", "SELECT * WHERE { { { { " + SVC + " } } } }"),
    Attack("in-optional", "SELECT * WHERE { BIND(1 AS ?one) OPTIONAL { " + SVC + " } }"),
    Attack("in-union", "SELECT * WHERE { { BIND(1 AS ?one) } UNION { " + SVC + " } }"),
    Attack("in-minus", "SELECT * WHERE { BIND(1 AS ?one) MINUS { " + SVC + " } }"),
    Attack("in-graph", "SELECT * WHERE { GRAPH ?g { " + SVC + " } }"),
    Attack("in-subquery", "SELECT * WHERE { { SELECT * WHERE { " + SVC + " } } }"),
    Attack("in-filter-exists", "SELECT * WHERE { BIND(1 AS ?one) FILTER EXISTS { " + SVC + " } }"),
    Attack("in-filter-not-exists", "ASK { FILTER NOT EXISTS { " + SVC + " } }"),
    # the endpoint as a variable
    Attack(
        "endpoint-from-values", "SELECT * WHERE { VALUES ?e { <@T@/x> } SERVICE ?e { ?a ?b ?c } }"
    ),
    Attack("endpoint-from-bind", "SELECT * WHERE { BIND(<@T@/x> AS ?e) SERVICE ?e { ?a ?b ?c } }"),
    Attack(
        "endpoint-computed",
        'SELECT * WHERE { BIND(IRI(CONCAT("http://127.0.0.1:", "@PORT@", "/x")) AS ?e) '
        "SERVICE ?e { ?a ?b ?c } }",
    ),
    # strings, IRIs and names that hide or fake the boundaries of code
    Attack(
        "string-closed-by-u0022",
        'SELECT * WHERE { BIND("a\\u0022 AS ?x) ' + SVC + ' } #" AS ?y) }',
    ),
    Attack(
        "string-closed-by-u0027",
        "SELECT * WHERE { BIND('a\\u0027 AS ?x) " + SVC + " } #' AS ?y) }",
    ),
    Attack(
        "long-string-single-quotes",
        "SELECT * WHERE { BIND('''a'' AS ?x) " + SVC + " BIND(''' AS ?y) }",
    ),
    Attack(
        "long-string-double-quotes",
        'SELECT * WHERE { BIND("""a"" AS ?x) ' + SVC + ' BIND(""" AS ?y) }',
    ),
    Attack(
        "long-string-quote-run",
        'SELECT * WHERE { BIND("""a"""" AS ?x) ' + SVC + ' #" AS ?y) }',
    ),
    Attack("hash-inside-iri", "SELECT * WHERE { BIND(<urn:x#y> AS ?x) " + SVC + " }"),
    Attack("hash-inside-string", 'SELECT * WHERE { BIND("#" AS ?x) ' + SVC + " }"),
    Attack(
        "escaped-quote-in-local-name",
        "SELECT * WHERE { BIND(cdek:a\\' AS ?x) " + SVC + " } # '",
    ),
    # the IRI made relative, prefixed, or its host spelled another way
    Attack("base-makes-iri-relative", "BASE <@T@/> SELECT * WHERE { SERVICE <x> { ?a ?b ?c } }"),
    Attack("prefixed-name", "PREFIX ex: <@T@/> SELECT * WHERE { SERVICE ex:x { ?a ?b ?c } }"),
    Attack("host-localhost", _service_at("http://localhost:@PORT@/x")),
    Attack("host-ipv6-loopback", _service_at("http://[::1]:@PORT@/x"), needs_ipv6=True),
    Attack("host-127.1", _service_at("http://127.1:@PORT@/x")),
    Attack("host-hex-0x7f.1", _service_at("http://0x7f.1:@PORT@/x")),
    Attack("host-decimal", _service_at("http://2130706433:@PORT@/x")),
    Attack("host-octal", _service_at("http://0177.0.0.1:@PORT@/x")),
    Attack("host-percent-encoded", _service_at("http://%31%32%37.0.0.1:@PORT@/x")),
    Attack("iri-with-userinfo", _service_at("http://u:p@127.0.0.1:@PORT@/x")),
    Attack("scheme-https", _service_at("https://127.0.0.1:@PORT@/x")),
    # the other query forms
    Attack("construct", "CONSTRUCT { ?a ?b ?c } WHERE { " + SVC + " }"),
    Attack("ask", "ASK { " + SVC + " }"),
    Attack("describe-where", "DESCRIBE ?a WHERE { " + SVC + " }"),
    # naming the listener is not fetching it: this one must be answered, without contact
    Attack("describe-iri", "DESCRIBE <@T@/x>", allowed=ANSWERED, cli_by_default=True),
    # dataset clauses naming a foreign graph
    Attack("from", "SELECT * FROM <@T@/x> WHERE { ?s ?p ?o } LIMIT 1", allowed=REFUSED),
    Attack(
        "from-named",
        "SELECT * FROM NAMED <@T@/x> WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1",
        allowed=REFUSED,
    ),
    Attack(
        "from-behind-cr-comment",
        "SELECT * # hidden\rFROM <@T@/x>\nWHERE { ?s ?p ?o } LIMIT 1",
        allowed=REFUSED,
        cli_by_default=True,
    ),
    Attack(
        "from-named-behind-cr-comment",
        "SELECT * # hidden\rFROM NAMED <@T@/x>\nWHERE { ?s ?p ?o } LIMIT 1",
        allowed=REFUSED,
    ),
    Attack("from-localhost", "ASK FROM <http://localhost:@PORT@/x> { ?s ?p ?o }", allowed=REFUSED),
]


def _attack_params(for_cli: bool = False) -> list:
    params = []
    for attack in ATTACKS:
        marks = [pytest.mark.slow] if for_cli and not attack.cli_by_default else []
        params.append(pytest.param(attack, id=attack.id, marks=marks))
    return params


def _skip_without_ipv6(attack: Attack, listener: Listener) -> None:
    if attack.needs_ipv6 and not listener.ipv6:
        pytest.skip("no IPv6 loopback here: a connection to [::1] could not be observed")


@pytest.mark.parametrize("attack", _attack_params())
def test_no_spelling_makes_the_server_fetch(
    server: Server, listener: Listener, attack: Attack
) -> None:
    _skip_without_ipv6(attack, listener)
    query = attack.render(listener.port)
    listener.clear()
    problems: list[str] = []
    for route in ROUTES:
        response = _send(server.base, route, query)
        # a fetch made while answering happened before the answer came back
        contacts = listener.log.take()
        if contacts:
            problems.append(f"{route}: the listener was contacted: {contacts}")
        if response.status_code not in attack.allowed:
            problems.append(
                f"{route}: status {response.status_code} not in {sorted(attack.allowed)}: "
                f"{_short(response.text)}"
            )
        if MARKER in response.text:
            problems.append(f"{route}: the answer holds what the listener sent")
    late = listener.settle()
    if late:
        problems.append(f"the listener was contacted after the answers: {late}")
    if not server.alive():
        problems.append(f"the server exited:\n{server.output()}")
    assert not problems, f"query {query!r}:\n" + "\n".join(problems)


@pytest.mark.parametrize("attack", _attack_params(for_cli=True))
def test_no_spelling_makes_the_cli_fetch(graph: Path, listener: Listener, attack: Attack) -> None:
    _skip_without_ipv6(attack, listener)
    query = attack.render(listener.port)
    listener.clear()
    done, _ = _cli(graph, query)
    contacts = listener.settle()
    stdout = done.stdout.decode(errors="replace")
    stderr = done.stderr.decode(errors="replace")
    assert not contacts, f"query {query!r}: the listener was contacted: {contacts}"
    assert MARKER not in stdout + stderr
    assert done.returncode >= 0, f"killed by signal {-done.returncode}: {stderr}"
    assert "Traceback" not in stderr, stderr
    if attack.allowed == REFUSED:
        assert done.returncode != 0, f"a foreign dataset was accepted: {stdout}"
    elif attack.allowed == ANSWERED:
        assert done.returncode == 0, stderr
    if done.returncode == 0:
        assert stdout.strip(), "exit code 0 but no answer"
    else:
        assert stderr.strip(), "a non-zero exit code without a message"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_protocol_dataset_parameters_are_refused(
    server: Server, listener: Listener, param: str, route: str
) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    foreign = f"{listener.base}/x"
    url = f"{server.base}/sparql"
    listener.clear()
    if route == "GET":
        response = _get(url, params={"query": query, param: foreign}, timeout=10)
    elif route == "POST-form":
        response = _post(url, data={"query": query, param: foreign}, timeout=10)
    else:  # the dataset parameters of a direct POST travel in the URL
        response = _post(
            url,
            params={param: foreign},
            content=query,
            headers={"Content-Type": "application/sparql-query"},
            timeout=10,
        )
    contacts = listener.settle()
    assert not contacts, f"the listener was contacted: {contacts}"
    assert response.status_code == 400, response.text
    assert MARKER not in response.text


# --------------------------------------------------------------------------------------
# Recursion bombs


@dataclass(frozen=True)
class Bomb:
    id: str
    build: Callable[[int], str]  # nesting depth or chain length -> query text
    size: int  # depth or length when POSTed
    cli_by_default: bool = False

    def post_text(self) -> str:
        return self.build(self.size)

    def get_text(self) -> str:
        """The deepest version whose GET request target fits under uvicorn's head limit."""
        if self.id not in _GET_TEXTS:
            size = self.size
            while len(target := _get_target(self.build(size))) > GET_BUDGET:
                # percent-encoding grows the text by a rough constant factor: scale down
                size = min(size - 1, int(size * GET_BUDGET / len(target) * 0.98))
            _GET_TEXTS[self.id] = self.build(size)
        return _GET_TEXTS[self.id]


_GET_TEXTS: dict[str, str] = {}


def _get_target(query: str) -> str:
    """The request target httpx would send for a GET of ``query``."""
    encoded = urllib.parse.urlencode({"query": query})
    if len(encoded) > 2 * GET_BUDGET:  # far too long: spare httpx, which refuses it anyway
        return "/sparql?" + encoded
    return httpx.URL("http://127.0.0.1/sparql", params={"query": query}).raw_path.decode("ascii")


def _filter(expression: str) -> str:
    return "SELECT * WHERE { FILTER(" + expression + ") }"


def _path(path: str) -> str:
    return "SELECT * WHERE { ?s " + path + " ?o }"


BOMBS = [
    Bomb("not-chain", lambda n: _filter("!" * n + "true"), 20_000, cli_by_default=True),
    Bomb("unary-minus-chain", lambda n: _filter("-" * n + "1 < 0"), 20_000),
    Bomb("unary-plus-chain", lambda n: _filter("+" * n + "1 < 0"), 20_000),
    Bomb("nested-parens-in-filter", lambda n: _filter("(" * n + "true" + ")" * n), 10_000),
    # rdflib expands codepoint escapes before it parses: these are parentheses to it
    Bomb(
        "escaped-nested-parens",
        lambda n: _filter("\\u0028" * n + "true" + "\\u0029" * n),
        4_000,
    ),
    Bomb("nested-not-parens", lambda n: _filter("!(" * n + "true" + ")" * n), 10_000),
    Bomb("nested-function-calls", lambda n: _filter("STR(" * n + "1" + ")" * n), 10_000),
    Bomb(
        "nested-groups",
        lambda n: "SELECT * WHERE " + "{" * n + "}" * n,
        5_000,
        cli_by_default=True,
    ),
    Bomb(
        "nested-optional",
        lambda n: "SELECT * WHERE { " + "OPTIONAL {" * n + "}" * n + " }",
        3_000,
    ),
    Bomb("nested-subqueries", lambda n: "SELECT * WHERE {" * n + "}" * n, 3_000),
    Bomb(
        "nested-not-exists",
        lambda n: "SELECT * WHERE { " + "FILTER NOT EXISTS {" * n + "}" * n + " }",
        2_500,
    ),
    Bomb("path-inverse-chain", lambda n: _path("^" * n + "a"), 20_000),
    Bomb("path-nested-parens", lambda n: _path("(" * n + "a" + ")" * n), 10_000),
    Bomb("path-nested-negation", lambda n: _path("!(" * n + "a" + ")" * n), 10_000),
    Bomb("path-sequence", lambda n: _path("a/" * n + "a"), 10_000),
    Bomb("path-alternatives", lambda n: _path("a|" * n + "a"), 10_000),
    Bomb("or-chain", lambda n: _filter("true||" * n + "true"), 9_000),
    Bomb("and-chain", lambda n: _filter("true&&" * n + "true"), 9_000),
    Bomb("plus-chain", lambda n: _filter("1+" * n + "1 > 0"), 20_000),
    # "{} UNION " would pass the 64 KB cap at 10,000 branches; without spaces 8,000 fit
    Bomb(
        "union-chain",
        lambda n: "SELECT * WHERE { " + "{}UNION" * n + "{} }",
        8_000,
        cli_by_default=True,
    ),
    Bomb(
        "nested-blank-node-lists",
        lambda n: "SELECT * WHERE { ?s a " + "[a " * n + "1" + "]" * n + " }",
        10_000,
    ),
    Bomb(
        "nested-collections",
        lambda n: "SELECT * WHERE { ?s a " + "(" * n + "1" + ")" * n + " }",
        10_000,
    ),
]


def _bomb_params(for_cli: bool = False) -> list:
    params = []
    for bomb in BOMBS:
        marks = [pytest.mark.slow] if for_cli and not bomb.cli_by_default else []
        params.append(pytest.param(bomb, id=bomb.id, marks=marks))
    return params


def _still_serving(server: Server) -> list[str]:
    """What is wrong with the server after a bomb: nothing, if all is well."""
    if not server.alive():
        return [f"the server exited with {server.process.returncode}:\n{server.output()}"]
    problems = []
    health = _health(server.base)
    if health.get("workers") != WORKERS or health.get("workers_alive") != WORKERS:
        problems.append(f"/health says {health}; expected {WORKERS} workers, all alive")
    started = time.monotonic()
    trivial = _post(f"{server.base}/sparql", data={"query": TRIVIAL}, timeout=10)
    seconds = time.monotonic() - started
    if trivial.status_code != 200 or seconds >= BOMB_SECONDS:
        problems.append(
            f"a trivial query then got {trivial.status_code} in {seconds:.2f} s: "
            f"{_short(trivial.text)}"
        )
    return problems


@pytest.mark.parametrize("bomb", _bomb_params())
def test_bombs_get_400_quickly_and_every_worker_survives(server: Server, bomb: Bomb) -> None:
    problems: list[str] = []
    for route, query in (("POST-direct", bomb.post_text()), ("GET", bomb.get_text())):
        started = time.monotonic()
        try:
            response = _send(server.base, route, query, timeout=10)
        except httpx.TransportError as error:
            problems.append(f"{route}: no answer ({type(error).__name__}: {error})")
            continue
        seconds = time.monotonic() - started
        where = f"{route} ({len(query.encode()):,} bytes)"
        # uvicorn's own refusal of an oversized head would be a 400 that proves nothing
        assert "Invalid HTTP request" not in response.text, f"{where}: the bomb is too big"
        if response.status_code != 400:
            problems.append(f"{where}: status {response.status_code}: {_short(response.text)}")
        if seconds >= BOMB_SECONDS:
            problems.append(f"{where}: answered in {seconds:.2f} s")
    problems += _still_serving(server)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("bomb", _bomb_params(for_cli=True))
def test_bombs_make_the_cli_fail_cleanly(graph: Path, cli_baseline: float, bomb: Bomb) -> None:
    done, seconds = _cli(graph, bomb.post_text())
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode >= 0, f"the CLI was killed by signal {-done.returncode}"
    assert 0 < done.returncode < 64, f"exit code {done.returncode}: {_short(stderr)}"
    assert stderr.strip(), "no error message"
    assert "Traceback" not in stderr, _short(stderr, 2000)
    # process start and graph loading are in the baseline; the bomb itself must be quick
    assert seconds < cli_baseline + 1.5, f"{seconds:.2f} s (a trivial query: {cli_baseline:.2f})"


# --------------------------------------------------------------------------------------
# The contract of /health, and checks that the test machinery itself works


def test_health_reports_the_workers(server: Server) -> None:
    health = _health(server.base)
    assert health.get("status") == "ok", health
    assert isinstance(health.get("triples"), int) and health["triples"] > 0, health
    assert health.get("workers") == WORKERS, health
    assert health.get("workers_alive") == WORKERS, health
    assert isinstance(health.get("sandbox"), str), health


def test_the_listener_records_a_bare_connection(listener: Listener) -> None:
    listener.clear()
    with socket.create_connection(("127.0.0.1", listener.port), timeout=2):
        pass  # connect, send nothing, hang up
    events = listener.settle()
    assert any("connection from" in e for e in events), events


def test_the_listener_records_a_request_and_answers_the_marker(listener: Listener) -> None:
    listener.clear()
    response = _get(f"{listener.base}/x?probe=1", timeout=5)
    events = listener.settle()
    assert MARKER in response.text
    assert any("GET /x?probe=1" in e for e in events), events


def test_the_listener_hears_ipv6_loopback_too(listener: Listener) -> None:
    if not listener.ipv6:
        pytest.skip("no IPv6 loopback here")
    listener.clear()
    with socket.create_connection(("::1", listener.port), timeout=2):
        pass
    assert any(e.startswith("[::1]") for e in listener.settle())


def test_an_unguarded_engine_would_reach_the_listener(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyoxigraph on its own fetches a plain SERVICE: so "no contact" above means a guard."""
    ox = pytest.importorskip("pyoxigraph")
    for name in list(os.environ):
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)
    listener.clear()
    plain = next(a for a in ATTACKS if a.id == "service-plain")
    try:
        rows = list(ox.Store().query(plain.render(listener.port)))
    except Exception as error:
        # the listener itself is proven by the tests above; a pyoxigraph built without
        # its HTTP client fails here without having connected
        if listener.settle():
            raise
        pytest.skip(f"this pyoxigraph does not fetch SERVICE: {error}")
    events = listener.settle()
    assert any("/x" in e for e in events), events
    assert MARKER in str(rows)


def test_the_corpus_is_what_it_claims() -> None:
    texts = [a.render(12345) for a in ATTACKS]
    assert len(set(texts)) == len(texts) >= 30
    assert len({a.id for a in ATTACKS}) == len(ATTACKS)
    # every case names the listener's port, literally or as escapes
    assert all("12345" in t or _escaped("12345") in t for t in texts)


@pytest.mark.parametrize("bomb", _bomb_params())
def test_each_bomb_fits_under_the_caps(bomb: Bomb) -> None:
    posted = bomb.post_text()
    assert len(posted.encode()) <= POST_BUDGET
    assert len(_get_target(bomb.get_text())) <= GET_BUDGET
    # the GET version is still a real bomb, not a token one
    assert len(bomb.get_text()) >= 3_000
