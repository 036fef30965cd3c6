"""Time the views at 1x and Nx the seed graph, in Python and in headless Chromium.

For each scale the seed records are built (Nx: N re-identified copies, as bench_build.py
makes them; no reasoning), then the whole-graph page and the sorafenib page are written and
opened in headless Chromium (1600 x 1000, network off) a few times each. Printed per page:
nodes and edges in the view, nodes drawn at opening, page size, Python time (view + HTML),
then the browser's time to first paint (first-contentful-paint), time to interactive (the
page's own mark once its first frame is drawn and its handlers are in place), the longest
main-thread block (the longest 'longtask', or the longest gap between animation frames,
whichever is longer) and the time a search for an NCT id takes to draw and select its node.
Medians of the runs, then the Nx/1x ratio of each figure and issue 14's goal (interactive
within 3 s at about 6,000 nodes and 12,000 edges).

The overview of a large graph (kg.views.overview_view: entities only, read with SPARQL
aggregates) is timed too, at each scale and on each built store given with --store (for
instance a 100x build's out/store): seconds and CPU seconds in Python, peak memory.

    python benchmarks/bench_viz.py [--scales 1,10] [--repeat 3] [--store OUT/store ...]

Needs Debian's chromium and chromium-driver. Asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import make_corpus  # a sibling script, not a package

from kg.api import KnowledgeGraph
from kg.engine import OxigraphEngine
from kg.iris import DEFAULT_BASE
from kg.pipeline import run_build
from kg.store import open_store
from kg.views import Source, drug_view, overview_view, whole_view, write_view

GOAL_MS = 3000
# runs before any script of the page: long tasks and the longest gap between frames
PROBE = """
window.__bench = { longest: 0, gap: 0 };
try {
  new PerformanceObserver((list) => {
    const b = window.__bench;
    for (const e of list.getEntries()) b.longest = Math.max(b.longest, e.duration);
  }).observe({ type: "longtask", buffered: true });
} catch (error) {}
let last = performance.now();
(function frame(now) {
  window.__bench.gap = Math.max(window.__bench.gap, now - last);
  last = now;
  requestAnimationFrame(frame);
})(last);
"""
MEASURE = """
const paint = performance.getEntriesByName("first-contentful-paint")[0];
const started = performance.now();
kgView.search(arguments[0]);
const hit = kgView.next();
return new Promise((done) => requestAnimationFrame(() => done({
  paint: paint ? paint.startTime : null,
  ready: window.kgPerf.ready,
  longest: Math.max(window.__bench.longest, window.__bench.gap),
  search: performance.now() - started,
  found: hit >= 0 && kgView.state.drawn.has(hit),
  drawn: kgView.state.drawn.size,
})));
"""


@contextmanager
def chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="kg-bench-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    try:
        size = {"width": 1600, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", size)
        driver.execute_cdp_cmd("Network.enable", {})
        offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def measure(driver: Any, page: Path, search: str, repeat: int) -> dict[str, float]:
    """Medians over ``repeat`` fresh loads of ``page``."""
    runs: list[dict[str, Any]] = []
    for _ in range(repeat):
        driver.get("about:blank")
        driver.get(page.resolve().as_uri())
        deadline = time.monotonic() + 120
        while not driver.execute_script("return !!(window.kgView && kgView.ready)"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{page.name}: not interactive after 120 s")
            time.sleep(0.02)
        time.sleep(0.3)  # let late long tasks be reported
        runs.append(driver.execute_script(MEASURE, search))
    if not all(r["found"] for r in runs):
        raise RuntimeError(f"{page.name}: searching {search!r} did not draw its node")
    return {
        key: statistics.median(float(r[key]) for r in runs)
        for key in ("paint", "ready", "longest", "search", "drawn")
    }


def build(scale: int, folder: Path) -> Source:
    records = folder / "records"
    records.mkdir()
    make_corpus(scale - 1, records)
    report = run_build(sources=[records], out=None, base=DEFAULT_BASE, reasoner=None)
    return Source(report.result.graph)


def overview_of_store(driver: Any, store: Path, folder: Path, repeat: int) -> None:
    """Time the overview of a built store (opened read-only) and its page in the browser."""
    import resource

    knowledge = KnowledgeGraph(OxigraphEngine(open_store(store)))
    started, cpu = time.perf_counter(), time.process_time()
    view = overview_view(knowledge)
    page = write_view(view, folder / f"overview-{len(knowledge)}.html")
    python_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    figures = measure(driver, page, "NCT00984282", repeat)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"store {store} ({len(knowledge):,} triples): overview {view.node_count} nodes, "
        f"{view.edge_count} edges, {page.stat().st_size / 1e6:.1f} MB; python {python_s:.2f} s "
        f"({cpu_s:.2f} s CPU), peak RSS {rss:,.0f} MB; ready {figures['ready']:,.0f} ms",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10", help="comma-separated multiples of the seed")
    parser.add_argument("--repeat", type=int, default=3, help="page loads per figure")
    parser.add_argument(
        "--store", type=Path, action="append", default=[], help="a built store to overview"
    )
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    results: dict[tuple[int, str], dict[str, float]] = {}
    header = (
        f"{'scale':>5} {'page':<8} {'nodes':>6} {'edges':>6} {'drawn':>5} {'MB':>5} "
        f"{'python s':>8} {'paint ms':>8} {'ready ms':>8} {'block ms':>8} {'search ms':>9}"
    )
    print(header)
    with chromium() as driver, tempfile.TemporaryDirectory() as tmp:
        for scale in scales:
            folder = Path(tmp) / f"x{scale}"
            folder.mkdir()
            source = build(scale, folder)
            for name, make in (
                ("whole", lambda s=source: whole_view(s)),
                ("drug", lambda s=source: drug_view(s, "sorafenib")),
                ("overview", lambda s=source: overview_view(s.knowledge)),
            ):
                started = time.perf_counter()
                view = make()
                page = write_view(view, folder / f"{name}.html")
                python_s = time.perf_counter() - started
                figures = measure(driver, page, "NCT00984282", args.repeat)
                figures |= {"nodes": view.node_count, "edges": view.edge_count}
                figures |= {"python": python_s, "mb": page.stat().st_size / 1e6}
                results[(scale, name)] = figures
                print(
                    f"{scale:>4}x {name:<8} {view.node_count:>6,} {view.edge_count:>6,} "
                    f"{figures['drawn']:>5.0f} {figures['mb']:>5.1f} {python_s:>8.2f} "
                    f"{figures['paint']:>8.0f} {figures['ready']:>8.0f} "
                    f"{figures['longest']:>8.0f} {figures['search']:>9.0f}",
                    flush=True,
                )
        for store in args.store:
            overview_of_store(driver, store, Path(tmp), args.repeat)
    base, top = scales[0], scales[-1]
    if top != base:
        print(f"\nratio {top}x/{base}x (medians of {args.repeat} loads)")
        for name in ("whole", "drug"):
            a, b = results[(base, name)], results[(top, name)]
            ratios = "  ".join(
                f"{label} {b[key] / a[key]:.2f}" if a[key] else f"{label} -"
                for label, key in (
                    ("nodes", "nodes"),
                    ("python", "python"),
                    ("paint", "paint"),
                    ("ready", "ready"),
                    ("block", "longest"),
                    ("search", "search"),
                )
            )
            print(f"  {name:<6} {ratios}")
    whole = results[(top, "whole")]
    verdict = "met" if whole["ready"] <= GOAL_MS else "NOT met"
    print(
        f"\ngoal (interactive within {GOAL_MS:,} ms at ~6,000 nodes / 12,000 edges): {verdict}; "
        f"the {top}x whole graph ({whole['nodes']:,.0f} nodes, {whole['edges']:,.0f} edges) "
        f"is interactive at {whole['ready']:,.0f} ms, its longest block {whole['longest']:,.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
