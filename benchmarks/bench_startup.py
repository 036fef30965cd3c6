"""How long `kg` takes to start (`kg --help`, `kg queries`, `kg check`) against a bare Python.

Each command runs several times as a fresh process (as a user's shell runs it); the median
wall time is printed with its ratio to ``python -c pass`` measured in the same run, so the
figures compare across machines. The goal is under 0.3 s for ``kg --help`` and ``kg queries``.

    python benchmarks/bench_startup.py [--runs 15] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL = 0.3  # seconds, for the commands marked below
COMMANDS: list[tuple[str, list[str], bool]] = [  # name, arguments of kg, held to GOAL
    ("kg --help", ["--help"], True),
    ("kg queries", ["queries"], True),
    ("kg --version", ["--version"], False),
    ("kg serve --help", ["serve", "--help"], False),
    ("kg build --help", ["build", "--help"], False),
    # validating a records file without building: goal "well under a second"
    (
        "kg check (DECISION records)",
        ["check", "kg/data/records/003-decision-nci-summary.yaml"],
        False,
    ),
]


def kg_command() -> list[str]:
    """The ``kg`` script beside this Python (as installed), else ``python -m kg.cli``."""
    script = Path(sys.executable).with_name("kg")
    if script.is_file():
        return [str(script)]
    found = shutil.which("kg")
    return [found] if found else [sys.executable, "-m", "kg.cli"]


def median_seconds(command: list[str], runs: int) -> tuple[float, float, float]:
    """Median, minimum and maximum wall time of ``command`` over ``runs`` fresh processes."""
    first = subprocess.run(command, capture_output=True, text=True)  # also warms the file cache
    if first.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: exit {first.returncode}: {first.stderr[-300:]}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default: 15)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    kg = kg_command()
    base, base_min, base_max = median_seconds([sys.executable, "-c", "pass"], args.runs)
    rows = [("python -c pass", base, base_min, base_max, None)]
    for name, arguments, held in COMMANDS:
        try:
            median, low, high = median_seconds([*kg, *arguments], args.runs)
        except RuntimeError as error:  # an older kg without the command, say
            print(f"skipped {name}: {error}", file=sys.stderr)
            continue
        rows.append((name, median, low, high, held))

    print(f"{args.runs} runs each, median wall time; kg is {' '.join(kg)}")
    print(f"{'command':<18} {'median s':>9} {'min s':>7} {'max s':>7} {'x python':>9}  goal")
    failed = False
    for name, median, low, high, held in rows:
        goal = ""
        if held:
            ok = median < GOAL
            failed |= not ok
            goal = f"< {GOAL} s: {'ok' if ok else 'MISSED'}"
        print(f"{name:<18} {median:9.3f} {low:7.3f} {high:7.3f} {median / base:9.1f}  {goal}")
    if args.json:
        data = [
            {"command": n, "median": m, "min": lo, "max": hi, "ratio": m / base}
            for n, m, lo, hi, _ in rows
        ]
        args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
