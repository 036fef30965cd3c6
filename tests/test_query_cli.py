"""``kg queries`` and ``kg query`` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.catalog import load_catalog
from kg.pipeline import BuildReport


def kg(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def graph_file(seed_build: BuildReport) -> str:
    return str(seed_build.outputs["turtle"])


def test_queries_lists_every_question() -> None:
    done = kg("queries")
    assert done.returncode == 0
    for name in load_catalog():
        assert name in done.stdout


def test_canned_question_as_csv(graph_file: str) -> None:
    done = kg(
        "query",
        "03-comparative-results",
        "--graph",
        graph_file,
        "-f",
        "csv",
        "--param",
        "drug=Nexavar",
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [
        (r["value"], r["ci_lower"], r["ci_upper"], r["p_relation"], r["p_value"]) for r in rows
    ] == [("0.13", "0.05", "0.31", "<", "0.001")]


def test_query_from_stdin_and_file(graph_file: str, tmp_path: Path) -> None:
    text = "SELECT (COUNT(?d) AS ?n) WHERE { ?d a cdek:Drug }"
    done = kg("query", "-", "--graph", graph_file, "-f", "json", stdin=text)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]["bindings"][0]["n"]["value"] == "22"
    file = tmp_path / "mine.rq"
    file.write_text(
        "# title: Mine\n# param: drug (drug) a drug\n"
        "SELECT ?drug ?t WHERE { ?drug cdek:inhibits/rdfs:label ?t } ORDER BY ?t\n"
    )
    out = tmp_path / "answer.tsv"
    done = kg(
        "query",
        str(file),
        "--graph",
        graph_file,
        "-f",
        "tsv",
        "-p",
        "drug=sorafenib",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines()[1:] == [
        '<https://w3id.org/cdekg/resource/drug/sorafenib>\t"BRAF"',
        '<https://w3id.org/cdekg/resource/drug/sorafenib>\t"VEGF receptor family"',
    ]


def test_construct_gives_turtle(graph_file: str) -> None:
    done = kg(
        "query",
        "CONSTRUCT { ?d rdfs:label ?l } WHERE { ?d a cdek:Drug ; rdfs:label ?l }",
        "--graph",
        graph_file,
    )
    assert done.returncode == 0, done.stderr
    assert '<https://w3id.org/cdekg/resource/drug/sorafenib> rdfs:label "sorafenib"' in done.stdout
    assert "\\/" not in done.stdout  # no prefixed name that needs escapes


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["-"], "SELECT ?x WHERE {\n  ?x a cdek:Drug", "bad query: line 2, column"),
        (["-"], "DROP ALL", "read-only"),
        (["01-studies-of-drug", "-p", "drug=sorafenb"], None, "did you mean 'sorafenib'"),
        (["01-studies-of-drug", "-p", "drug"], None, "expected KEY=VALUE"),
        (["not-a-question"], None, "no canned question named 'not-a-question'"),
        (["ASK {}", "-f", "turtle"], None, "turtle is for CONSTRUCT/DESCRIBE"),
    ],
)
def test_errors_exit_non_zero_with_a_message(
    graph_file: str, args: list[str], stdin: str | None, message: str
) -> None:
    done = kg("query", *args, "--graph", graph_file, stdin=stdin)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_graph_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.ttl"
    done = kg("query", "ASK {}", "--graph", str(missing))
    assert done.returncode == 1
    assert f"{missing}: no such graph file" in done.stderr
