"""How the build grows with its input: the seed records at 1x and as N re-identified copies.

Each copy renames every document, file and study (and gives each study a made-up registry
id), so copies add studies instead of merging into the seed ones; the content is the same.
Each scale runs ``kg build`` (``--reasoner none`` unless ``--reasoner`` says otherwise) in a
fresh process writing every output, and prints per stage its wall time, then the total, the
peak RSS, the triples per second and the growth ratio against the scale before. In the same
run, pyoxigraph's bare bulk load of the build's own ``graph.nq`` (the physical reference), and
an incremental rebuild after one record file changed.

Issue 11's goals on the 2-core machine: 100x (about 1.4M triples) under 60 s without
reasoning, each 10x step at most 11x the time, peak RSS under 1 GB, an incremental rebuild
under 5 s.

    python benchmarks/bench_build.py [--scales 1,10,100] [--reasoner none|auto] [--jobs N]
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

import kg
from kg import paths

_STAMP = re.compile(r"^\[\s*([\d.]+) s\] (.*)$")


def _copy(data: dict[str, Any], k: int, studies: dict[str, str]) -> dict[str, Any]:
    """One record file re-identified as copy ``k``; ``studies`` maps old study ids to new."""
    document = dict(data["document"])
    document["id"] = f"{document['id']}-copy{k}"
    document["file"] = f"copy{k}-{document['file']}"
    document.pop("sha256", None)
    data = {**data, "document": document}

    def rename(node: Any) -> Any:
        if isinstance(node, dict):
            out = {key: rename(value) for key, value in node.items()}
            if out.get("type") == "study":
                out["id"] = studies[node["id"]]
                out["acronym"] = f"{node.get('acronym', node['id'])} copy {k}"
                out["registry_ids"] = [
                    f"clinicaltrials:NCT9{k:03d}{len(studies):04d}"[:26]
                    for _ in node.get("registry_ids", [])[:1]
                ]
            elif isinstance(out.get("study"), str) and out["study"] in studies:
                out["study"] = studies[out["study"]]
            return out
        if isinstance(node, list):
            return [rename(item) for item in node]
        return node

    data["records"] = rename(data.get("records") or [])
    return data


def make_corpus(copies: int, folder: Path) -> None:
    """``copies`` re-identified copies of the embedded record files in ``folder``."""
    files = sorted(p for p in paths.RECORDS.glob("*.yaml") if p.name != "entities.yaml")
    loaded = {p: yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) for p in files}
    ids = sorted(
        {r["id"] for d in loaded.values() for r in d.get("records") or [] if r["type"] == "study"}
    )
    for k in range(1, copies + 1):
        studies = {old: f"{old}-copy{k}" for old in ids}
        for path, data in loaded.items():
            text = yaml.safe_dump(_copy(data, k, studies), allow_unicode=True, sort_keys=False)
            (folder / f"copy{k}-{path.name}").write_text(text, encoding="utf-8")


def _build(corpus: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run ``kg build`` in a fresh process: stage times, total, peak RSS, triples."""
    command = [sys.executable, "-m", "kg", "build", "--sources", str(corpus), "--out", str(out)]
    command += ["--reasoner", args.reasoner]
    if args.jobs:
        command += ["--jobs", str(args.jobs)]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK, *command], capture_output=True, text=True)
    total = time.perf_counter() - started
    peak = re.search(r"^peak-rss-kb (\d+)$", done.stderr, re.M)
    cpu = re.search(r"^cpu-seconds ([\d.]+)$", done.stderr, re.M)
    rss = int(peak.group(1)) if peak else 0
    stamps = [m.groups() for line in done.stdout.splitlines() if (m := _STAMP.match(line))]
    stages: list[tuple[str, float]] = []
    for (at, what), (nxt, _) in itertools.pairwise(stamps):
        stages.append((_stage(what), float(nxt) - float(at)))
    triples = re.search(r"Built ([\d,]+) triples", done.stdout)
    if done.returncode not in (0, 1) or triples is None:
        raise SystemExit(f"kg build failed ({done.returncode}): {done.stderr[-2000:]}")
    return {
        "stages": stages,
        "total": total,
        "rss_mb": rss / 1024 if rss else None,
        "cpu": float(cpu.group(1)) if cpu else 0.0,  # of every process: steadier than the clock
        "triples": int(triples.group(1).replace(",", "")),
    }


# runs a command and says the largest peak RSS of its processes (the build and its workers),
# and the CPU seconds they used (on a shared machine, steadier than the wall clock)
_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "used = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print('peak-rss-kb', used.ru_maxrss, file=sys.stderr)\n"
    "print('cpu-seconds', used.ru_utime + used.ru_stime, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


