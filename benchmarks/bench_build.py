"""How the build grows with its input: the seed records at 1x and as N re-identified copies.

Each copy renames every document, file and study (and gives each study a made-up registry
id), so copies add studies instead of merging into the seed ones; the content is the same.
The build runs in process without reasoning (``--reasoner none``), writing nothing, and the
figures are triples, seconds and triples per second, with the ratio of each scale's
throughput to 1x. Issue 11's goal: a million triples in a minute (about 17k triples/s).

    python benchmarks/bench_build.py [--scales 1,10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from kg import paths
from kg.iris import DEFAULT_BASE
from kg.pipeline import run_build


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10", help="comma-separated multiples of the seed")
    args = parser.parse_args()
    base_rate = None
    print(
        f"{'scale':>5} {'records':>8} {'triples':>9} {'seconds':>8} {'triples/s':>10} {'vs 1x':>6}"
    )
    for scale in (int(s) for s in args.scales.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            make_corpus(scale - 1, Path(tmp))
            started = time.perf_counter()
            report = run_build(sources=[Path(tmp)], out=None, base=DEFAULT_BASE, reasoner=None)
            seconds = time.perf_counter() - started
        if report.errors:
            print(f"{scale}x: {len(report.errors)} errors, first: {report.errors[0]}")
        triples = len(report.result.graph)
        rate = triples / seconds
        base_rate = base_rate or rate
        print(
            f"{scale:>4}x {len(report.corpus.records):>8} {triples:>9,} {seconds:>8.1f} "
            f"{rate:>10,.0f} {rate / base_rate:>6.2f}"
        )


if __name__ == "__main__":
    main()
