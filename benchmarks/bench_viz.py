"""Time the whole-graph view: projection, page writing, and (with a browser) layout settling.

    python benchmarks/bench_viz.py [--graph out/graph.ttl] [--repeat 5] [--browser]

Prints figures; asserts nothing. ``--browser`` needs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdflib import Graph

from kg import paths
from kg.network import entity_graph, project, stats
from kg.viz import render_html, whole_view, write_view


def timed(label: str, repeat: int, call: Callable[[], Any]) -> Any:
    """Run ``call`` ``repeat`` times; print the median and the spread; return the last result."""
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
    print(
        f"{label:<38} median {statistics.median(seconds) * 1000:8.1f} ms"
        f"   min {min(seconds) * 1000:8.1f}   max {max(seconds) * 1000:8.1f}   (n={repeat})"
    )
    return result


def settle_times(page: Path, repeat: int) -> list[int]:
    """Milliseconds from script start to the end of stabilisation, as the page reports it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="kg-bench-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
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
        "--window-size=1400,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    found = []
    try:
        for _ in range(repeat):
            driver.get(page.resolve().as_uri())
            while not driver.execute_script("return !!(window.kgView && kgView.stabilized)"):
                time.sleep(0.02)
            found.append(int(driver.execute_script("return kgView.settleMs")))
    finally:
        driver.quit()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, default=paths.OUT / "graph.ttl")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also time layout in Chromium")
    args = parser.parse_args()
    if not args.graph.is_file():
        print(f"{args.graph}: no such file; run `kg build` first", file=sys.stderr)
        return 2
    graph = Graph().parse(args.graph)
    print(f"graph: {len(graph)} triples from {args.graph}")
    detail = timed("project (RDF -> networkx)", args.repeat, lambda: project(graph))
    print(f"  {detail.number_of_nodes()} nodes, {detail.number_of_edges()} edges")
    entities = timed("entity_graph (fold results)", args.repeat, lambda: entity_graph(detail))
    timed("stats (centralities, components)", args.repeat, lambda: stats(graph, entities))
    view = whole_view(graph)
    html = timed("render_html (whole graph page)", args.repeat, lambda: render_html(view))
    print(f"  page size {len(html.encode()) / 1e6:.2f} MB")
    out = Path(tempfile.mkdtemp(prefix="kg-bench-")) / "graph.html"
    timed("whole_view + write_view", args.repeat, lambda: write_view(whole_view(graph), out))
    if args.browser:
        ms = settle_times(out, args.repeat)
        print(
            f"{'browser: layout settled (page timer)':<38} median {statistics.median(ms):8.1f} ms"
            f"   min {min(ms):8.1f}   max {max(ms):8.1f}   (n={len(ms)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
