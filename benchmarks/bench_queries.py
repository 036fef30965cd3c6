"""Time every canned question on rdflib's engine (baseline) and on pyoxigraph.

Two graphs: the seed graph, and the seed graph scaled up synthetically to about a million
triples (studies, documents and statements copied under new IRIs; drugs, diseases, targets,
terms and endpoints shared, as in a corpus of many studies of the same drugs). Each engine
runs in a worker process with a time budget per query, so a slow baseline cannot stall the
run. Prints load times, the median of the runs per query, and the ratio baseline/pyoxigraph.

    python benchmarks/bench_queries.py [--triples 1000000] [--budget 120] [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from kg.api import KnowledgeGraph
from kg.engine import ResultTooLarge
from kg.iris import DEFAULT_BASE
from kg.pipeline import run_build
from kg.workers import Job, QueryTimeout, WorkerPool

# minted node kinds that are copied per replica; the others are shared entities
_COPIED = re.compile(r"<" + re.escape(DEFAULT_BASE) + r"(study|document|statement|approval)/")


def scaled_copy(seed_nt: str, target: int, out: Path) -> int:
    """Write replicas of ``seed_nt`` until about ``target`` triples; return the count."""
    lines = seed_nt.splitlines()
    copies = max(1, round(target / len(lines)))
    with out.open("w", encoding="utf-8") as handle:
        for k in range(copies):
            prefix = f"<{DEFAULT_BASE}copy{k}/"
            for line in lines:
                handle.write(_COPIED.sub(lambda m, p=prefix: f"{p}{m[1]}/", line) + "\n")
    return copies * len(lines)


def time_engine(
    kind: str, graph: Path, jobs: dict[str, tuple[str, dict]], runs: int, budget: float
) -> tuple[float, dict[str, float | None]]:
    """Load time and median seconds per query (None when over budget) for one engine."""
    started = time.perf_counter()
    pool = WorkerPool([graph], size=1, engine=kind, load_timeout=3600)
    load = time.perf_counter() - started
    timings: dict[str, float | None] = {}
    try:
        for name, (text, bindings) in jobs.items():
            samples: list[float] = []
            for _ in range(runs):
                # after a timeout the worker reloads the graph: wait for it, untimed
                pool.run_sync(Job("ASK {}"), timeout=budget, wait=3600)
                started = time.perf_counter()
                try:
                    pool.run_sync(Job(text, bindings), timeout=budget)
                except QueryTimeout:
                    samples = []
                    break
                except ResultTooLarge:  # pragma: no cover - no cap is set
                    pass
                samples.append(time.perf_counter() - started)
            timings[name] = statistics.median(samples) if samples else None
    finally:
        pool.close()
    return load, timings


def report(title: str, triples: int, results: dict[str, tuple[float, dict]], budget: float) -> None:
    (base_load, base), (fast_load, fast) = results["rdflib"], results["pyoxigraph"]
    print(f"\n## {title}: {triples:,} triples")
    print(
        f"load (worker start, parse, index): rdflib {base_load:.1f} s, "
        f"pyoxigraph {fast_load:.1f} s, ratio {base_load / fast_load:.1f}x"
    )
    print(f"{'question':28} {'rdflib ms':>11} {'pyoxigraph ms':>14} {'ratio':>8}")
    for name in fast:
        slow_s, fast_s = base[name], fast[name]
        slow_txt = f">{budget * 1000:.0f}" if slow_s is None else f"{slow_s * 1000:.1f}"
        fast_txt = f">{budget * 1000:.0f}" if fast_s is None else f"{fast_s * 1000:.1f}"
        if slow_s is None or fast_s is None:
            ratio = ">" + (f"{budget / fast_s:.0f}x" if fast_s else "?")
        else:
            ratio = f"{slow_s / fast_s:.1f}x"
        print(f"{name:28} {slow_txt:>11} {fast_txt:>14} {ratio:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per query")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seed = run_build(out=folder, base=DEFAULT_BASE).outputs["ntriples"]
        graph = KnowledgeGraph.load(seed)
        # bind each question's default parameters once; both engines get the same text
        jobs = {
            name: (q.text, graph.bindings(q.parameters, {})) for name, q in graph.catalog.items()
        }
        seed_triples = len(seed.read_text(encoding="utf-8").splitlines())
        results = {
            kind: time_engine(kind, seed, jobs, args.runs, args.budget)
            for kind in ("rdflib", "pyoxigraph")
        }
        report("seed graph", seed_triples, results, args.budget)

        big = folder / "scaled.nt"
        triples = scaled_copy(seed.read_text(encoding="utf-8"), args.triples, big)
        results = {
            kind: time_engine(kind, big, jobs, 1 if kind == "rdflib" else args.runs, args.budget)
            for kind in ("rdflib", "pyoxigraph")
        }
        report("scaled graph", triples, results, args.budget)


if __name__ == "__main__":
    main()