_STAGES = (  # the start of a progress line -> the stage it starts
    ("reading", "read records"),
    ("building", "build + check + merge fragments"),
    ("merging", "(merged)"),
    ("checking across sources on the store (the subjects", "cross-source check, page beside"),
    ("checking across", "cross-source checks"),
    ("reasoning", "reasoning"),
    ("writing the interactive", "HTML view (Turtle beside)"),
    ("writing turtle", "start Turtle"),
    ("quick rebuild", "quick rebuild: fragment"),
    ("patching the store", "patch the store"),
    ("patching", "patch graph.nt"),
    ("writing", "write outputs"),
    ("loading", "store load"),
)


def _stage(message: str) -> str:
    lowered = message.lower()
    if "into the store" in lowered or "and the store" in lowered:
        return "N-Quads + store load"
    if lowered.endswith(" beside"):  # the quick rebuild's page, drawn by a process of its own
        return "start the page"
    return next((name for start, name in _STAGES if lowered.startswith(start)), message[:24])


def _bulk_load(nquads: Path) -> tuple[float, float]:
    """Seconds for pyoxigraph to bulk-load ``nquads`` on disk and in memory (fresh process)."""
    script = (
        "import sys, time, tempfile, pyoxigraph as ox\n"
        "f = ox.RdfFormat.N_QUADS\n"
        "with tempfile.TemporaryDirectory() as d:\n"
        "    t = time.perf_counter(); s = ox.Store(d); s.bulk_load(path=sys.argv[1], format=f)\n"
        "    s.flush(); disk = time.perf_counter() - t; del s\n"
        "t = time.perf_counter(); s = ox.Store(); s.bulk_load(path=sys.argv[1], format=f)\n"
        "print(disk, time.perf_counter() - t)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(nquads)], capture_output=True, text=True
    )
    disk, memory = (float(x) for x in out.stdout.split())
    return disk, memory


def _touch_one(corpus: Path) -> Path:
    """Change one value in one record file (a study's site count), as a curator would."""
    path = sorted(corpus.glob("copy1-000-*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    changed = re.sub(
        r"(\n *sites: )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1), text, count=1
    )
    path.write_text(changed, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated multiples")
    parser.add_argument("--reasoner", default="none", help="none, auto, hermit or owlrl")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (default: cores)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    # the package's bytecode, as an installed package has it (pip compiles on install): where
    # PYTHONDONTWRITEBYTECODE is set, each build would otherwise compile kg from source
    compileall.compile_dir(str(Path(kg.__file__).parent), quiet=1)
    results: list[dict[str, Any]] = []
    for scale in (int(s) for s in args.scales.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            corpus, out = Path(tmp) / "corpus", Path(tmp) / "out"
            corpus.mkdir()
            make_corpus(scale - 1, corpus)
            figures = _build(corpus, out, args)
            figures["scale"] = scale
            figures["bulk_disk"], figures["bulk_memory"] = _bulk_load(out / "graph.nq")
            if scale > 1:
                _touch_one(corpus)
                again = _build(corpus, out, args)
                figures["incremental"] = again["total"]
                figures["incremental_rss_mb"] = again["rss_mb"]
                figures["incremental_stages"] = again["stages"]
            results.append(figures)
        _print(figures, results)
    print()
    print(
        "scale   triples  total s  triples/s  vs prev  RSS MB  bulk disk s  bulk mem s  rebuild s"
    )
    for i, r in enumerate(results):
        ratio = f"{r['total'] / results[i - 1]['total']:.1f}x" if i else "-"
        rebuild = f"{r['incremental']:.1f}" if "incremental" in r else "-"
        rss = f"{r['rss_mb']:.0f}" if r["rss_mb"] else "?"
        print(
            f"{r['scale']:>4}x {r['triples']:>9,} {r['total']:>8.1f}"
            f" {r['triples'] / r['total']:>10,.0f}"
            f" {ratio:>8} {rss:>7} {r['bulk_disk']:>12.1f} {r['bulk_memory']:>11.1f} {rebuild:>10}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


def _print(r: dict[str, Any], results: list[dict[str, Any]]) -> None:
    print(
        f"\n{r['scale']}x: {r['triples']:,} triples in {r['total']:.1f} s "
        f"({r['cpu']:.1f} s of CPU in all its processes)"
    )
    for stage, seconds in r["stages"]:
        print(f"  {stage:<24} {seconds:>7.1f} s")
    print(
        f"  bare pyoxigraph bulk load of graph.nq: {r['bulk_disk']:.1f} s on disk "
        f"({r['triples'] / max(r['bulk_disk'], 1e-9):,.0f} triples/s), "
        f"{r['bulk_memory']:.1f} s in memory; the build takes "
        f"{r['total'] / max(r['bulk_disk'], 1e-9):.0f}x the disk load"
    )
    if "incremental" in r:
        print(
            f"  rebuild after one record file changed: {r['incremental']:.1f} s, "
            f"peak RSS {r['incremental_rss_mb'] or 0:.0f} MB"
        )
        for stage, seconds in r["incremental_stages"]:
            print(f"    {stage:<22} {seconds:>7.1f} s")


if __name__ == "__main__":
    main()
