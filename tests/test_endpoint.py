"""The SPARQL endpoint, started as a real server and queried over HTTP."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
import rdflib
from servers import running_server

from kg.pipeline import BuildReport

SPARQLWrapper = pytest.importorskip("SPARQLWrapper")

HR = "https://w3id.org/cdekg/resource/study/alliance-a091105/result/pfs-hazard-ratio-sorafenib-vs-placebo"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def server(seed_build: BuildReport, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    options = ("--timeout", "2", "--max-results", "500", "--workers", "1")
    graph: Path = seed_build.outputs["turtle"]
    log_dir = tmp_path_factory.mktemp("endpoint")
    with running_server(graph, log_dir, *options, "--max-chars", "200000") as running:
        yield running.base


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
        (
            "GET",
            {"params": {"query": "ASK {}"}, "headers": {"Accept": "text/csv"}},
            200,
            "text/csv",
        ),
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


# -- the W3C SPARQL 1.1 Protocol, case by case -------------------------------------------

ASSERTED = "https://w3id.org/cdekg/resource/graph/asserted"
ONTOLOGY = "https://w3id.org/cdekg/ontology"
DRUGS = "SELECT ?d WHERE { ?d a cdek:Drug }"


def test_query_both_in_the_url_and_in_the_body_is_400(server: str) -> None:
    form = httpx.post(f"{server}/sparql?query=ASK%7B%7D", data={"query": "ASK {}"})
    assert form.status_code == 400 and "not in both" in form.text
    direct = httpx.post(
        f"{server}/sparql?query=ASK%7B%7D",
        content="ASK {}",
        headers={"Content-Type": "application/sparql-query"},
    )
    assert direct.status_code == 400 and "must not also be in the URL" in direct.text


def test_parameters_without_a_query_are_400_and_none_is_the_description(server: str) -> None:
    assert httpx.get(f"{server}/sparql?foo=bar").status_code == 400
    description = httpx.get(f"{server}/sparql", headers={"Accept": "text/turtle"})
    assert description.status_code == 200 and "sd:Service" in description.text


def test_head_answers_like_get_without_a_body(server: str) -> None:
    head = httpx.head(f"{server}/sparql", params={"query": "ASK {}"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "application/sparql-results+json"


@pytest.mark.parametrize(
    "return_format, media",
    [("XML", "application/rdf+xml"), ("JSONLD", "application/ld+json"), ("N3", "text/turtle")],
)
def test_sparqlwrapper_graph_formats(server: str, return_format: str, media: str) -> None:
    """SPARQLWrapper adds format=xml / json-ld / n3 to CONSTRUCT and DESCRIBE requests."""
    client = SPARQLWrapper.SPARQLWrapper(f"{server}/sparql")
    client.setQuery("CONSTRUCT { ?d a cdek:Drug } WHERE { ?d a cdek:Drug }")
    client.setReturnFormat(getattr(SPARQLWrapper, return_format))
    result = client.query()
    assert result.response.headers["content-type"].startswith(media)
    described = _wrapper(server, f"DESCRIBE <{HR}>", SPARQLWrapper.XML)
    assert described.response.headers["content-type"].startswith("application/rdf+xml")


def test_an_unknown_format_falls_back_to_accept(server: str) -> None:
    response = httpx.get(
        f"{server}/sparql",
        params={"query": DRUGS, "format": "no-such-format"},
        headers={"Accept": "text/csv"},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")


def test_protocol_dataset_names_local_graphs(server: str) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def n(**params: str) -> int:
        answer = httpx.get(f"{server}/sparql", params={"query": count, **params})
        assert answer.status_code == 200, answer.text
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    everything, ontology = n(), n(**{"default-graph-uri": ONTOLOGY})
    assert 0 < ontology < everything
    named = httpx.get(
        f"{server}/sparql",
        params={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": ONTOLOGY,
        },
    ).json()["results"]["bindings"]
    assert [row["g"]["value"] for row in named] == [ONTOLOGY]
    foreign = httpx.get(
        f"{server}/sparql", params={"query": count, "default-graph-uri": "http://example.org/g"}
    )
    assert foreign.status_code == 400 and "not a graph of this endpoint" in foreign.text


def test_rdflib_sparqlstore_with_a_graph_identifier(server: str) -> None:
    """rdflib's SPARQLStore sends default-graph-uri for a Graph with an identifier."""
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(f"{server}/sparql", returnFormat="json")
    graph = rdflib.Graph(store, identifier=rdflib.URIRef(ONTOLOGY))
    labels = graph.query(
        "SELECT ?l WHERE { <https://w3id.org/cdekg/ontology#Drug> rdfs:label ?l }",
        initNs={"rdfs": rdflib.RDFS},
    )
    assert [str(row[0]) for row in labels] == ["drug"]


@pytest.mark.parametrize(
    "path, kwargs",
    [
        ("/sparql", {"params": {"query": DRUGS}}),
        ("/sparql", {"params": {"query": "SELECT"}}),
        ("/sparql", {}),
        ("/", {}),
        ("/health", {}),
        ("/queries", {}),
        ("/nowhere", {}),
    ],
)
def test_every_answer_says_nosniff(server: str, path: str, kwargs: dict) -> None:
    response = httpx.get(f"{server}{path}", **kwargs)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_host_header_is_not_written_into_answers(server: str) -> None:
    response = httpx.get(
        f"{server}/sparql", headers={"Host": "evil.example", "Accept": "text/turtle"}
    )
    assert response.status_code == 200 and "evil" not in response.text
    parsed = rdflib.Graph().parse(data=response.text, format="turtle", publicID=f"{server}/sparql")
    endpoint = rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#endpoint")
    assert {str(o) for o in parsed.objects(None, endpoint)} == {f"{server}/sparql"}
