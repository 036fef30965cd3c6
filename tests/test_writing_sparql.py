"""Writing SPARQL: names that paste back, unknown terms, readable errors, the vocabulary,
tables that fit the terminal, text results."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import rdflib
from rich.console import Console

from kg import cli_query, cli_vocab, paths
from kg.api import KnowledgeGraph, display_prefixes
from kg.catalog import load_catalog
from kg.pipeline import BuildReport
from kg.results import GRAPH_FORMATS, ROW_FORMATS, QueryResult, compact
from kg.sparql import QueryError, check_query
from kg.terms import (
    SparqlSyntaxError,
    UnknownTermWarning,
    is_plain_local,
    ontology_terms,
    unknown_terms,
)

KGR = "https://w3id.org/cdekg/resource/"
CDEK = "https://w3id.org/cdekg/ontology#"


@pytest.fixture(scope="module")
def graph_file(seed_build: BuildReport) -> Path:
    return seed_build.outputs["turtle"]


@pytest.fixture(scope="module")
def graph(graph_file: Path) -> KnowledgeGraph:
    return KnowledgeGraph.load(graph_file)


def run_kg(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """A ``kg`` command in this process, registered as kg/cli.py does; no network sandbox
    (it would take the network from the whole test process)."""
    import kg.sandbox

    monkeypatch.setattr(kg.sandbox, "isolate_network", lambda: "none")
    parser = argparse.ArgumentParser(prog="kg")
    commands = parser.add_subparsers(dest="command", required=True)
    cli_query.register(commands)
    cli_vocab.register(commands)
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


# -- 1. IRIs are printed so that they paste back -------------------------------------------


def test_compact_writes_a_prefixed_name_only_when_it_is_legal_sparql() -> None:
    prefixes = display_prefixes()
    cases = {
        CDEK + "Drug": "cdek:Drug",
        "http://purl.obolibrary.org/obo/CHEBI_50924": "chebi:50924",
        KGR + "drug/sorafenib": f"<{KGR}drug/sorafenib>",  # '/' would need an escape
        KGR + "a,b": f"<{KGR}a,b>",
        KGR + "ends.": f"<{KGR}ends.>",  # a local name cannot end with '.'
        KGR + "x%20y": "kgr:x%20y",  # %XX is part of a plain local name
        "http://example.org/other": "<http://example.org/other>",
    }
    for iri, expected in cases.items():
        assert compact(rdflib.URIRef(iri), prefixes) == expected
    assert compact(rdflib.BNode("b0"), prefixes) == "_:b0"
    assert compact(rdflib.Literal("x"), prefixes) == "x"
    assert is_plain_local("a.b") and not is_plain_local("a/b") and not is_plain_local(".a")


def test_every_iri_a_table_prints_pastes_back(graph: KnowledgeGraph) -> None:
    result = graph.query(
        "SELECT ?s ?c ?x WHERE { ?s a ?c . OPTIONAL { ?s cdek:xref ?x } } ORDER BY ?s LIMIT 400"
    )
    iris = {str(t) for row in result.rows for t in row.values() if isinstance(t, rdflib.URIRef)}
    cells = {compact(rdflib.URIRef(i), result.prefixes) for i in iris}
    assert any(c.startswith("<" + KGR) for c in cells) and "cdek:Drug" in cells
    table = result.text_table()
    assert "kgr:" not in table  # the seed's kgr: IRIs all have '/' in them
    pasted = graph.query(f"SELECT ?x WHERE {{ VALUES ?x {{ {' '.join(sorted(cells))} }} }}")
    assert {str(row["x"]) for row in pasted.rows} == iris


# -- 2. unknown ontology terms are warned about ----------------------------------------------


def test_a_misspelt_term_is_warned_about_with_the_closest_one(graph: KnowledgeGraph) -> None:
    with pytest.warns(UnknownTermWarning, match=r"did you mean cdek:inhibits\?"):
        result = graph.query("SELECT ?d WHERE { ?d cdek:inhibts ?t }")
    assert len(result) == 0
    assert result.warnings == [
        "line 1, column 22: cdek:inhibts is not a term of the ontology (ontology/cdek.ttl), "
        "so it matches nothing; did you mean cdek:inhibits?"
    ]


def test_terms_are_found_in_code_only_and_in_every_spelling() -> None:
    prefixes = display_prefixes()
    text = (
        "PREFIX c: <https://w3id.org/cdekg/ontology#>\n"
        "# cdek:inComment is not code\n"
        "SELECT ?d WHERE {\n"
        "  ?d a cdek:drug, <https://w3id.org/cdekg/ontology#Studyarm>, c:ClinicalStudi ;\n"
        '     rdfs:label \'cdek:inString\', """cdek:inLong\n""" ;\n'
        "     cdek:inhibits ?t ; cdek:zzzzzz ?z .\n"
        "}"
    )
    found = unknown_terms(text, prefixes)
    assert [w.split(": ", 1)[1].split(" is not")[0] for w in found] == [
        "cdek:drug",
        "<https://w3id.org/cdekg/ontology#Studyarm>",
        "c:ClinicalStudi",
        "cdek:zzzzzz",
    ]
    assert found[0].startswith("line 4, column 8:") and found[0].endswith("cdek:Drug?")
    assert found[1].endswith("did you mean cdek:StudyArm?")
    assert found[2].endswith("did you mean cdek:ClinicalStudy?")
    assert found[3].endswith("matches nothing")  # nothing close
    # the canned questions use defined terms only
    for canned in load_catalog().values():
        assert unknown_terms(canned.text, prefixes) == [], canned.name
    assert CDEK + "inhibits" in ontology_terms()


def test_kg_query_prints_the_warning_on_stderr(
    graph_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "SELECT ?d WHERE { ?d a cdek:drug }"
    code, out, err = run_kg(
        ["query", query, "--graph", str(graph_file), "-f", "csv"], monkeypatch, capsys
    )
    assert code == 0 and out == "d\r\n"
    assert "warning: line 1, column 24: cdek:drug is not a term" in err
    assert "did you mean cdek:Drug?" in err


# -- 3. syntax errors are one readable line with a hint ---------------------------------------


@pytest.mark.parametrize(
    "text, where, says",
    [
        ("SELEC ?d WHERE { ?d cdek:inhibits ?t }", "line 1, column 1", "did you mean SELECT?"),
        ("SELECT ?d WHER { ?d a cdek:Drug }", "line 1, column 11", "did you mean WHERE?"),
        ("SELECT ?d {\n ?d a cdek:Drug } LIMT 2", "line 2, column 19", "did you mean LIMIT?"),
        (
            "SELECT ?d WHERE { ?d foo:inhibits ?t }",
            "line 1, column 22",
            "unknown prefix foo: in foo:inhibits; Declare it with PREFIX foo: <namespace-IRI> "
            "or use a predeclared prefix: biolink, cdek, chebi,",
        ),
        ("SELECT ?d WHERE { ?d cedk:inhibits ?t }", "line 1, column 22", "did you mean cdek:?"),
        ("SELECT ?d WHERE {\n ?d a cdek:Drug\n", "line 3, column 1", "a closing } is missing"),
        ("SELECT ?d { ?d a ?c FILTER(?c = 3 }", "line 1, column 35", "a closing ) is missing"),
        ('SELECT ?d { ?d rdfs:label "abc }', "line 1, column 27", "string is never closed"),
        ("SELECT d { ?d a cdek:Drug }", "line 1, column 8", "a variable is written ?d"),
    ],
)
def test_syntax_errors_read_as_one_line_with_a_hint(
    graph: KnowledgeGraph, text: str, where: str, says: str
) -> None:
    with pytest.raises(QueryError) as caught:
        graph.query(text)
    error = caught.value
    message = str(error)
    assert isinstance(error, SparqlSyntaxError)
    assert message.startswith(where + ":") and says in message, message
    assert "\n" not in message and "\\u{" not in message and "['" not in message
    assert error.original  # the parser's own message stays available


def test_kg_query_reports_the_rewritten_error(
    graph_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_kg(
        ["query", "SELECT ?d WHERE { ?d xyz:p ?t }", "--graph", str(graph_file)],
        monkeypatch,
        capsys,
    )
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: bad query: line 1, column 22: unknown prefix xyz:")
    assert "kg prefixes" in lines[0] and "Prefix not found" not in lines[0]


# -- 4. kg prefixes, kg vocab and the README's tables ------------------------------------------


def test_kg_prefixes_lists_the_predeclared_ones(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = run_kg(["prefixes"], monkeypatch, capsys)
    assert code == 0
    for prefix, namespace in display_prefixes().items():
        assert f"{prefix}:" in out and namespace in out
    code, out, _ = run_kg(["prefixes", "--sparql"], monkeypatch, capsys)
    assert code == 0 and out.count("PREFIX ") == len(display_prefixes())
    check_query(out + "ASK { ?s cdek:inhibits ?o }")  # the lines are valid SPARQL


def test_kg_vocab_lists_every_term_with_an_example(
    graph_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run_kg(["vocab", "--graph", str(graph_file)], monkeypatch, capsys)
    assert code == 0
    defined = sorted(i for i in ontology_terms() if i.startswith(CDEK))
    for iri in defined:
        assert f"cdek:{iri[len(CDEK) :]} " in out, iri
    assert "sorafenib → BRAF" in out
    rows = {row["term"]: row for row in cli_vocab.vocabulary_rows(None)}
    assert len(rows) == len(defined)
    assert rows["cdek:inhibits"] == {
        "term": "cdek:inhibits",
        "kind": "object property",
        "label": "inhibits",
        "domain": "cdek:Drug",
        "range": "cdek:Target",
        "example": "",  # no graph: the ontology alone
    }
    assert rows["cdek:GeneProduct"]["kind"] == "class (subclass of cdek:Target)"
    code, out, _ = run_kg(["vocab", "--no-examples", "-f", "md"], monkeypatch, capsys)
    assert code == 0 and out.startswith("| term | kind | label | domain | range | example |")


def test_the_readme_tables_are_what_the_functions_produce(
    graph: KnowledgeGraph,
) -> None:
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    vocab = cli_vocab.vocabulary_markdown(cli_vocab.vocabulary_rows(graph))
    assert "| `cdek:inhibits` | object property | inhibits |" in vocab
    expected = cli_vocab.fill_readme(readme, cli_vocab.prefixes_markdown(), vocab)
    assert "<!-- vocab:start" in readme and "<!-- prefixes:start" in readme
    assert readme == expected, (
        "README.md's generated tables are out of date: "
        "run `kg vocab --graph out/graph.ttl --update README.md` after `kg build`"
    )


def test_registering_the_commands_imports_nothing_heavy() -> None:
    code = (
        "import argparse, sys\n"
        "from kg import cli_query, cli_vocab\n"
        "commands = argparse.ArgumentParser().add_subparsers()\n"
        "cli_query.register(commands); cli_vocab.register(commands)\n"
        "heavy = {'rdflib', 'pyoxigraph', 'rich'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=paths.ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    # the format names the query command offers without importing kg.results
    assert [*ROW_FORMATS, *GRAPH_FORMATS] == cli_query._FORMATS


# -- 5. tables fit the terminal and name studies and arms ---------------------------------------


def _render(result: QueryResult, width: int, labels: dict[str, str]) -> str:
    console = Console(file=io.StringIO(), width=width, highlight=False)
    console.print(result.rich_view(console.width, labels))
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_the_efficacy_table_fits_the_width_and_names_studies(graph: KnowledgeGraph) -> None:
    result = graph.query("02-efficacy-of-drug", drug="sorafenib")
    labels = graph.labels(result.unnamed_iris())
    assert labels[KGR + "study/decision"] == "DECISION"  # an acronym before the label
    for width in (60, 100, 400):
        text = _render(result, width, labels)
        assert max(len(line) for line in text.splitlines()) <= width
        assert "DECISION" in text and "Placebo" in text
        assert KGR not in text
        assert f"({len(result)} rows" in text
    wide = _render(result, 400, labels).splitlines()
    assert wide[0].split()[:4] == ["drug", "study", "endpoint", "arm"]  # one header line
    narrow = _render(result, 60, labels)
    assert "-[ row 1 ]-" in narrow  # too many columns for 60: one block per row
    with_iris = "".join(_render(result, 100, {}).split())  # folded cells joined again
    assert f"<{KGR}study/decision>" in with_iris and "DECISION" not in with_iris


def test_kg_query_fits_columns_and_keeps_other_formats(
    graph_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    base = ["query", "02-efficacy-of-drug", "--graph", str(graph_file)]
    code, out, _ = run_kg(base, monkeypatch, capsys)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 70
    assert "DECISION" in out and KGR not in out
    code, out, _ = run_kg([*base, "--iris"], monkeypatch, capsys)
    assert code == 0 and "DECISION" not in out and "study/decision" in out
    code, out, _ = run_kg([*base, "-f", "csv"], monkeypatch, capsys)
    assert code == 0
    expected = KnowledgeGraph.load(graph_file).query("02-efficacy-of-drug").text("csv")
    assert out.replace("\r\n", "\n") == expected.replace("\r\n", "\n")
    assert f"{KGR}study/decision" in out  # CSV keeps the IRIs
    assert max(len(line) for line in out.splitlines()) > 70  # and does not wrap


# -- 6. text results ----------------------------------------------------------------------------


def test_text_returns_str_and_serialize_keeps_bytes(graph: KnowledgeGraph) -> None:
    result = graph.query("SELECT ?l WHERE { ?d a cdek:Drug ; rdfs:label ?l } ORDER BY ?l")
    text = result.text("csv")
    assert isinstance(text, str) and text.startswith("l\r\nbevacizumab\r\n")
    assert result.serialize("csv") == text.encode()
    assert json.loads(result.text("json"))["head"]["vars"] == ["l"]
    assert isinstance(result.text(), str) and "(22 rows)" in result.text()
    # the endpoint's worker builds results positionally and needs bytes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        body = QueryResult(result.outcome, display_prefixes()).serialize("json")
    assert isinstance(body, bytes) and json.loads(body) == json.loads(result.text("json"))
    turtle = graph.query("CONSTRUCT WHERE { ?d a cdek:Drug }").text("turtle")
    assert isinstance(turtle, str) and "cdek:Drug" in turtle


def test_query_errors_are_coloured_on_a_terminal_and_plain_in_a_pipe(
    seed_build: BuildReport,
) -> None:
    import subprocess
    import sys

    graph = str(seed_build.outputs["turtle"])

    def run(env: dict[str, str]) -> str:
        return subprocess.run(
            [sys.executable, "-m", "kg.cli", "query", "-", "--graph", graph],
            input="SELEC ?x WHERE { ?x ?p ?o }",
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")} | env,
            timeout=120,
        ).stderr

    coloured, plain = run({"FORCE_COLOR": "1"}), run({})
    assert "\x1b[" in coloured and "error:" in coloured
    assert plain.startswith("error: bad query:") and "\x1b[" not in plain


def test_loading_the_ontology_itself_gives_each_row_once() -> None:
    from kg import paths

    graph = KnowledgeGraph.load(paths.ONTOLOGY / "cdek.ttl")
    rows = graph.query("SELECT ?l WHERE { cdek:Drug rdfs:label ?l }").rows
    assert len(rows) == 1 and len(graph) == len(rdflib.Graph().parse(paths.ONTOLOGY / "cdek.ttl"))
