"""The pages in a real headless Chromium with a 1600 x 1000 window and the network off:
readable at the zoom they open at, expandable, tabulated as SPARQL answers, exportable,
filterable, searchable, quiet (no request but file://) and inert under hostile labels."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_viz import EVIL, PREFIXES, RESOURCE, evil_graph  # tests/ is on sys.path under pytest

from kg import paths
from kg.pipeline import BuildReport
from kg.views import Source, drug_view, whole_view, write_view

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
READY_TIMEOUT = 60.0
WIDTH, HEIGHT = 1600, 1000

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
    reason="no headless browser: install Debian's chromium and chromium-driver (.ci/run does)",
)

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves, even if something tries
)


@contextmanager
def chromium(flags: Sequence[str] = FLAGS) -> Iterator[Any]:
    """Chromium driven by the system chromedriver (no Selenium Manager download), its page
    1600 x 1000 CSS pixels at device scale 1."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="kg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        metrics = {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[Any]:
    """Chromium with the network switched off; downloads go to ``downloads``."""
    with chromium() as driver:
        driver.execute_cdp_cmd("Network.enable", {})
        offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
        allow = {"behavior": "allow", "downloadPath": str(downloads)}
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", allow)
        # count dialogs instead of opening them, so a script that ran is seen, not hung on
        watch = "window.alert = window.confirm = window.prompt = () => { window.__alerted = 1; };"
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": watch})
        yield driver


@pytest.fixture(scope="module")
def source(seed_build: BuildReport) -> Source:
    """The seed graph; spans quoted from the seed documents when they are at hand."""
    documents = paths.SEEDS if paths.SEEDS.is_dir() else None
    return Source(seed_build.result.graph, documents=documents)


@pytest.fixture(scope="module")
def pages(
    seed_build: BuildReport, source: Source, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    return {
        "whole": seed_build.outputs["html"],
        "drug": write_view(drug_view(source, "sorafenib"), folder / "drug.html"),
        "evil": write_view(whole_view(evil_graph()), folder / "evil.html"),
    }


def open_page(driver: Any, page: Path) -> dict[str, Any]:
    """Load ``page`` from file://, wait until it is interactive; what the browser saw."""
    driver.get("about:blank")
    driver.get_log("performance")  # drop what came before this page
    driver.get_log("browser")
    driver.get(page.resolve().as_uri())
    deadline = time.monotonic() + READY_TIMEOUT
    while not driver.execute_script("return !!(window.kgView && window.kgView.ready)"):
        assert time.monotonic() < deadline, f"{page.name}: not interactive"
        time.sleep(0.05)
    seen = driver.execute_script(
        "return {drawn: kgView.state.drawn.size, total: kgView.data.nodes.length,"
        " ran: window.__pwned === 1 || window.__alerted === 1,"
        " images: [...document.images].map(i => i.src)}"
    )
    seen["requests"] = requested_urls(driver)
    seen["console"] = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    return seen


def requested_urls(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def screenshot(driver: Any, name: str) -> Path:
    """Save what the window shows to out/screenshots/ (for people to look at)."""
    target = paths.OUT / "screenshots" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(target))
    return target


def node_id(driver: Any, iri: str) -> int:
    return driver.execute_script("return kgView.index.get(arguments[0])", iri)


def node_point(driver: Any, node: int) -> tuple[Any, int, int]:
    """The canvas and the offset of ``node`` from its centre, for mouse actions."""
    canvas = driver.find_element("css selector", "#kg-network canvas")
    x, y = driver.execute_script(
        "const n = kgView.network, p = n.canvasToDOM(n.getPositions([arguments[0]])[arguments[0]]);"
        "return [p.x, p.y];",
        node,
    )
    return canvas, round(x - canvas.size["width"] / 2), round(y - canvas.size["height"] / 2)


def table(driver: Any) -> dict[str, list[str]]:
    """The rows the table shows: node IRI -> cells (a no-break space read as a space)."""
    return driver.execute_script(
        "const out = {};"
        "document.querySelectorAll('#kg-table tbody tr:not(.kg-src)').forEach(tr => {"
        " out[kgView.data.nodes[Number(tr.dataset.node)].id] ="
        "   [...tr.children].map(td => td.textContent.replace(/\\u00a0/g, ' ')); });"
        "return out;"
    )


def click_tab(driver: Any, name: str) -> None:
    driver.find_element("css selector", f'#kg-tabs button[data-tab="{name}"]').click()


def sparql(source: Source, query: str) -> list[tuple]:
    rows = source.store.query(PREFIXES + query, use_default_graph_as_union=True)
    return [tuple(None if t is None else t.value for t in row) for row in rows]


def number(text: str) -> Decimal | None:
    """The first number in a cell (``mean -26%`` -> -26, ``< 0.001`` -> 0.001)."""
    import re

    found = re.search(r"-?\d+(?:\.\d+)?", text.replace("−", "-"))
    return Decimal(found.group()) if found else None


# -- the overview --------------------------------------------------------------------------------


def test_a_p_value_and_its_relation_stay_on_one_line(browser: Any, pages: dict[str, Path]):
    """The results table opens on the desmoid HR row: its p cell, ``< 0.001``, is one line of
    text (a narrow column once broke it into three), and the payload keeps a plain space."""
    open_page(browser, pages["whole"])
    cells = browser.execute_script(
        "return [...document.querySelectorAll('#kg-table td.kg-num')]"
        ".filter(td => /^<.0\\.001$/.test(td.textContent)).map(td => {"
        " const range = document.createRange(); range.selectNodeContents(td);"
        " const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));"
        " return [td.textContent, tops.size]; })"
    )
    assert cells, "no p cell of < 0.001 in the opening table"
    for text, lines in cells:
        assert text == "<\u00a00.001" and lines == 1, f"{text!r} takes {lines} lines"
    assert '"\\u003c 0.001"' in pages["whole"].read_text(encoding="utf-8")


def test_overview_labels_readable_at_the_opening_zoom(browser: Any, pages: dict[str, Path]):
    """Every label drawn at the opening zoom is at least 11 px on screen: the canvas's own
    font size times the transform the canvas applies (zoom, device pixels)."""
    seen = open_page(browser, pages["whole"])
    assert seen["console"] == [] and seen["drawn"] < seen["total"]  # opens on the overview
    # the side bar (saying what is loading) is rendered before the work starts
    assert browser.execute_script("return kgPerf.framesBefore") == 2
    measured = browser.execute_script(
        "const sizes = [], proto = CanvasRenderingContext2D.prototype, fill = proto.fillText;"
        "proto.fillText = function (text, x, y) {"
        "  const px = parseFloat(/(\\d+(?:\\.\\d+)?)px/.exec(this.font)[1]);"
        "  const t = this.getTransform();"  # an edge's label may be turned along the edge
        "  sizes.push(px * Math.hypot(t.a, t.b) / window.devicePixelRatio);"
        "  return fill.apply(this, arguments); };"
        "return new Promise(done => {"
        "  kgView.network.once('afterDrawing', () => { proto.fillText = fill; done(sizes); });"
        "  kgView.network.redraw(); });"
    )
    assert len(measured) >= seen["drawn"] * 0.9, "labels were not drawn"
    assert min(measured) >= 11, f"smallest label {min(measured):.1f} px"
    inside = browser.execute_script(
        "const c = document.getElementById('kg-network'), n = kgView.network;"
        "const ids = [...kgView.state.drawn];"
        "return ids.filter(i => { const p = n.canvasToDOM(n.getPositions([i])[i]);"
        " return p.x >= 0 && p.y >= 0 && p.x <= c.clientWidth && p.y <= c.clientHeight; }).length"
    )
    assert inside >= 0.6 * seen["drawn"], f"only {inside} of {seen['drawn']} nodes in view"
    classes = browser.execute_script(
        "return [...new Set([...kgView.state.drawn].map(i =>"
        " kgView.data.classes[kgView.data.nodes[i].c].key))]"
    )
    screenshot(browser, "graph.png")
    assert set(classes) <= {
        "Drug",
        "GeneProduct",
        "TargetFamily",
        "Disease",
        "RandomizedControlledTrial",
        "RegistryStudy",
        "ObservationalStudy",
        "ClinicalStudy",
        "Approval",
    }


def test_expand_and_collapse_by_double_click(browser: Any, pages: dict[str, Path]):
    from selenium.webdriver.common.action_chains import ActionChains

    seen = open_page(browser, pages["whole"])
    decision = node_id(browser, str(RESOURCE["study/decision"]))
    arms = [
        node_id(browser, str(RESOURCE[f"study/decision/arm/{a}"])) for a in ("sorafenib", "placebo")
    ]
    before = set(browser.execute_script("return [...kgView.state.drawn]"))
    assert decision in before and not set(arms) & before
    canvas, dx, dy = node_point(browser, decision)
    ActionChains(browser).move_to_element_with_offset(canvas, dx, dy).click().perform()
    assert browser.find_element("css selector", "#kg-details h3").text == "DECISION"
    canvas, dx, dy = node_point(browser, decision)
    ActionChains(browser).move_to_element_with_offset(canvas, dx, dy).double_click().perform()
    grown = set(browser.execute_script("return [...kgView.state.drawn]"))
    assert set(arms) <= grown and before < grown
    canvas, dx, dy = node_point(browser, decision)
    ActionChains(browser).move_to_element_with_offset(canvas, dx, dy).double_click().perform()
    assert set(browser.execute_script("return [...kgView.state.drawn]")) == before
    assert seen["console"] == []


def test_back_undoes_and_hide_removes(browser: Any, pages: dict[str, Path]):
    open_page(browser, pages["drug"])
    start = browser.execute_script("return kgView.state.drawn.size")
    added = browser.execute_script(
        "return kgView.expand(kgView.index.get(arguments[0]))", str(RESOURCE["study/decision"])
    )
    assert added > 0
    browser.find_element("id", "kg-back").click()
    assert browser.execute_script("return kgView.state.drawn.size") == start
    browser.execute_script(
        "kgView.select(kgView.index.get(arguments[0]))", str(RESOURCE["target/braf"])
    )
    browser.find_element("id", "kg-hide").click()
    assert browser.execute_script("return kgView.state.drawn.size") == start - 1


# -- the table -----------------------------------------------------------------------------------

DRUG_RESULTS = """SELECT DISTINCT ?result ?acronym ?value ?low ?high ?p ?count ?denominator WHERE {
  ?result a ?class ; cdek:resultArm ?arm ; cdek:inStudy ?study ; cdek:value ?value .
  VALUES ?class { cdek:ArmResult cdek:ComparativeResult }
  ?arm cdek:receivesRegimen/cdek:regimenDrug <DRUG> .
  ?study cdek:acronym ?acronym .
  OPTIONAL { ?result cdek:ciLower ?low } OPTIONAL { ?result cdek:ciUpper ?high }
  OPTIONAL { ?result cdek:pValue ?p }
  OPTIONAL { ?result cdek:count ?count } OPTIONAL { ?result cdek:denominator ?denominator }
}"""
DRUG_EVENTS = """SELECT DISTINCT ?event ?term ?grade ?percent ?count ?denominator ?max WHERE {
  ?event a cdek:AdverseEventResult ; cdek:resultArm ?arm ;
         cdek:adverseEventTerm/rdfs:label ?term .
  ?arm cdek:receivesRegimen/cdek:regimenDrug <DRUG> .
  OPTIONAL { ?event cdek:grade ?grade } OPTIONAL { ?event cdek:percent ?percent }
  OPTIONAL { ?event cdek:count ?count } OPTIONAL { ?event cdek:denominator ?denominator }
  OPTIONAL { ?event cdek:gradeMax ?max }
}"""


def drug_query(text: str, drug: str = "drug/sorafenib") -> str:
    return text.replace("<DRUG>", f"<{RESOURCE[drug]}>")


def test_table_is_the_sparql_answer_for_the_node(
    browser: Any, pages: dict[str, Path], source: Source
):
    """The drug page opens with the drug selected: its results and adverse events, cell for
    cell, are those a SPARQL query finds for the arms given it."""
    open_page(browser, pages["drug"])
    assert browser.find_element("css selector", "#kg-details h3").text == "sorafenib"
    links = browser.execute_script(
        "return [...document.querySelectorAll('#kg-details a')].map(a => [a.textContent, a.href])"
    )
    from kg.pipeline import prefix_converter

    assert ["drugbank:DB00398", prefix_converter().expand("drugbank:DB00398")] in links
    hazard = str(RESOURCE["study/alliance-a091105/result/pfs-hazard-ratio-sorafenib-vs-placebo"])
    tip = browser.execute_script(
        "const i = kgView.index.get(arguments[0]); kgView.reveal(i);"
        "return kgView.nodes.get(i).title",
        hazard,
    )
    assert "study: A091105 (clinicaltrials:NCT02066181)" in tip
    if paths.SEEDS.is_dir():  # the page quotes the text, not only its offsets
        assert "0.13; 95% CI, 0.05 to 0.31" in tip
    shown = table(browser)
    expected = {row[0]: row[1:] for row in sparql(source, drug_query(DRUG_RESULTS))}
    assert set(shown) == set(expected) and len(shown) > 50
    for iri, (acronym, value, low, high, p, count, denominator) in expected.items():
        study, _arm, _endpoint, measure, ci, p_cell, n_cell, _time = shown[iri]
        assert study == acronym and number(measure) == Decimal(value), (iri, shown[iri])
        if low is not None and high is not None:
            assert [number(x) for x in ci.split(" to ")] == [Decimal(low), Decimal(high)]
        assert (number(p_cell) if p_cell else None) == (Decimal(p) if p else None)
        if count is not None and denominator is not None:
            assert n_cell == f"{count}/{denominator}"
    screenshot(browser, "drug-sorafenib.png")
    click_tab(browser, "aes")
    shown = table(browser)
    expected = {row[0]: row[1:] for row in sparql(source, drug_query(DRUG_EVENTS))}
    assert set(shown) == set(expected)
    for iri, (term, grade, percent, count, denominator, _) in expected.items():
        _study, _arm, term_cell, grade_cell, n_cell, percent_cell, _notes = shown[iri]
        assert term_cell == term and grade_cell == (grade or "")
        assert (number(percent_cell) if percent_cell else None) == (
            Decimal(percent) if percent else None
        )
        if count is not None and denominator is not None:
            assert n_cell == f"{count}/{denominator}"


def test_table_follows_the_selection(browser: Any, pages: dict[str, Path], source: Source):
    open_page(browser, pages["drug"])
    browser.execute_script(
        "kgView.select(kgView.index.get(arguments[0]))", str(RESOURCE["study/decision"])
    )
    expected = sparql(
        source,
        f"""SELECT ?r WHERE {{ ?r cdek:inStudy <{RESOURCE["study/decision"]}> ;
            a ?c . VALUES ?c {{ cdek:ArmResult cdek:ComparativeResult }} }}""",
    )
    assert set(table(browser)) == {r for (r,) in expected}
    # a row of the table selects its node in the graph, drawing it if needed
    first = browser.find_element("css selector", "#kg-table tbody tr:not(.kg-src)")
    iri = browser.execute_script(
        "return kgView.data.nodes[Number(arguments[0].dataset.node)].id", first
    )
    first.find_elements("css selector", "td")[0].click()
    assert browser.execute_script(
        "return kgView.data.nodes[kgView.state.selected].id === arguments[0] &&"
        " kgView.state.drawn.has(kgView.state.selected)",
        iri,
    )


def wait_for_file(folder: Path, pattern: str, timeout: float = 10.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if found:
            time.sleep(0.2)  # let the download finish writing
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no {pattern} downloaded to {folder}")


def test_csv_export_holds_the_table(
    browser: Any, pages: dict[str, Path], source: Source, downloads: Path
):
    open_page(browser, pages["drug"])
    for old in downloads.glob("*"):
        old.unlink()
    browser.find_element("id", "kg-csv").click()
    path = wait_for_file(downloads, "sorafenib-results*.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header == [
        "Study",
        "Arm",
        "Endpoint",
        "Value",
        "CI",
        "p",
        "n/N",
        "Time point",
        "source text",
        "source",
        "node",
    ]
    shown = table(browser)
    assert {r[-1] for r in body} == set(shown) and len(body) == len(shown)
    for row in body:
        assert row[:8] == shown[row[-1]]
        assert row[9]  # document, section and characters of every row
    if paths.SEEDS.is_dir():
        hazard = next(r for r in body if r[-1].endswith("pfs-hazard-ratio-sorafenib-vs-placebo"))
        assert "0.13" in hazard[8] and "0.31" in hazard[8]  # the quoted text itself


def test_png_export(browser: Any, pages: dict[str, Path]):
    """The picture as PNG, on a white ground (what the save button downloads)."""
    open_page(browser, pages["drug"])
    head, size, corner = browser.execute_script(
        "return new Promise(done => kgView.png(async blob => {"
        " const bytes = new Uint8Array(await blob.arrayBuffer());"
        " const image = await createImageBitmap(blob);"
        " const c = new OffscreenCanvas(image.width, image.height).getContext('2d');"
        " c.drawImage(image, 0, 0);"
        " done([[...bytes.slice(0, 8)], blob.size, [...c.getImageData(1, 1, 1, 1).data]]); }))"
    )
    assert bytes(head) == b"\x89PNG\r\n\x1a\n" and size > 20_000
    assert corner == [255, 255, 255, 255]


@pytest.mark.slow
def test_png_download(browser: Any, pages: dict[str, Path], downloads: Path):
    """The save button downloads the file (Chromium takes about 7 s to hand over an image)."""
    open_page(browser, pages["drug"])
    browser.find_element("id", "kg-png").click()
    path = wait_for_file(downloads, "drug-sorafenib*.png", timeout=30)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- filters and search ----------------------------------------------------------------------------


def set_value(driver: Any, element_id: str, value: str) -> None:
    element = driver.find_element("id", element_id)
    if element.tag_name == "select":
        from selenium.webdriver.support.ui import Select

        Select(element).select_by_value(value)
    else:
        element.clear()
        element.send_keys(value)


def test_filters_hide_rows_and_nodes(browser: Any, pages: dict[str, Path], source: Source):
    open_page(browser, pages["drug"])
    events = {r[0]: r for r in sparql(source, drug_query(DRUG_EVENTS))}
    click_tab(browser, "aes")
    set_value(browser, "kg-grade", "3")
    kept = set(table(browser))
    assert kept == {iri for iri, r in events.items() if r[-1] is not None and int(r[-1]) >= 3}
    set_value(browser, "kg-grade", "")
    set_value(browser, "kg-percent", "20")
    kept = set(table(browser))
    assert kept and kept == {
        iri for iri, r in events.items() if r[3] is not None and Decimal(r[3]) >= 20
    }
    set_value(browser, "kg-percent", "0")
    click_tab(browser, "results")
    set_value(browser, "kg-p", "0.05")
    results = {r[0]: r for r in sparql(source, drug_query(DRUG_RESULTS))}
    kept = set(table(browser))
    assert kept and kept == {iri for iri, r in results.items() if r[5] and Decimal(r[5]) <= 0.05}
    set_value(browser, "kg-p", "")
    # phase: studies of another phase (or none stated) go, with their rows
    set_value(browser, "kg-phase", "3")
    phased = {
        a for (a,) in sparql(source, 'SELECT ?a WHERE { ?s cdek:phase "3" ; cdek:acronym ?a }')
    }
    assert {c[0] for c in table(browser).values()} == phased & {"A091105", "DECISION"}
    set_value(browser, "kg-phase", "")
    # study type: the registry's node and rows go
    outcs = node_id(browser, str(RESOURCE["study/outcs"]))
    assert not browser.execute_script("return kgView.nodes.get(arguments[0]).hidden", outcs)
    browser.find_element("css selector", 'input[data-study-type="RegistryStudy"]').click()
    assert browser.execute_script("return kgView.nodes.get(arguments[0]).hidden", outcs)
    assert not [c for c in table(browser).values() if c[0] == "OUTC'S"]
    # n: rows counting fewer patients go (the row's N, else its arm's)
    browser.find_element("css selector", 'input[data-study-type="RegistryStudy"]').click()
    set_value(browser, "kg-n", "40")
    stated = sparql(
        source,
        drug_query("""SELECT ?r ?arm ?d ?c WHERE { ?r cdek:resultArm ?arm ; a ?class .
          VALUES ?class { cdek:ArmResult cdek:ComparativeResult }
          ?arm cdek:receivesRegimen/cdek:regimenDrug <DRUG> .
          OPTIONAL { ?r cdek:denominator ?d } OPTIONAL { ?r cdek:count ?c } }"""),
    )
    arms: dict[str, dict[str, int]] = {}
    for arm, population, n in sparql(
        source,
        "SELECT ?a ?pop ?n WHERE { ?p cdek:countsParticipantsOf ?a ; "
        "cdek:population ?pop ; cdek:count ?n FILTER NOT EXISTS { ?p cdek:subgroupCondition ?s } }",
    ):
        arms.setdefault(arm, {})[population] = max(int(n), arms.get(arm, {}).get(population, 0))

    def patients(result: str, arm: str, d: str | None, c: str | None) -> int | None:
        if d is not None or c is not None:
            return int(d if d is not None else c)  # type: ignore[arg-type]
        counts = arms.get(arm, {})
        order = ("randomized", "enrolled", "efficacy", "safety", "treatment-lines")
        found = [counts[p] for p in order if p in counts] or list(counts.values())
        return found[0] if found else None

    expected = {r for r, arm, d, c in stated if (patients(r, arm, d, c) or 0) >= 40}
    assert expected and set(table(browser)) == expected


def search(driver: Any, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element("id", "kg-search")
    box.clear()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def selected_iri(driver: Any) -> str:
    return driver.execute_script("return kgView.data.nodes[kgView.state.selected].id")


def test_search_by_synonym_and_nct_id_with_next_and_previous(browser: Any, pages: dict[str, Path]):
    open_page(browser, pages["whole"])
    search(browser, "Nexavar")
    assert selected_iri(browser) == str(RESOURCE["drug/sorafenib"])
    assert "matched Nexavar" in browser.find_element("id", "kg-found").text
    search(browser, "NCT00984282")
    assert selected_iri(browser) == str(RESOURCE["study/decision"])
    # a result the overview does not draw is drawn when found
    search(browser, "hypertension")
    hit = selected_iri(browser)
    assert browser.execute_script("return kgView.state.drawn.has(kgView.state.selected)")
    assert "/adverse-event" in hit or "hypertension" in hit
    search(browser, "sarcoma")
    order = browser.execute_script(
        "return kgView.state.matches.map(m => kgView.data.nodes[m.i].id)"
    )
    assert len(order) > 3
    first = selected_iri(browser)
    browser.find_element("id", "kg-next").click()
    second = selected_iri(browser)
    browser.find_element("id", "kg-next").click()
    browser.find_element("id", "kg-prev").click()
    assert [first, second, selected_iri(browser)] == [order[0], order[1], order[1]]
    assert browser.find_element("id", "kg-found").text.startswith(f"2 of {len(order)}")


def test_layouts_switch(browser: Any, pages: dict[str, Path]):
    open_page(browser, pages["drug"])
    drug = node_id(browser, str(RESOURCE["drug/sorafenib"]))
    study = node_id(browser, str(RESOURCE["study/decision"]))
    browser.find_element("css selector", 'input[name="kg-layout"][value="layered"]').click()
    y = browser.execute_script(
        "const p = kgView.network.getPositions([arguments[0], arguments[1]]);"
        "return [p[arguments[0]].y, p[arguments[1]].y]",
        drug,
        study,
    )
    assert y[0] < y[1]  # the drug row above the studies' row


# -- quiet and inert -----------------------------------------------------------------------------


def test_no_request_but_file(browser: Any, pages: dict[str, Path]):
    for name in ("whole", "drug"):
        seen = open_page(browser, pages[name])
        browser.execute_script(
            "kgView.expand(kgView.index.get(arguments[0])); kgView.search('hypertension');"
            "kgView.next(); kgView.setLayout('layered');",
            str(RESOURCE["study/decision"]),
        )
        urls = seen["requests"] + requested_urls(browser)
        assert urls and all(u.startswith("file://") for u in urls), urls
        assert not seen["images"]  # glyphs are drawn on the canvas, not loaded


def test_hostile_labels_show_as_text(browser: Any, pages: dict[str, Path], downloads: Path):
    from selenium.webdriver.common.action_chains import ActionChains

    seen = open_page(browser, pages["evil"])
    assert not seen["ran"] and not seen["images"] and seen["console"] == []
    search(browser, "<img")
    drug = node_id(browser, str(RESOURCE["drug/evil"]))
    assert browser.execute_script("return kgView.state.selected") == drug
    details = browser.find_element("id", "kg-details")
    assert details.find_element("css selector", "h3").text == EVIL
    canvas, dx, dy = node_point(browser, drug)
    ActionChains(browser).move_to_element_with_offset(canvas, dx + 3, dy + 3).pause(0.6).perform()
    tooltip = browser.find_element("css selector", "div.vis-tooltip")
    inside = {e.tag_name for e in tooltip.find_elements("css selector", "*")}
    assert EVIL in tooltip.text and inside <= {"br"}  # innerText: line breaks, nothing else
    click_tab(browser, "aes")
    browser.find_element("css selector", "#kg-table tbody tr:not(.kg-src) td").click()
    quote = browser.find_element("css selector", "#kg-table tr.kg-src q").text
    assert "onerror=alert(7)" in quote
    hrefs = browser.execute_script("return [...document.links].map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if not h.startswith("https://")], hrefs  # no javascript: link
    for old in downloads.glob("*"):
        old.unlink()
    browser.execute_script(
        "kgView.select(kgView.index.get(arguments[0]))", str(RESOURCE["adverse-event-term/evil"])
    )
    browser.find_element("id", "kg-csv").click()
    exported = wait_for_file(downloads, "*.csv").read_text(encoding="utf-8-sig")
    term = list(csv.reader(io.StringIO(exported)))[1][2]
    assert term.startswith("'=HYPERLINK")  # no formula in a spreadsheet
    assert not browser.execute_script("return window.__pwned === 1 || window.__alerted === 1")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_content_security_policy_blocks_injected_handlers(browser: Any, pages: dict[str, Path]):
    """Defence in depth: even markup injected at run time cannot run inline handlers."""
    seen = open_page(browser, pages["evil"])
    assert not seen["ran"]
    browser.execute_script(
        "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__pwned=1\">')"
    )
    time.sleep(0.3)
    assert not browser.execute_script("return window.__pwned === 1")
    logs = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert any("Content Security Policy" in m for m in logs), logs
