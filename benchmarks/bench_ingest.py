"""How reading registry records grows: 100 and 1,000 studies, re-identified fixture copies.

The ClinicalTrials.gov fixtures (API v2 JSON and legacy XML, ../shared/fixtures) are copied
round-robin, each copy with a new NCT id written wherever the old one stood (same content).
Each scale runs in a fresh process: detect, read, build the graph and write the registry
results into it, in memory, without SHACL, reasoning or output files. Printed per scale: time,
CPU time, peak memory (RSS), triples and triples per second; then the growth ratio of the
time (and CPU time) for 10x the studies (goal of issue 12: at most 11x).

    python benchmarks/bench_ingest.py [--scales 100,1000] [--fixtures DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kg import paths

FIXTURES = paths.ROOT.parent / "shared" / "fixtures"


def make_copies(fixtures: Path, n: int, folder: Path) -> None:
    """``n`` registry files, each a fixture with a new NCT id (NCT9xxxxxxx)."""
    sources = sorted((fixtures / "ctgov-v2").glob("*.json")) + sorted(
        (fixtures / "ctgov-xml").glob("*.xml")
    )
    for k in range(n):
        source = sources[k % len(sources)]
        old = source.stem.encode()
        new = f"NCT9{k:07d}".encode()
        data = re.sub(rb"\b" + old + rb"\b", new, source.read_bytes())
        (folder / f"{new.decode()}{source.suffix}").write_bytes(data)


def run_one(folder: Path) -> dict[str, float]:
    """Build the registry files of ``folder`` in this process; the figures as a dict."""
    from kg.build import build_graph
    from kg.iris import DEFAULT_BASE, Minter
    from kg.pipeline import prefix_converter
    from kg.sources.emit import emit_sources
    from kg.sources.load import add_sources, split_sources
    from kg.sources.records import load_corpus

    start, cpu = time.perf_counter(), time.process_time()
    _, entries, errors, _ = split_sources([folder])
    corpus = load_corpus([])
    found = add_sources(corpus, entries)
    minter = Minter(DEFAULT_BASE)
    result = build_graph(corpus, minter=minter, converter=prefix_converter())
    emit_sources(result.graph, found, corpus, minter)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
    return {
        "studies": len(found.studies),
        "errors": len(errors) + len(found.errors),
        "triples": len(result.graph),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mib": peak,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="100,1000")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    if not (args.fixtures / "ctgov-v2").is_dir():
        print(f"no fixtures at {args.fixtures}", file=sys.stderr)
        return 2
    rows = []
    for n in (int(s) for s in args.scales.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            make_copies(args.fixtures, n, Path(tmp))
            done = subprocess.run(
                [sys.executable, __file__, "--one", tmp],
                capture_output=True,
                text=True,
                check=True,
            )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{row['studies']:>6,} studies: {row['seconds']:7.1f} s ({row['cpu_seconds']:.1f} s "
            f"CPU), peak RSS "
            f"{row['peak_mib']:8,.0f} MiB, {row['triples']:>10,} triples, "
            f"{row['triples'] / row['seconds']:>9,.0f} triples/s, {row['errors']} errors",
            flush=True,
        )
    for small, large in itertools.pairwise(rows):
        scale = large["studies"] / small["studies"]
        growth = large["seconds"] / small["seconds"]
        cpu = large["cpu_seconds"] / small["cpu_seconds"]
        memory = large["peak_mib"] / small["peak_mib"]
        verdict = "within" if growth <= 1.1 * scale else "ABOVE"
        print(
            f"{scale:.0f}x the studies: {growth:.1f}x the time ({verdict} the goal of "
            f"{1.1 * scale:.0f}x), {cpu:.1f}x the CPU time (the figure a busy machine does not "
            f"skew), {memory:.1f}x the peak memory"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
