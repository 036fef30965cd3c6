"""The seed graph: contents, merging, conflicts, determinism and formats."""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef

from kg.iris import DEFAULT_BASE
from kg.pipeline import BuildReport, run_build
from kg.vocab import CDEK

R = DEFAULT_BASE


def _one(graph: Graph, s: URIRef, p: URIRef) -> object:
    values = list(graph.objects(s, p))
    assert len(values) == 1, (s, p, values)
    return values[0]


def test_no_errors_and_every_document_read(seed_build: BuildReport) -> None:
    assert seed_build.errors == []
    files = {d.file[:3] for d in seed_build.corpus.documents.values()}
    assert files == {"000", "001", "002", "003", "004"}


def test_desmoid_hazard_ratio(seed_build: BuildReport) -> None:
    g = seed_build.result.graph
    hr = URIRef(R + "study/alliance-a091105/result/pfs-hazard-ratio-sorafenib-vs-placebo")
    assert _one(g, hr, CDEK.value).toPython() == Decimal("0.13")
    assert _one(g, hr, CDEK.ciLower).toPython() == Decimal("0.05")
    assert _one(g, hr, CDEK.ciUpper).toPython() == Decimal("0.31")
    assert _one(g, hr, CDEK.pValue).toPython() == Decimal("0.001")
    assert str(_one(g, hr, CDEK.pValueRelation)) == "<"
    sources = {str(s).rsplit("/", 1)[1] for s in g.objects(hr, CDEK.source)}
    assert sources == {"gounder-2018-nejm-manuscript", "gounder-2018-nejm-pubmed"}


def test_one_study_node_with_both_documents(seed_build: BuildReport) -> None:
    g = seed_build.result.graph
    study = URIRef(R + "study/alliance-a091105")
    reporters = set(g.subjects(CDEK.reportsStudy, study))
    assert {str(d).rsplit("/", 1)[1] for d in reporters} == {
        "gounder-2018-nejm-manuscript",
        "gounder-2018-nejm-pubmed",
    }
    assert len(list(g.subjects(CDEK.acronym, Literal("A091105")))) == 1


def test_conflicts_found(seed_build: BuildReport) -> None:
    found = {(c.quantity, c.fields) for c in seed_build.result.conflicts}
    assert ("study/alliance-a091105/result/orr-rate-placebo", ("ci_high",)) in found
    assert (
        "study/outcs/participants/treatment-lines-sorafenib-uterine-leiomyosarcoma",
        ("n",),
    ) in found
    assert ("study/outcs/participants/treatment-lines-sorafenib-liposarcoma", ("n",)) in found
    g = seed_build.result.graph
    conflict = URIRef(R + "study/alliance-a091105/result/orr-rate-placebo-conflict")
    highs = {
        _one(g, v, CDEK.ciUpper).toPython() for v in g.objects(conflict, CDEK.conflictingResult)
    }
    assert highs == {Decimal(37), Decimal(38)}


def test_registry_table_cells(seed_build: BuildReport) -> None:
    g = seed_build.result.graph
    orr = URIRef(R + "study/outcs/result/orr-rate-sorafenib-alveolar-soft-part-sarcoma")
    assert _one(g, orr, CDEK.value).toPython() == Decimal(40)
    assert _one(g, orr, CDEK.denominator).toPython() == 5
    pr = URIRef(
        R + "study/outcs/result/partial-response-count-sorafenib-alveolar-soft-part-sarcoma"
    )
    assert _one(g, pr, CDEK.count).toPython() == 2
    neuro = URIRef(R + "study/outcs/adverse-event/sorafenib-neurologic-toxicity-grade-1")
    assert _one(g, neuro, CDEK.count).toPython() == 9
    assert "does not match" in str(_one(g, neuro, CDEK.warning))


def test_misspelt_names_are_normalized(seed_build: BuildReport) -> None:
    messages = " ".join(str(w) for w in seed_build.warnings)
    assert "'Suntinib' read as 'sunitinib'" in messages
    assert "'CTNBB1' read as 'ctnnb1'" in messages


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_two_builds_are_byte_identical(seed_build: BuildReport, tmp_path) -> None:
    again = run_build(out=tmp_path, base=DEFAULT_BASE)
    for name, path in seed_build.outputs.items():
        if path.is_dir():  # the store: the same quads as graph.nq (tests/test_store.py)
            continue
        assert path.read_bytes() == again.outputs[name].read_bytes(), name


def test_outputs_hold_the_same_triples(seed_build: BuildReport) -> None:
    out = seed_build.outputs
    nt = {line for line in out["ntriples"].read_text().splitlines() if line}
    ox = pyoxigraph.parse(path=str(out["turtle"]), format=pyoxigraph.RdfFormat.TURTLE)
    ox_lines = {str(t) + " ." for t in ox}
    assert len(ox_lines) == len(nt) == len(seed_build.result.graph)
    ttl = Graph().parse(out["turtle"])
    jsonld = Graph().parse(out["jsonld"], format="json-ld")
    assert ttl.isomorphic(jsonld)
    assert ttl.isomorphic(Graph().parse(out["ntriples"], format="nt"))


def test_no_blank_nodes_and_configurable_base() -> None:
    # the minted IRIs come from the build, not the reasoner (whose triples go to inferred.ttl)
    report = run_build(out=None, base="https://example.org/kg/", reasoner=None)
    subjects = set(report.result.graph.subjects())
    assert all(isinstance(s, URIRef) for s in subjects)
    assert URIRef("https://example.org/kg/study/resort") in subjects
