"""Query checking, parameter binding, result formats and the two engines agreeing."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
import rdflib
from rdflib.plugins.sparql.results.jsonresults import JSONResultParser
from rdflib.plugins.sparql.results.tsvresults import TSVResultParser
from rdflib.plugins.sparql.results.xmlresults import XMLResultParser

from kg.api import KnowledgeGraph
from kg.catalog import load_catalog, parse_header
from kg.engine import RdflibEngine, ResultTooLarge
from kg.pipeline import BuildReport
from kg.sparql import QueryError, QueryRefused, bind_values, check_query


@pytest.fixture(scope="module")
def graph(seed_build: BuildReport) -> KnowledgeGraph:
    return KnowledgeGraph.load(seed_build.outputs["turtle"])


@pytest.mark.parametrize(
    "text, message",
    [
        ("SELECT * WHERE { SERVICE <http://169.254.169.254/> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM"),
        ("SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM"),
        ("INSERT DATA { <http://a> <http://b> <http://c> }", "read-only"),
        ("LOAD <http://example.org/data.ttl>", "read-only"),
        ("DELETE WHERE { ?s ?p ?o }", "read-only"),
        # keywords glued to IRIs, and SPARQL's \\u escapes expanded before parsing
        ("SELECT * FROM<http://x>WHERE{?s ?p ?o}", "FROM"),
        ("SELECT * WHERE{SERVICE<http://x>{?s ?p ?o}}", "SERVICE"),
        ("SELECT * WHERE { \\u0053ERVICE <http://x> { ?s ?p ?o } }", "SERVICE"),
    ],
)
def test_reaching_out_or_writing_is_refused(text: str, message: str) -> None:
    with pytest.raises(QueryRefused, match=message):
        check_query(text)


def test_a_service_string_is_not_a_service_call() -> None:
    assert check_query('SELECT * WHERE { ?s ?p "SERVICE <http://x>" }').form == "SELECT"
    assert check_query("SELECT ?from WHERE { ?s ?p ?from } # SERVICE").form == "SELECT"
    assert check_query("SELECT * WHERE { SERVICE <http://x> { ?s ?p ?o } }", allow_remote=True)


TRICKS = [
    # escapes in local names that a naive scanner reads as a string or comment start
    "SELECT ?s WHERE { BIND(cdek:a\\' AS ?x) SERVICE <http://x> { ?s ?p ?o } } # '",
    "PREFIX ex: <http://ex/> SELECT * WHERE { BIND(ex:a\\# AS ?x) SERVICE <http://x> {?s ?p ?o} }",
    # a keyword glued to a number
    "SELECT ?s WHERE { ?s ?p 1SERVICE <http://x/> {?x ?y ?z} }",
]


@pytest.mark.parametrize("text", TRICKS)
def test_tricks_are_refused_or_rejected_never_run(text: str) -> None:
    with pytest.raises((QueryRefused, QueryError)):
        check_query(text)


def test_empty_and_too_deep_queries_are_errors() -> None:
    with pytest.raises(QueryError, match="empty"):
        check_query("  \n ")
    deep = "SELECT * WHERE " + "{" * 300 + " ?s ?p ?o " + "}" * 300
    with pytest.raises(QueryError, match="brackets nest more than 64 deep"):
        check_query(deep)


def test_syntax_error_gives_line_and_column(graph: KnowledgeGraph) -> None:
    with pytest.raises(QueryError) as caught:
        graph.query("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o > ) }")
    assert caught.value.line == 3 and caught.value.column is not None
    assert str(caught.value).startswith(f"line 3, column {caught.value.column}: expected one of")


@pytest.mark.parametrize(
    "text, form",
    [
        ("ASK { ?s ?p ?o }", "ASK"),
        ("DESCRIBE <http://a>", "DESCRIBE"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("SELECT ?s { ?s ?p ?o }", "SELECT"),
    ],
)
def test_query_forms(text: str, form: str) -> None:
    assert check_query(text).form == form


def test_bind_values_finds_the_top_level_where() -> None:
    text = 'SELECT ?x # WHERE {\nWHERE { ?x ?p "WHERE {" { SELECT ?y { ?y ?q ?r } } }'
    bound = bind_values(text, {"x": "<http://a>"})
    assert bound.startswith("SELECT ?x # WHERE {\nWHERE { VALUES (?x) { (<http://a>) } ?x ?p")
    assert bind_values("CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }", {"x": "<http://a>"}) == (
        "CONSTRUCT { ?x ?p ?o } WHERE { VALUES (?x) { (<http://a>) } ?x ?p ?o }"
    )


def test_header_errors_name_the_file(tmp_path) -> None:
    path = tmp_path / "bad.rq"
    with pytest.raises(ValueError, match=r"bad\.rq:2: bad parameter line"):
        parse_header(path, "# title: t\n# param: drug (colour) x\nSELECT ?drug {}")
    with pytest.raises(ValueError, match="not a variable"):
        parse_header(path, "# title: t\n# param: drug (drug) x\nSELECT ?x {}")


def test_results_formats_follow_the_w3c_specs(graph: KnowledgeGraph) -> None:
    result = graph.query("08-registry-response", drug="sorafenib")
    n = len(result.rows)
    assert n > 5
    parsed_json = JSONResultParser().parse(io.BytesIO(result.serialize("json")))
    assert len(parsed_json) == n
    parsed_xml = XMLResultParser().parse(io.BytesIO(result.serialize("xml")))
    assert len(parsed_xml) == n
    parsed_tsv = TSVResultParser().parse(io.StringIO(result.serialize("tsv").decode()))
    assert len(parsed_tsv) == n
    assert {str(r["histotype"]) for r in parsed_tsv} == {str(r["histotype"]) for r in result.rows}
    rows = list(csv.DictReader(io.StringIO(result.serialize("csv").decode())))
    assert len(rows) == n and rows[0].keys() == set(result.variables)
    angio = [r for r in rows if r["histotype"] == "angiosarcoma"]
    assert angio[0]["orr_percent"] == "21" and angio[0]["patients"] == "14"
    table = result.serialize("table").decode()
    assert "angiosarcoma" in table and f"({n} rows)" in table
    assert result.serialize("md").decode().startswith("| drug_label | histotype |")


def test_ask_and_construct(graph: KnowledgeGraph) -> None:
    assert graph.query("ASK { ?d a cdek:Drug ; rdfs:label 'sorafenib' }").boolean is True
    assert json.loads(graph.query("ASK { ?d a cdek:Nothing }").serialize("json")) == {
        "head": {},
        "boolean": False,
    }
    result = graph.query("CONSTRUCT { ?d rdfs:label ?l } WHERE { ?d a cdek:Drug ; rdfs:label ?l }")
    assert result.graph is not None and len(result.graph) == 22
    again = rdflib.Graph().parse(data=result.serialize("turtle"), format="turtle")
    assert len(again) == 22
    assert len(rdflib.Graph().parse(data=result.serialize("jsonld"), format="json-ld")) == 22


def test_result_cap(graph: KnowledgeGraph) -> None:
    with pytest.raises(ResultTooLarge, match="more than 10 rows"):
        graph.query("SELECT * WHERE { ?s ?p ?o }", max_results=10)
    doubling = "".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1}) " for i in range(16))
    with pytest.raises(ResultTooLarge, match="more than 10,000 characters"):
        graph.engine.run(f'SELECT ?v16 WHERE {{ BIND("ab" AS ?v0) {doubling}}}', max_chars=10_000)
    assert len(graph.query("SELECT * WHERE { ?s ?p ?o } LIMIT 10", max_results=10)) == 10


def test_dataframe(graph: KnowledgeGraph) -> None:
    pytest.importorskip("pandas")
    frame = graph.query("07-dose-schedule").to_dataframe()
    assert list(frame.columns)[:3] == ["drug", "frequency", "dose"]
    assert set(frame["frequency"]) == {"once daily", "twice daily"}


def _normal(value: object) -> object:
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):  # GROUP_CONCAT's order is not defined by SPARQL
        return "; ".join(sorted(value.split("; ")))
    return value


@pytest.mark.parametrize("name", sorted(load_catalog()))
def test_rdflib_baseline_agrees_with_pyoxigraph(
    graph: KnowledgeGraph, seed_build: BuildReport, name: str
) -> None:
    """Both engines give the same answer to every canned question (order aside)."""
    baseline = KnowledgeGraph.load(seed_build.outputs["turtle"], engine="rdflib")
    assert isinstance(baseline.engine, RdflibEngine)
    fast = graph.query(name).values()
    slow = baseline.query(name).values()

    def key(rows: list[dict]) -> list[tuple]:
        return sorted(
            (tuple((k, str(_normal(v))) for k, v in sorted(r.items())) for r in rows), key=str
        )

    assert len(fast) == len(slow)
    assert key(fast) == key(slow)


def test_results_writers_round_trip_through_pyoxigraph_readers() -> None:
    """Our XML, TSV and JSON writers, read back by pyoxigraph, give the same terms."""
    import csv
    import io

    import pyoxigraph as ox

    from kg.engine import Outcome
    from kg.results import QueryResult

    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    rows = [
        (
            ox.NamedNode("http://example.org/a?x=1&y=2"),
            ox.Literal('said "hi",\n\tthen \\ left <&>', language="en"),
            ox.BlankNode("b1"),
        ),
        (None, ox.Literal("3.5", datatype=decimal), ox.Literal("plain")),
    ]
    result = QueryResult(Outcome("SELECT", variables=["s", "l", "b"], rows=rows), {})
    for name, fmt in (
        ("json", ox.QueryResultsFormat.JSON),
        ("xml", ox.QueryResultsFormat.XML),
        ("tsv", ox.QueryResultsFormat.TSV),
    ):
        parsed = ox.parse_query_results(result.serialize(name), fmt)
        assert [tuple(solution[v] for v in ("s", "l", "b")) for solution in parsed] == rows, name
    table = list(csv.reader(io.StringIO(result.serialize("csv").decode(), newline="")))
    assert table == [
        ["s", "l", "b"],
        ["http://example.org/a?x=1&y=2", 'said "hi",\n\tthen \\ left <&>', "_:b1"],
        ["", "3.5", "plain"],
    ]
    ask = QueryResult(Outcome("ASK", boolean=False), {})
    for name, fmt in (("json", ox.QueryResultsFormat.JSON), ("xml", ox.QueryResultsFormat.XML)):
        assert bool(ox.parse_query_results(ask.serialize(name), fmt)) is False
