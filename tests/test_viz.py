"""The HTML views: what they hold, and that the page is offline and escapes every string."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef

from kg.cli import main
from kg.pipeline import BuildReport
from kg.viz import (
    STYLES,
    View,
    drug_view,
    query_view,
    render_html,
    study_view,
    whole_view,
    write_view,
)
from kg.vocab import CDEK

RESOURCE = Namespace("https://w3id.org/cdekg/resource/")
EVIL = "<img src=x onerror=alert(1)>"


def evil_graph() -> Graph:
    """A tiny graph whose labels try to run script, break out of tags, and trip pyvis."""
    graph = Graph()
    drug, disease = RESOURCE["drug/evil"], RESOURCE["disease/evil"]
    study = RESOURCE["study/evil"]
    graph.add((drug, RDF.type, CDEK.Drug))
    graph.add((drug, RDFS.label, Literal(EVIL)))
    graph.add((disease, RDF.type, CDEK.Disease))
    graph.add((disease, RDFS.label, Literal("</script><script>window.__pwned=1</script>")))
    graph.add((study, RDF.type, CDEK.ClinicalStudy))
    graph.add((study, RDFS.label, Literal("<a href='javascript:alert(2)'>trial</a> & co")))
    graph.add((study, CDEK.studiesDrug, drug))
    graph.add((study, CDEK.studiesCondition, disease))
    graph.add((study, CDEK.sponsor, Literal("<b onmouseover=alert(3)>href</b>")))
    return graph


def payload(html: str) -> dict:
    """The JSON data block of a page."""
    match = re.search(r'<script id="kg-data" type="application/json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def whole(seed_build: BuildReport) -> View:
    return whole_view(seed_build.result.graph)


@pytest.fixture(scope="module")
def whole_html(whole: View) -> str:
    return render_html(whole)


def test_build_writes_the_whole_graph_page(seed_build: BuildReport, whole: View):
    path = seed_build.outputs["html"]
    assert path.name == "graph.html" and path.is_file()
    data = payload(path.read_text(encoding="utf-8"))
    assert len(data["nodes"]) == whole.node_count and len(data["edges"]) == whole.edge_count


def test_page_is_self_contained(whole_html: str):
    assert "<link" not in whole_html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", whole_html)
    assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", whole_html)
    assert "vis.Network" in whole_html and "Content-Security-Policy" in whole_html
    assert "bootstrap" not in whole_html.lower()


def test_page_has_legend_search_and_filters(whole: View, whole_html: str):
    classes = {c for _, c in whole.graph.nodes(data="cls")}
    assert len(re.findall(r'data-class="(\w+)"', whole_html)) == len(classes)
    assert 'id="kg-search"' in whole_html and 'id="kg-legend"' in whole_html


def test_nodes_carry_class_style_labels_and_tooltips(seed_build: BuildReport, whole_html: str):
    graph = seed_build.result.graph
    for node in payload(whole_html)["nodes"]:
        style = STYLES[node["cls"]]
        assert (node["color"], node["shape"]) == (style.color, style.shape)
        label = str(graph.value(URIRef(node["id"]), RDFS.label))
        assert node["label"].replace("\n", ", ") == label  # the graph's own numbers and words
        assert node["title"].startswith(label)
    hr = next(
        n
        for n in payload(whole_html)["nodes"]
        if n["id"].endswith("pfs-hazard-ratio-sorafenib-vs-placebo")
    )
    assert "value = 0.13; 95.0% CI 0.05 to 0.31; p < 0.001" in hr["title"]
    assert "sources:" in hr["title"] and "[792-1036]" in hr["title"]


def test_edges_are_labelled_from_the_ontology(whole_html: str):
    labels = {e["label"] for e in payload(whole_html)["edges"]}
    assert {"has arm", "result arm", "regimen drug", "inhibits"} <= labels


def test_every_string_is_escaped():
    html = render_html(View("<script>alert('heading')</script>", whole_view(evil_graph()).graph))
    assert EVIL not in html and "<img" not in html
    assert "<script>alert(" not in html and "window.__pwned=1</script>" not in html
    assert "&lt;script&gt;alert(&#39;heading&#39;)&lt;/script&gt;" in html
    # only the closing tags of the data block, vis-network and the page's own script
    assert html.lower().count("</script") == 3
    labels = {n["label"] for n in payload(html)["nodes"]}
    assert EVIL in labels  # shown as text


def test_drug_view_follows_studies_arms_results_and_targets(seed_build: BuildReport):
    view = drug_view(seed_build.result.graph, "Sorafenib")
    nodes = set(view.graph)
    assert str(RESOURCE["study/decision/arm/placebo"]) in nodes
    assert (
        str(RESOURCE["target/braf"]) in nodes and str(RESOURCE["target/kdr"]) in nodes
    )  # VEGFR member
    assert not any("/arm/sunitinib" in n for n in nodes)  # other drugs' registry cohorts
    assert any(c == "AdverseEventResult" for _, c in view.graph.nodes(data="cls"))


def test_study_view(seed_build: BuildReport):
    view = study_view(seed_build.result.graph, "decision")
    arms = [n for n, c in view.graph.nodes(data="cls") if c == "StudyArm"]
    assert len(arms) == 2 and view.title.startswith("Study: DECISION")


def test_query_view_from_rows_and_from_a_construct():
    graph = evil_graph()
    drug, study = RESOURCE["drug/evil"], RESOURCE["study/evil"]
    rows = SimpleNamespace(variables=["d", "s"], rows=[{"d": drug, "s": study}], graph=None)
    view = query_view(graph, rows, title="q")
    assert view.node_count == 2 and view.edge_count == 1  # the graph's own edge, no extra
    constructed = Graph()
    constructed.add((drug, RDFS.seeAlso, RESOURCE["disease/evil"]))
    view = query_view(graph, SimpleNamespace(variables=[], rows=[], graph=constructed), title="q")
    assert view.node_count == 2 and view.extra_edges


def test_write_view_replaces_the_file(tmp_path: Path):
    target = tmp_path / "v.html"
    target.write_text("old", encoding="utf-8")
    write_view(whole_view(evil_graph()), target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["v.html"]


def test_viz_command_writes_focused_views(seed_build: BuildReport, tmp_path: Path):
    graph = str(seed_build.outputs["turtle"])
    assert main(["viz", "--graph", graph, "--drug", "sorafenib", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "views" / "drug-sorafenib.html").is_file()
    target = tmp_path / "d.html"
    assert main(["viz", "--graph", graph, "--disease", "desmoid tumor", "-o", str(target)]) == 0
    assert payload(target.read_text(encoding="utf-8"))["nodes"]


def test_viz_command_unknown_name(seed_build: BuildReport, capsys: pytest.CaptureFixture[str]):
    graph = str(seed_build.outputs["turtle"])
    assert main(["viz", "--graph", graph, "--drug", "nosuchdrug"]) == 2
    assert "no drug named 'nosuchdrug'" in capsys.readouterr().err


def test_viz_command_canned_query(seed_build: BuildReport, tmp_path: Path):
    pytest.importorskip("kg.api", reason="kg.api (the query layer) is not installed")
    target = tmp_path / "q.html"
    args = ["viz", "--graph", str(seed_build.outputs["turtle"]), "-o", str(target)]
    assert main([*args, "--query", "06-mechanism", "--param", "drug=sorafenib"]) == 0
    ids = {n["id"] for n in payload(target.read_text(encoding="utf-8"))["nodes"]}
    assert str(RESOURCE["drug/sorafenib"]) in ids and str(RESOURCE["target/braf"]) in ids
