"""``kg extract``: draft records from documents, or score drafts against curated gold."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``kg extract``."""
    parser = commands.add_parser(
        "extract",
        help="draft evidence records from plain-text documents, for a curator to review",
        description="Read documents (plain text in any common encoding; a PubMed XML file "
        "stands for its abstracts, each written as a text beside the drafts) and write one draft "
        "record file per document into --out, in the format of kg/data/records: every record "
        "with its spans, the rule that found it, a confidence and `review: draft`. `kg build "
        "--sources OUT --documents DOCS` builds them. With --score GOLD_DIR, print precision, "
        "recall and F1 per record type and per field against the curated records of the same "
        "documents, then every miss and false draft with its span.",
    )
    parser.add_argument("documents", nargs="+", type=Path, metavar="DOC", help="document file")
    parser.add_argument("--out", type=Path, help="folder for the draft record files")
    parser.add_argument(
        "--score", type=Path, metavar="GOLD_DIR", help="score the drafts against these records"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="with --score: the tables only, not the listing"
    )
    parser.set_defaults(func=_extract)


def _extract(args: argparse.Namespace) -> int:
    from kg.extract import extract_file
    from kg.extract.drafts import write_drafts
    from kg.extract.pubmed import abstract_texts, is_pubmed_xml
    from kg.extract.text import sections

    if args.out is None and args.score is None:
        print("error: give --out DIR (where drafts go) or --score GOLD_DIR", file=sys.stderr)
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="kg-extract-"))
    written = []
    documents: list[Path] = []
    for path in args.documents:  # a PubMed XML file stands for the texts of its abstracts
        if is_pubmed_xml(path):
            texts, warnings = abstract_texts(path, out)
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
            print(f"{path}: {len(texts)} PubMed abstracts written to {out} (the drafts' documents)")
            documents += texts
        else:
            documents.append(path)
    for path in documents:
        drafts = extract_file(path)
        for warning in drafts.document.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        target = write_drafts(drafts, sections(drafts.document.text), out)
        written.append(target)
        if args.score is None:
            print(f"{path}: {len(drafts.drafts)} draft records -> {target}")
    if args.score is None:
        return 0
    from kg.extract.score import score_files

    score = score_files(args.score, written, {p.name: p for p in documents})
    print("# Records per type\n")
    print(score.table())
    print("\n# Fields (records aligned on what they are about)\n")
    print(score.field_table())
    if not args.quiet:
        print()
        print(score.listing())
    for error in getattr(score, "errors", []):
        print(f"warning: a draft did not load: {error}", file=sys.stderr)
    return 0
