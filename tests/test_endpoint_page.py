"""The endpoint's query page in a real headless browser: questions listed, one run, a table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import CHROMEDRIVER, CHROMIUM, FLAGS, chromium, requested_urls, screenshot
from test_endpoint import server  # noqa: F401 - the running endpoint, a fixture

from kg import paths

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
    reason="no headless browser: install Debian's chromium and chromium-driver (.ci/run does)",
)


@pytest.fixture(scope="module")
def page_browser() -> Iterator[Any]:
    """Chromium that may reach 127.0.0.1 only (names resolve to nothing)."""
    flags = [f for f in FLAGS if not f.startswith("--host-resolver-rules")]
    with chromium([*flags, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]) as driver:
        yield driver


def _wait(driver: Any, script: str, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := driver.execute_script(script)):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def test_page_runs_a_canned_question(page_browser: Any, server: str) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = page_browser
    driver.get("about:blank")
    driver.get_log("performance")  # drop the browser's own start-up requests
    driver.get(f"{server}/")
    options = _wait(
        driver,
        "return document.querySelectorAll('#canned option').length > 12 && "
        "document.querySelectorAll('#canned option').length",
        "the question list",
    )
    questions = len(list(paths.QUERIES.glob("*.rq")))
    assert options == questions + 1  # every canned question and "your own query"
    Select(driver.find_element(By.ID, "canned")).select_by_value("08-registry-response")
    assert "08-registry-response" not in driver.find_element(By.ID, "query").get_attribute(
        "value"
    )  # the editor holds the SPARQL, not the name
    assert "cdek:RegistryStudy" in driver.find_element(By.ID, "query").get_attribute("value")
    driver.find_element(By.ID, "run").click()
    rows = _wait(
        driver, "return document.querySelectorAll('#output table tr').length", "the result table"
    )
    cells = driver.execute_script(
        "return [...document.querySelectorAll('#output table tr')].map("
        "r => [...r.cells].map(c => c.textContent))"
    )
    header, body = cells[0], cells[1:]
    assert header[:3] == ["drug_label", "histotype", "orr_percent"]
    assert ["sorafenib", "angiosarcoma", "21"] in [row[:3] for row in body]
    assert rows == len(body) + 1 and "rows in" in driver.find_element(By.ID, "status").text
    screenshot(driver, "sparql-page.png")
    console = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert console == []
    urls = [u for u in requested_urls(driver) if not u.startswith(("chrome:", "about:"))]
    assert urls and all(url.startswith(server) for url in urls), urls


def test_page_shows_errors_as_text(page_browser: Any, server: str) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    driver = page_browser
    driver.get(f"{server}/")
    editor = driver.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("SELECT * WHERE { <img src=x onerror=alert(1)> }")
    driver.find_element(By.ID, "run").click()
    message = _wait(
        driver,
        "const e = document.querySelector('#output .error'); return e && e.textContent",
        "the error message",
    )
    assert message.startswith("HTTP 400") and "<img src=x onerror=alert(1)>" not in message[:8]
    assert driver.execute_script("return document.images.length") == 0
