"""Time the build's checks: HermiT vs OWL 2 RL (owlrl) vs the SPARQL rules, SHACL, identifiers.

python benchmarks/bench_reason.py [--runs 3]
    the seed graph: each reasoner, SHACL and the identifier patterns
python benchmarks/bench_reason.py --scales 1,10 --engines hermit,owlrl,rules --runs 1
    one row per scale (the seed records copied, as in bench_build.py), one column per reasoner
python benchmarks/bench_reason.py --graph out/graph.nt --engines rules
    one row for a graph already built (``kg build --reasoner none``)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from rdflib import Graph

from kg import reason as reasoning
from kg.iris import DEFAULT_BASE
from kg.pipeline import run_build
from kg.validate import validate
from kg.xrefs import check_identifiers

ENGINES = {"hermit": "HermiT", "owlrl": "owlrl", "rules": "rules"}


def _time(action: Callable[[], object], runs: int) -> tuple[float, float]:
    return _times(action, runs)[:2]


def _times(action: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Wall seconds (least, median) and the median CPU seconds of this process and the ones it
    waited for (HermiT's Java): on a shared machine the CPU time tells the work done."""
    seconds, cpu = [], []
    for _ in range(runs):
        reasoning._CACHE.clear()  # measure HermiT, not the in-process cache
        start, used = time.perf_counter(), _cpu()
        action()
        seconds.append(time.perf_counter() - start)
        cpu.append(_cpu() - used)
    return min(seconds), statistics.median(seconds), statistics.median(cpu)


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _reasoner(graph: Graph, engine: str) -> Callable[[], object]:
    def run() -> None:
        result = reasoning.reason(graph, engine=engine)
        if not result.consistent:
            raise SystemExit(f"{engine}: the graph is inconsistent: {result.inconsistencies[0]}")

    return run


def _seed(runs: int) -> None:
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
        "HermiT (owlready2, 2 runs)": _reasoner(graph, "hermit"),
        "OWL 2 RL (owlrl)": _reasoner(graph, "owlrl"),
        "SPARQL rules (pyoxigraph)": _reasoner(graph, "rules"),
        "SHACL (pyshacl)": lambda: validate(graph),
        "identifier patterns": lambda: check_identifiers(graph),
    }
    for name, action in rows.items():
        low, median = _time(action, runs)
        print(f"{name:28s} min {low:6.2f} s   median {median:6.2f} s   ({runs} runs)")


def _scaled(scale: int) -> Graph:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_build import make_corpus

    with tempfile.TemporaryDirectory() as tmp:
        make_corpus(scale - 1, Path(tmp))
        report = run_build(sources=[Path(tmp)], out=None, base=DEFAULT_BASE, reasoner=None)
    return report.result.graph


def _table(graphs: Iterable[tuple[str, Graph]], engines: list[str], runs: int) -> None:
    """Seconds per graph and engine, wall and CPU: medians of ``runs`` calls of
    ``kg.reason.reason``, with the load average before each graph."""
    header = "".join(f"{ENGINES[e] + ' wall/cpu':>20}" for e in engines)
    print(f"{'graph':>14} {'triples':>9}{header}  load")
    for name, graph in graphs:
        cells, load = [], os.getloadavg()[0]
        for engine in engines:
            _, median, cpu = _times(_reasoner(graph, engine), runs)
            cells.append(f"{median:13.1f}/{cpu:6.1f}")
        print(f"{name:>14} {len(graph):>9}{''.join(cells)}  {load:4.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scales", default=None, help="comma-separated multiples of the seed")
    parser.add_argument("--graph", type=Path, action="append", help="an N-Triples graph to time")
    parser.add_argument(
        "--engines", default="hermit,owlrl,rules", help="comma-separated: hermit, owlrl, rules"
    )
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    os.environ.setdefault("KG_CACHE_DIR", "off")  # HermiT answers afresh
    if args.graph:
        named = ((p.parent.name or p.stem, Graph().parse(p, format="nt")) for p in args.graph)
        _table(named, engines, args.runs)
    elif args.scales:
        scales = [int(s) for s in args.scales.split(",")]
        _table(((f"{s}x", _scaled(s)) for s in scales), engines, args.runs)
    else:
        _seed(args.runs)


if __name__ == "__main__":
    main()
