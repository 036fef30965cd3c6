"""The SPARQL endpoint, started as a real server and queried over HTTP."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
import rdflib

from kg.pipeline import BuildReport

SPARQLWrapper = pytest.importorskip("SPARQLWrapper")

HR = "https://w3id.org/cdekg/resource/study/alliance-a091105/result/pfs-hazard-ratio-sorafenib-vs-placebo"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(seed_build: BuildReport) -> Iterator[str]:
    port = _free_port()
    graph: Path = seed_build.outputs["turtle"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "serve",
            "--graph",
            str(graph),
            "--port",
            str(port),
            "--timeout",
            "2",
            "--max-results",
            "500",
            "--workers",
            "1",
            "--max-chars",
            "200000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"the server did not start:\n{output}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wrapper(base: str, query: str, fmt: str, method: str = "GET"):
    client = SPARQLWrapper.SPARQLWrapper(f"{base}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client.query()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select(server: str, method: str) -> None:
    query = f"""PREFIX cdek: <https://w3id.org/cdekg/ontology#>
    SELECT ?value ?low ?high WHERE {{ <{HR}> cdek:value ?value ; cdek:ciLower ?low ;
    cdek:ciUpper ?high }}"""
    rows = _wrapper(server, query, SPARQLWrapper.JSON, method).convert()["results"]["bindings"]
    assert [(r["value"]["value"], r["low"]["value"], r["high"]["value"]) for r in rows] == [
        ("0.13", "0.05", "0.31")
    ]


def test_sparqlwrapper_ask_construct_and_xml(server: str) -> None:
    ask = _wrapper(server, "ASK { ?d a cdek:Drug }", SPARQLWrapper.JSON).convert()
    assert ask["boolean"] is True
    graph = _wrapper(
        server,
        "CONSTRUCT { ?d rdfs:label ?l } WHERE { ?d a cdek:Drug ; rdfs:label ?l }",
        SPARQLWrapper.TURTLE,
    ).convert()
    parsed = rdflib.Graph().parse(data=graph, format="turtle")
    assert len(parsed) == 22
    xml = _wrapper(server, "SELECT ?d WHERE { ?d a cdek:Drug }", SPARQLWrapper.XML).convert()
    assert len(xml.getElementsByTagName("result")) == 22


def test_protocol_forms_and_negotiation(server: str) -> None:
    query = "SELECT ?l WHERE { ?d a cdek:Drug ; rdfs:label ?l } ORDER BY ?l LIMIT 2"
    form = httpx.post(f"{server}/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/csv")
    assert form.text.splitlines() == ["l", "bevacizumab", "cetuximab"]
    direct = httpx.post(
        f"{server}/sparql",
        content=query,
        headers={"Content-Type": "application/sparql-query", "Accept": "text/tab-separated-values"},
    )
    assert direct.status_code == 200
    assert direct.text.splitlines()[0] == "?l"
    weighted = httpx.get(
        f"{server}/sparql",
        params={"query": query},
        headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml"},
    )
    assert weighted.headers["content-type"].startswith("application/sparql-results+xml")
    refused = httpx.get(
        f"{server}/sparql", params={"query": query}, headers={"Accept": "image/png"}
    )
    assert refused.status_code == 406


@pytest.mark.parametrize(
    "request_kwargs, status, message",
    [
        ({"data": {"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, 403, "read-only"),
        (
            {
                "content": "DELETE WHERE { ?s ?p ?o }",
                "headers": {"Content-Type": "application/sparql-update"},
            },
            403,
            "read-only",
        ),
        (
            {"data": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"}},
            403,
            "SERVICE",
        ),
        ({"data": {"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"}}, 403, "FROM"),
        ({"data": {"query": "SELECT * WHERE { ?s ?p }"}}, 400, "line 1, column"),
        ({"data": {"query": "SELECT * WHERE { ?s ?p ?o }"}}, 400, "more than 500 rows"),
        ({"data": {"nothing": "here"}, "headers": {"Accept": "application/json"}}, 400, "no query"),
        ({"content": "SELECT * {}", "headers": {"Content-Type": "text/plain"}}, 415, "send"),
        ({"data": {"query": "SELECT ?s WHERE { ?s ?p ?o } #" + "x" * 70_000}}, 413, "longer"),
        (
            {"content": b"x" * 300_000, "headers": {"Content-Type": "application/sparql-query"}},
            413,
            "larger than",
        ),
    ],
)
def test_bad_requests_get_4xx(server: str, request_kwargs: dict, status: int, message: str) -> None:
    response = httpx.post(f"{server}/sparql", **request_kwargs)
    assert response.status_code == status
    assert message in response.text


def test_time_limit_stops_the_query_and_the_server_goes_on(server: str) -> None:
    started = time.monotonic()
    slow = httpx.post(f"{server}/sparql", data={"query": SLOW}, timeout=60)
    assert slow.status_code == 503 and "time limit of 2 s" in slow.text
    assert time.monotonic() - started < 30
    after = httpx.get(f"{server}/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert after.status_code == 200 and after.json()["boolean"] is True


def test_cors_and_page(server: str) -> None:
    preflight = httpx.options(
        f"{server}/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    simple = httpx.get(
        f"{server}/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.org"}
    )
    assert simple.headers["access-control-allow-origin"] == "*"
    page = httpx.get(f"{server}/")
    assert page.status_code == 200 and "<textarea" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "https://" not in page.text.split("<script>")[1]  # nothing fetched from elsewhere
    listed = httpx.get(f"{server}/queries").json()
    assert len(listed) >= 12 and all(q["text"].strip() for q in listed)


class _Listener(http.server.BaseHTTPRequestHandler):
    """Records any request: the endpoint must never make one."""

    seen: ClassVar[list[str]] = []

    def _record(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.end_headers()
        self.wfile.write(b'{"head":{"vars":["s"]},"results":{"bindings":[]}}')

    do_GET = do_POST = _record

    def log_message(self, *args: object) -> None:
        pass


def test_no_trick_makes_the_server_fetch(server: str) -> None:
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    port = listener.server_address[1]
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    target = f"<http://127.0.0.1:{port}/sparql>"
    attacks = [
        f"SELECT ?s WHERE {{ BIND(cdek:a\\' AS ?x) SERVICE {target} {{ ?s ?p ?o }} }} # '",
        f"SELECT * WHERE {{ BIND(cdek:a\\# AS ?x) SERVICE {target} {{ ?s ?p ?o }} }}",
        f"SELECT ?s WHERE {{ ?s ?p 1SERVICE {target} {{ ?x ?y ?z }} }}",
        f"SELECT ?s WHERE {{ ?s ?p trueSERVICE {target} {{ ?x ?y ?z }} }}",
        f"select * where {{ service {target} {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE {target} {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * FROM {target} WHERE {{ ?s ?p ?o }}",
        f"SELECT * WHERE {{ \\u0053ERVICE {target} {{ ?s ?p ?o }} }}",
    ]
    try:
        for attack in attacks:
            response = httpx.post(f"{server}/sparql", data={"query": attack}, timeout=30)
            assert response.status_code in (400, 403), (attack, response.text)
    finally:
        listener.shutdown()
    assert _Listener.seen == []


def test_a_slow_check_does_not_block_the_server(server: str) -> None:
    """Checking runs in the worker under its time limit, not in the event loop."""
    slow = "SELECT * WHERE { FILTER(1" + "+1" * 20_000 + ") } # \\u0041"
    box: dict[str, httpx.Response] = {}
    thread = threading.Thread(
        target=lambda: box.update(
            r=httpx.post(f"{server}/sparql", data={"query": slow}, timeout=60)
        )
    )
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert httpx.get(f"{server}/health", timeout=10).status_code == 200
    assert time.monotonic() - started < 2
    thread.join(60)
    assert box["r"].status_code in (400, 503)


@pytest.mark.parametrize(
    "method, kwargs, status, check",
    [
        ("GET", {"params": {"query": ""}}, 400, "empty"),
        ("GET", {"params": {"query": "ASK {}"}, "headers": {"Accept": "text/csv"}}, 200, "text/csv"),
        ("GET", {"params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}}, 406, "ASK"),
        (
            "GET",
            {
                "params": {"query": "SELECT ?d { ?d a cdek:Drug } LIMIT 1"},
                "headers": {"Accept": "text/*"},
            },
            200,
            "text/csv",
        ),
        (
            "GET",
            {
                "params": {
                    "query": "SELECT ?d { ?d a cdek:Drug } LIMIT 1",
                    "format": "text/tab-separated-values",
                }
            },
            200,
            "text/tab-separated",
        ),
        (
            "GET",
            {
                "params": {"query": "CONSTRUCT WHERE { ?d a cdek:Drug } LIMIT 1"},
                "headers": {"Accept": "application/rdf+xml"},
            },
            200,
            "application/rdf+xml",
        ),
        (
            "GET",
            {
                "params": {"query": "SELECT ?d { ?d a cdek:Drug }"},
                "headers": {"Accept": "text/csv;Q=0, application/sparql-results+xml"},
            },
            200,
            "application/sparql-results+xml",
        ),
    ],
)
def test_negotiation_edges(server: str, method: str, kwargs: dict, status: int, check: str) -> None:
    response = httpx.request(method, f"{server}/sparql", **kwargs)
    assert response.status_code == status, response.text
    assert check in (response.headers["content-type"] if status == 200 else response.text)


def test_invalid_utf8_and_huge_answers(server: str) -> None:
    bad = httpx.get(f"{server}/sparql?query=ASK%20%7B%7D%FF")
    assert bad.status_code == 400 and "UTF-8" in bad.text
    doubling = "".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1}) " for i in range(18))
    big = httpx.post(
        f"{server}/sparql",
        data={"query": f'SELECT ?v18 WHERE {{ BIND("ab" AS ?v0) {doubling}}}'},
    )
    assert big.status_code == 400 and "200,000 characters" in big.text
