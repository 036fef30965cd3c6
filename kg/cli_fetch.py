"""``kg fetch ctgov|pubmed``: download registry and PubMed records into a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``kg fetch`` (imports nothing heavy: the handler does)."""
    parser = commands.add_parser(
        "fetch",
        help="download ClinicalTrials.gov or PubMed records",
        description="Download records, one file per identifier, to build a graph from "
        "(kg build --sources DIR). A rerun skips the files already there.",
    )
    kinds = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")
    ctgov = kinds.add_parser(
        "ctgov",
        help="ClinicalTrials.gov studies (API v2 JSON)",
        description="Save ClinicalTrials.gov studies as OUT/NCT….json: the ids given, or "
        "every study a search finds (paged). Base URL: $KG_CTGOV_BASE.",
    )
    ctgov.add_argument("ids", nargs="*", metavar="NCT", help="NCT ids (NCT00984282 ...)")
    ctgov.add_argument("--query", help="a search (query.term), such as a drug name")
    ctgov.add_argument(
        "--with-results", action="store_true", help="with --query: only studies with results"
    )
    pubmed = kinds.add_parser(
        "pubmed",
        help="PubMed records (efetch XML)",
        description="Save PubMed records as OUT/pubmed-PMID.xml, within NCBI's rate limit "
        "(3 requests/s; 10 with $NCBI_API_KEY). Base URL: $KG_EUTILS_BASE.",
    )
    pubmed.add_argument("ids", nargs="+", metavar="PMID", help="PubMed ids")
    for sub in (ctgov, pubmed):
        sub.add_argument("--out", type=Path, required=True, help="folder to save into")
        sub.add_argument("--retries", type=int, default=4, help="retries of a failed request")
        sub.add_argument(
            "--backoff", type=float, default=1.0, help="seconds before the first retry (doubles)"
        )
        sub.add_argument("--quiet", action="store_true", help="print only errors")
        sub.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import re

    from rich.console import Console
    from rich.progress import Progress

    from kg.sources.fetch import Fetcher, fetch_ctgov, fetch_pubmed

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    console = Console(stderr=True)
    if args.source == "ctgov":
        bad = [i for i in args.ids if not re.fullmatch(r"NCT\d{8}", i)]
        if bad or not (args.ids or args.query):
            why = f"not NCT ids: {', '.join(bad)}" if bad else "give NCT ids or --query"
            errors.print(f"error: {why}", markup=False)
            return 2
    elif bad := [i for i in args.ids if not i.isdigit()]:
        errors.print(f"error: not PMIDs: {', '.join(bad)}", markup=False)
        return 2
    fetcher = Fetcher(retries=args.retries, backoff=args.backoff)
    # a bar on a terminal only: piped or in CI, nothing but the summary
    with Progress(console=console, disable=args.quiet or not console.is_terminal) as bar:
        task = bar.add_task(f"fetching {args.source}", total=len(args.ids) or None)

        def progress(name: str, total: int | None) -> Any:
            if total is not None:
                bar.update(task, total=total)
            bar.update(task, advance=1, description=f"fetching {name}")

        if args.source == "ctgov":
            report = fetch_ctgov(
                args.out,
                ids=args.ids,
                query=args.query,
                with_results=args.with_results,
                fetcher=fetcher,
                progress=progress,
            )
        else:
            report = fetch_pubmed(args.out, args.ids, fetcher=fetcher, progress=progress)
    for failure in report.failed:
        errors.print(f"error: {failure}", markup=False)
    if not args.quiet:
        print(
            f"saved {len(report.saved)}, already there {len(report.skipped)}, "
            f"failed {len(report.failed)} in {args.out}",
            file=sys.stdout,
        )
    return 1 if report.failed else 0
