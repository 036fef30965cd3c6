"""The HTML views: what they hold, how they read, and that the page is offline and inert."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef

from kg.cli import main
from kg.pipeline import BuildReport
from kg.views import (
    Source,
    View,
    disease_view,
    drug_view,
    payload,
    query_view,
    render_html,
    study_view,
    whole_view,
    write_view,
)
from kg.views.layout import label_box
from kg.views.scope import ENTITY_CLASSES
from kg.views.style import CLASSES as STYLES
from kg.vocab import CDEK, OA

RESOURCE = Namespace("https://w3id.org/cdekg/resource/")
EVIL = "<img src=x onerror=alert(1)>"
PREFIXES = """PREFIX cdek: <https://w3id.org/cdekg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def evil_graph() -> Graph:
    """A small graph whose labels, quotes and links try to run script or break out of tags."""
    graph = Graph()
    drug, disease, study = RESOURCE["drug/evil"], RESOURCE["disease/evil"], RESOURCE["study/evil"]
    arm, regimen = RESOURCE["study/evil/arm/a"], RESOURCE["study/evil/regimen/a"]
    term, event = RESOURCE["adverse-event-term/evil"], RESOURCE["study/evil/adverse-event/a"]
    document, span = RESOURCE["document/evil"], RESOURCE["document/evil/span-0-10"]
    triples = [
        (drug, RDF.type, CDEK.Drug),
        (drug, RDFS.label, Literal(EVIL)),
        (drug, CDEK.xref, Literal("javascript:alert(5)")),
        (disease, RDF.type, CDEK.Disease),
        (disease, RDFS.label, Literal("</script><script>window.__pwned=1</script>")),
        (study, RDF.type, CDEK.ClinicalStudy),
        (study, RDFS.label, Literal("<a href='javascript:alert(2)'>trial</a> & co")),
        (study, CDEK.studiesDrug, drug),
        (study, CDEK.studiesCondition, disease),
        (study, CDEK.sponsor, Literal("<b onmouseover=alert(3)>href</b>")),
        (study, CDEK.hasArm, arm),
        (arm, RDF.type, CDEK.StudyArm),
        (arm, RDFS.label, Literal("<svg onload=alert(4)>")),
        (arm, CDEK.inStudy, study),
        (arm, CDEK.armRole, Literal("experimental")),
        (arm, CDEK.receivesRegimen, regimen),
        (regimen, RDF.type, CDEK.Regimen),
        (regimen, CDEK.regimenDrug, drug),
        (term, RDF.type, CDEK.AdverseEventTerm),
        (term, RDFS.label, Literal('=HYPERLINK("http://x"), <i>rash</i>')),
        (event, RDF.type, CDEK.AdverseEventResult),
        (event, CDEK.inStudy, study),
        (event, CDEK.resultArm, arm),
        (event, CDEK.adverseEventTerm, term),
        (event, CDEK.count, Literal(3)),
        (event, CDEK.denominator, Literal(12)),
        (event, CDEK.percent, Literal("25.0", datatype=XSD.decimal)),
        (event, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), span),
        (document, RDF.type, CDEK.SourceDocument),
        (document, RDFS.label, Literal("<script>doc</script>")),
        (document, RDFS.seeAlso, URIRef("javascript:alert(6)")),
        (span, RDF.type, CDEK.TextSpan),
        (span, OA.hasSource, document),
        (span, OA.start, Literal(0)),
        (span, OA.end, Literal(10)),
        (span, OA.exact, Literal("</script><img src=y onerror=alert(7)>")),
    ]
    for triple in triples:
        graph.add(triple)
    return graph


