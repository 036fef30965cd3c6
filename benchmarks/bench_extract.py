"""How long `kg extract` takes to draft the five seed documents (goal: under 2 s in total).

The lexicon is read once (its load is reported apart); then each seed is decoded, split,
matched and drafted, verified and written as YAML. Prints per-document times and the total
(median of ``--runs`` runs).

    python benchmarks/bench_extract.py [--runs 5] [--seeds DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg import paths

GOAL = 2.0  # seconds, the five seeds together


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seeds", type=Path, default=paths.SEEDS)
    args = parser.parse_args()
    documents = sorted(args.seeds.glob("*.txt"))
    if not documents:
        print(f"no seed documents in {args.seeds}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    from kg.extract import extract_to
    from kg.extract.entities import lexicon

    lexicon()
    print(f"imports and lexicon: {time.perf_counter() - started:.3f} s (once per process)")
    times: dict[str, list[float]] = {p.name: [] for p in documents}
    totals = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.runs):
            total = 0.0
            for path in documents:
                start = time.perf_counter()
                extract_to(path, Path(out))
                spent = time.perf_counter() - start
                times[path.name].append(spent)
                total += spent
            totals.append(total)
    for name, spent in times.items():
        print(f"{name}: {statistics.median(spent):.3f} s")
    total = statistics.median(totals)
    print(f"total, five seeds: {total:.3f} s (goal < {GOAL} s): {'ok' if total < GOAL else 'SLOW'}")
    return 0 if total < GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
