"""Time the build's checks on the seed graph: HermiT vs OWL 2 RL (owlrl), SHACL, identifiers.

python benchmarks/bench_reason.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from kg import reason as reasoning
from kg.iris import DEFAULT_BASE
from kg.pipeline import run_build
from kg.validate import validate
from kg.xrefs import check_identifiers


def _time(action: Callable[[], object], runs: int) -> tuple[float, float]:
    seconds = []
    for _ in range(runs):
        reasoning._CACHE.clear()  # measure HermiT, not the in-process cache
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return min(seconds), statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    report = run_build(out=None, base=DEFAULT_BASE, reasoner=None)
    build = time.perf_counter() - start
    graph = report.result.graph
    individuals = len(set(graph.subjects()))
    print(
        f"seed graph: {len(graph)} triples, {individuals} subjects; load {os.getloadavg()[0]:.1f}"
    )
    print(f"build with identifiers + SHACL, no reasoner: {build:.2f} s")
    rows = {
        "HermiT (owlready2, 2 runs)": lambda: reasoning.reason(graph, engine="hermit"),
        "OWL 2 RL (owlrl)": lambda: reasoning.reason(graph, engine="owlrl"),
        "SHACL (pyshacl)": lambda: validate(graph),
        "identifier patterns": lambda: check_identifiers(graph),
    }
    for name, action in rows.items():
        low, median = _time(action, args.runs)
        print(f"{name:28s} min {low:6.2f} s   median {median:6.2f} s   ({args.runs} runs)")


if __name__ == "__main__":
    main()
