"""The pages in a real headless browser, offline: drawn, searchable, quiet, and inert."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_viz import EVIL, evil_graph  # tests/ is on sys.path under pytest

from kg import paths
from kg.pipeline import BuildReport
from kg.viz import View, drug_view, whole_view, write_view

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SETTLE_TIMEOUT = 60.0

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
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves, even if something tries
    "--window-size=1400,900",
)


@contextmanager
def chromium(flags: Sequence[str] = FLAGS) -> Iterator[Any]:
    """Chromium driven by the system chromedriver (no Selenium Manager download)."""
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
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium with the network switched off."""
    with chromium() as driver:
        driver.execute_cdp_cmd("Network.enable", {})
        offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
        # count dialogs instead of opening them, so a script that ran is seen, not hung on
        watch = "window.alert = window.confirm = window.prompt = () => { window.__alerted = 1; };"
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": watch})
        yield driver


def open_page(driver: Any, page: Path) -> dict[str, Any]:
    """Load ``page`` from file://, wait for the layout to settle; what the browser saw."""
    driver.get("about:blank")
    driver.get_log("performance")  # drop what came before this page
    driver.get_log("browser")
    driver.get(page.resolve().as_uri())
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while not driver.execute_script("return !!(window.kgView && window.kgView.stabilized)"):
        assert time.monotonic() < deadline, f"{page.name}: layout did not settle"
        time.sleep(0.05)
    seen = driver.execute_script(
        "const b = kgView.network.body;"
        "return {nodes: b.nodeIndices.length, edges: b.edgeIndices.length,"
        " settleMs: kgView.settleMs, ran: window.__pwned === 1 || window.__alerted === 1,"
        " images: document.images.length,"
        " legend: document.querySelectorAll('#kg-legend li').length,"
        " search: !!document.getElementById('kg-search'),"
        " canvas: !!document.querySelector('canvas')}"
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
    target = paths.OUT / "screenshots" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(target))
    return target


def assert_drawn(seen: dict[str, Any], view: View) -> None:
    classes = {c for _, c in view.graph.nodes(data="cls")}
    assert (seen["nodes"], seen["edges"]) == (view.node_count, view.edge_count)
    assert seen["legend"] == len(classes) and seen["search"] and seen["canvas"]
    assert seen["console"] == []
    assert seen["requests"] and all(u.startswith("file://") for u in seen["requests"]), seen[
        "requests"
    ]


def test_whole_graph_page(browser: Any, seed_build: BuildReport):
    seen = open_page(browser, seed_build.outputs["html"])
    assert_drawn(seen, whole_view(seed_build.result.graph))
    print(f"whole graph: settled in {seen['settleMs']} ms")
    screenshot(browser, "graph.png")


def test_drug_page_search_and_filter(browser: Any, seed_build: BuildReport, tmp_path: Path):
    view = drug_view(seed_build.result.graph, "sorafenib")
    seen = open_page(browser, write_view(view, tmp_path / "drug.html"))
    assert_drawn(seen, view)
    box = browser.find_element("id", "kg-search")
    box.send_keys("PFS HR 0.13")
    assert browser.find_element("id", "kg-found").text == "1 node found"
    assert len(browser.execute_script("return kgView.network.getSelectedNodes()")) == 1
    browser.find_element("css selector", 'input[data-class="AdverseEventResult"]').click()
    hidden = browser.execute_script(
        "const hidden = kgView.nodes.get({filter: n => n.hidden});"
        "return hidden.length > 0 && hidden.every(n => n.cls === 'AdverseEventResult')"
    )
    assert hidden
    screenshot(browser, "drug-sorafenib.png")


def node_point(driver: Any, node: str) -> tuple[Any, int, int]:
    """The canvas and the offset of ``node`` from its centre, for mouse actions."""
    canvas = driver.find_element("css selector", "#kg-network canvas")
    x, y = driver.execute_script(
        "const n = kgView.network, p = n.canvasToDOM(n.getPositions([arguments[0]])[arguments[0]]);"
        "return [p.x, p.y];",
        node,
    )
    return canvas, round(x - canvas.size["width"] / 2), round(y - canvas.size["height"] / 2)


def test_hostile_labels_show_as_text(browser: Any, tmp_path: Path):
    from selenium.webdriver.common.action_chains import ActionChains

    view = whole_view(evil_graph())
    seen = open_page(browser, write_view(view, tmp_path / "evil.html"))
    assert_drawn(seen, view)
    assert not seen["ran"] and seen["images"] == 0
    browser.find_element("id", "kg-search").send_keys("<img")
    assert browser.find_element("id", "kg-found").text == "1 node found"
    drug = browser.execute_script("return kgView.nodes.get().find(n => n.cls === 'Drug').id")
    canvas, dx, dy = node_point(browser, drug)
    ActionChains(browser).move_to_element_with_offset(canvas, dx, dy).pause(0.5).perform()
    tooltip = browser.find_element("css selector", "div.vis-tooltip")
    inside = {e.tag_name for e in tooltip.find_elements("css selector", "*")}
    assert EVIL in tooltip.text and inside <= {"br"}  # innerText: line breaks, nothing else
    screenshot(browser, "escaping.png")
    ActionChains(browser).move_to_element_with_offset(canvas, dx, dy).click().perform()
    details = browser.find_element("id", "kg-details")
    assert details.text.startswith(EVIL) and not details.find_elements("css selector", "*")
    assert not browser.execute_script("return window.__pwned === 1 || window.__alerted === 1")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_content_security_policy_blocks_injected_handlers(browser: Any, tmp_path: Path):
    """Defence in depth: even markup injected at run time cannot run inline handlers."""
    seen = open_page(browser, write_view(whole_view(evil_graph()), tmp_path / "csp.html"))
    assert not seen["ran"]
    browser.execute_script(
        "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__pwned=1\">')"
    )
    time.sleep(0.3)
    assert not browser.execute_script("return window.__pwned === 1")
    logs = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert any("Content Security Policy" in m for m in logs), logs