def data_of(html: str) -> dict:
    """The JSON data block of a page."""
    match = re.search(r'<script id="kg-data" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def select(source: Source, query: str) -> list[tuple]:
    """Rows of a SPARQL query on the view's own store, as plain values."""
    for name, iri in (("<DESMOID>", "disease/desmoid-tumor"), ("<SORAFENIB>", "drug/sorafenib")):
        query = query.replace(name, f"<{RESOURCE[iri]}>")
    rows = source.store.query(PREFIXES + query, use_default_graph_as_union=True)
    return [tuple(None if t is None else t.value for t in row) for row in rows]


@pytest.fixture(scope="module")
def source(seed_build: BuildReport) -> Source:
    return Source(seed_build.result.graph)


@pytest.fixture(scope="module")
def whole(source: Source) -> View:
    return whole_view(source)


@pytest.fixture(scope="module")
def sorafenib(source: Source) -> View:
    return drug_view(source, "sorafenib")


def test_build_writes_the_whole_graph_page(seed_build: BuildReport, whole: View):
    path = seed_build.outputs["html"]
    assert path.name == "graph.html" and path.is_file()
    data = data_of(path.read_text(encoding="utf-8"))
    assert len(data["nodes"]) == whole.node_count and len(data["edges"]) == whole.edge_count


def test_page_is_self_contained(whole: View):
    html = render_html(whole)
    assert "<link" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", html)
    assert "vis.Network" in html and "Content-Security-Policy" in html


def test_every_string_is_escaped():
    html = render_html(whole_view(evil_graph(), limit=0))
    for raw in (EVIL, "<img", "<svg", "<script>doc", "<b onmouseover", "<i>rash"):
        assert raw not in html
    # only the closing tags of the data block, vis-network and the page's own script
    assert html.lower().count("</script") == 3
    labels = {n["l"] for n in data_of(html)["nodes"]}
    assert EVIL in labels and "<svg onload=alert(4)>" in labels  # shown as text, by the page


def test_classes_have_distinct_shapes_and_colours():
    """Regression: three classes shared the diamond, two a pink."""
    shapes = [s.shape for s in STYLES.values()]
    colours = [s.color.lower() for s in STYLES.values()]
    assert len(set(shapes)) == len(shapes) and len(set(colours)) == len(colours)


def test_overview_first_with_evidence_on_the_edges(whole: View):
    assert whole.overview and set(whole.initial) < set(whole.graph.nodes)
    classes = {whole.graph.nodes[n].cls for n in whole.initial}
    assert classes <= set(ENTITY_CLASSES) and "Drug" in classes and "Disease" in classes
    edge = next(
        e
        for e in whole.graph.edges
        if e.source == str(RESOURCE["drug/sorafenib"])
        and e.target == str(RESOURCE["disease/desmoid-tumor"])
        and e.kind == "summary"
    )
    # both studies of sorafenib in desmoid tumours: the trial and the registry cohort
    assert edge.short.startswith("2 studies") and "best HR 0.13" in edge.short
    assert "best hazard ratio: 0.13 (PFS, A091105)" in edge.tip and edge.width > 1


def test_small_views_draw_everything(source: Source):
    view = study_view(source, "DECISION")
    drawn = {view.graph.nodes[n].cls for n in view.initial}
    assert not view.overview and {"StudyArm", "ArmResult", "AdverseEventResult"} <= drawn


def test_sizes_follow_evidence_not_degree(whole: View):
    nodes = whole.graph.nodes
    hazard = nodes[
        str(RESOURCE["study/alliance-a091105/result/pfs-hazard-ratio-sorafenib-vs-placebo"])
    ]
    results = sorted(v.size for v in nodes.values() if v.cls == "ArmResult")
    assert hazard.size > results[len(results) // 2] and hazard.strong
    # adverse-event terms are hubs of many results, yet all drawn at one size
    terms = {v.size for v in nodes.values() if v.cls == "AdverseEventTerm"}
    assert len(terms) == 1
    arms = {v.label: v.size for v in nodes.values() if v.cls == "StudyArm" and "A091105" in v.tip}
    assert arms["Sorafenib 400 mg once daily"] > arms["Placebo"]  # 50 against 37 patients


def test_disease_view_stays_with_the_disease(source: Source):
    """Regression: desmoid tumour drew DECISION, RESORT and 13 drugs of the registry."""
    view = disease_view(source, "desmoid tumor")
    nodes = view.graph.nodes
    studies = {n for n, v in nodes.items() if v.cls in ENTITY_CLASSES and "/study/" in n}
    assert studies == {str(RESOURCE["study/alliance-a091105"]), str(RESOURCE["study/outcs"])}
    expected = select(
        source,
        """SELECT DISTINCT ?drug WHERE {
          { ?study cdek:studiesCondition <DESMOID> ;
                   cdek:hasArm ?arm }
          UNION { ?arm cdek:cohortCondition <DESMOID> }
          ?arm cdek:receivesRegimen/cdek:regimenDrug ?drug }""",
    )
    drugs = {n for n, v in nodes.items() if v.cls == "Drug"}
    assert (
        drugs
        == {d for (d,) in expected}
        == {
            str(RESOURCE["drug/sorafenib"]),
            str(RESOURCE["drug/imatinib"]),
        }
    )
    cohorts = {v.label for v in nodes.values() if v.cls == "StudyArm" and "OUTC" in v.tip}
    assert cohorts == {"imatinib · desmoid tumor", "sorafenib · desmoid tumor"}


@pytest.mark.parametrize(
    ("make", "name", "iri"),
    [
        (drug_view, "Nexavar", "drug/sorafenib"),
        (drug_view, "drugbank:DB00398", "drug/sorafenib"),
        (study_view, "NCT00984282", "study/decision"),
        (disease_view, "AF", "disease/desmoid-tumor"),
    ],
)
def test_names_resolve_as_kg_query_resolves_them(source: Source, make, name: str, iri: str):
    """Regression: a brand, a CURIE, an NCT id and an abbreviation all failed."""
    assert make(source, name).focus == [str(RESOURCE[iri])]


def test_unknown_name_says_so(source: Source):
    with pytest.raises(LookupError, match="no drug named 'nosuchdrug'"):
        drug_view(source, "nosuchdrug")


def test_labels_hold_no_internal_ids(whole: View):
    """Regression: "sorafenib--desmoid-tumor" and other record keys showed in labels."""
    for iri, node in whole.graph.nodes.items():
        assert "--" not in node.label and "https://" not in node.label, node.label
        assert "\n" not in node.label
        local = iri.rsplit("/", 1)[-1]
        minted = ("StudyArm", "ArmResult", "ComparativeResult", "AdverseEventResult", "Approval")
        if "-" in local and node.cls in minted:
            assert local not in node.label, (iri, node.label)
    approval = whole.graph.nodes[str(RESOURCE["approval/sorafenib-fda-renal-cell-carcinoma"])]
    assert approval.label == "FDA approval: renal cell carcinoma"


def test_rates_carry_their_denominators(source: Source, whole: View):
    """Regression: "ORR 100%" was one patient."""
    rows = select(
        source,
        """SELECT ?r ?n ?d WHERE { ?r a cdek:ArmResult ; cdek:unit "percent" ;
           cdek:denominator ?d . OPTIONAL { ?r cdek:count ?n } }""",
    )
    assert rows
    for result, count, denominator in rows:
        label = whole.graph.nodes[result].label
        want = f"({count}/{denominator})" if count is not None else f"(N={denominator})"
        assert want in label, label


def test_terms_keep_their_commas(whole: View, source: Source):
    """Regression: labels were split at every ", "."""
    rows = select(
        source,
        """SELECT ?t ?label WHERE { ?t a cdek:AdverseEventTerm ; rdfs:label ?label .
           FILTER(CONTAINS(?label, ", ")) }""",
    )
    assert rows
    for term, label in rows:
        assert whole.graph.nodes[term].label == label


def test_result_tooltips_name_the_study(whole: View, source: Source):
    for iri, node in whole.graph.nodes.items():
        if node.cls in ("ArmResult", "ComparativeResult", "AdverseEventResult"):
            study = source.facts.nodes[source.facts.nodes[iri].first("inStudy")]
            assert f"study: {study.one('acronym') or study.label}" in node.tip


def test_tooltips_quote_the_text(seed_build: BuildReport, seeds: Path):
    """Regression: tooltips gave offsets only; the quote now comes from the graph's oa:exact
    or, for a graph built without documents, from ``documents``."""
    bare = Source(seed_build.result.graph)
    quoted = Source(seed_build.result.graph, documents=seeds)
    hazard = "study/alliance-a091105/result/pfs-hazard-ratio-sorafenib-vs-placebo"
    without = payload(study_view(bare, "A091105"))
    within = payload(study_view(quoted, "A091105"))
    node = next(n for n in within["nodes"] if n["id"] == str(RESOURCE[hazard]))
    quotes = [within["spans"][s][4] for s in node["sp"]]
    assert any("0.13" in q and "0.31" in q for q in quotes), quotes
    assert not any(s[4] for s in without["spans"])


def test_quotes_come_from_the_graph_when_it_has_them():
    data = payload(whole_view(evil_graph()))
    assert [s[4] for s in data["spans"]] == ["</script><img src=y onerror=alert(7)>"]
    event = next(n for n in data["nodes"] if n["id"].endswith("/adverse-event/a"))
    assert event["sp"] == [0] and "study: " in event["t"]


def test_identifiers_are_links(sorafenib: View):
    node = sorafenib.graph.nodes[str(RESOURCE["drug/sorafenib"])]
    from kg.pipeline import prefix_converter

    link = prefix_converter().expand("drugbank:DB00398")
    assert ("drugbank:DB00398", link) in node.ids
    study = sorafenib.graph.nodes[str(RESOURCE["study/decision"])]
    trial = "clinicaltrials:NCT00984282"
    assert (trial, prefix_converter().expand(trial)) in study.ids


def test_registry_cohorts_grouped_by_histotype(whole: View):
    groups = {n: v for n, v in whole.graph.nodes.items() if v.cls == "CohortGroup"}
    gist = next(v for v in groups.values() if v.label.startswith("gastrointestinal stromal"))
    members = [n for n, v in whole.graph.nodes.items() if v.parent == gist.id]
    assert len(members) >= 2
    assert all("gastrointestinal stromal tumor" in whole.graph.nodes[m].label for m in members)


def test_drug_rows_are_the_results_of_its_arms(source: Source, sorafenib: View):
    node = sorafenib.graph.nodes[str(RESOURCE["drug/sorafenib"])]
    expected = select(
        source,
        """SELECT DISTINCT ?r WHERE { ?r cdek:resultArm ?arm .
           FILTER NOT EXISTS { ?r a cdek:QualitativeResult }  # findings without a number
           ?arm cdek:receivesRegimen/cdek:regimenDrug <SORAFENIB> }""",
    )
    assert set(node.rows) == {r for (r,) in expected}


def test_opening_layouts_do_not_overlap(whole: View):
    for name, positions in whole.positions.items():
        assert set(positions) == set(whole.initial), name
        boxes = {
            n: label_box(whole.graph.nodes[n].label, whole.graph.nodes[n].size) for n in positions
        }
        items = sorted(positions)
        clashes = [
            (a, b)
            for i, a in enumerate(items)
            for b in items[i + 1 :]
            if abs(positions[a][0] - positions[b][0]) < (boxes[a].width + boxes[b].width) / 2 - 1
            and abs(positions[a][1] + boxes[a].lift - positions[b][1] - boxes[b].lift)
            < (boxes[a].height + boxes[b].height) / 2 - 1
        ]
        assert not clashes, (name, clashes[:3])


def test_query_view_keeps_the_columns(source: Source):
    view = query_view(source, "03-comparative-results", {"drug": "sorafenib"}, title="q")
    assert view.query is not None and view.query.columns[:2] == ["drug", "study"]
    assert view.query.rows and str(RESOURCE["drug/sorafenib"]) in view.graph.nodes


def test_write_view_replaces_the_file_readable_by_others(tmp_path: Path):
    target = tmp_path / "v.html"
    target.write_text("old", encoding="utf-8")
    old = os.umask(0o022)
    try:
        write_view(whole_view(evil_graph()), target)
    finally:
        os.umask(old)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["v.html"]
    assert target.stat().st_mode & 0o777 == 0o644  # regression: 0600 from mkstemp


def run(*args: str) -> int:
    return main(["viz", *args])


def test_viz_command_names_views_by_what_they_show(seed_build: BuildReport, tmp_path: Path):
    graph = ["--graph", str(seed_build.outputs["turtle"]), "--out", str(tmp_path)]
    old = os.umask(0o022)
    try:
        assert run(*graph, "--drug", "Nexavar") == 0
        assert run(*graph, "--study", "NCT00984282") == 0
        assert run(*graph, "--query", "05-grade3-toxicity", "--param", "drug=imatinib") == 0
        assert run(*graph, "--query", "05-grade3-toxicity", "--param", "drug=sorafenib") == 0
    finally:
        os.umask(old)
    names = sorted(p.name for p in (tmp_path / "views").iterdir())
    assert names == [
        "drug-sorafenib.html",
        "query-05-grade3-toxicity--drug-imatinib--min-grade-3.html",
        "query-05-grade3-toxicity--drug-sorafenib--min-grade-3.html",
        "study-decision.html",
    ]  # regression: one file per query name, whatever the parameters
    assert all((tmp_path / "views" / n).stat().st_mode & 0o777 == 0o644 for n in names)


def test_viz_command_empty_answer_fails(
    seed_build: BuildReport, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """Regression: an empty answer wrote a blank page and exited 0."""
    target = tmp_path / "q.html"
    code = run(
        "--graph",
        str(seed_build.outputs["turtle"]),
        "-o",
        str(target),
        "--query",
        "01-studies-of-drug",
        "--param",
        "drug=metformin",
    )
    assert code == 1 and not target.exists()
    assert "answer is empty" in capsys.readouterr().err


def test_viz_command_unknown_name(seed_build: BuildReport, capsys: pytest.CaptureFixture[str]):
    assert run("--graph", str(seed_build.outputs["turtle"]), "--drug", "nosuchdrug") == 2
    assert "no drug named 'nosuchdrug'" in capsys.readouterr().err


def test_store_is_read_by_sparql(source: Source):
    assert isinstance(source.store, ox.Store) and len(source.facts.nodes) > 500
