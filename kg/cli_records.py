"""``kg schema`` and ``kg check``: the record format, and checking record files without a build.

Only what a command needs is imported, when it runs: ``kg check`` on a small file takes a
fraction of a second (no rdflib, no graph).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["check_files", "record_schema", "register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``kg schema`` and ``kg check``."""
    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of record files",
        description="The record-file format as a JSON Schema (draft 2020-12), generated from "
        "the pydantic model; editors use it to complete and check YAML record files.",
    )
    schema.add_argument("--out", "-o", type=Path, help="write to this file instead of stdout")
    schema.set_defaults(func=_schema)

    check = commands.add_parser(
        "check",
        help="check record files without building the graph",
        description="Check record files: YAML, the record model, names (against the embedded "
        "entities and the files' own), references between records and, with --documents, "
        "spans against the documents. Prints FILE:LINE: messages; exit 1 on an error.",
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE", help="record file or folder")
    check.add_argument(
        "--documents",
        type=Path,
        metavar="DIR",
        help="folder holding the source documents: each span must fit in its document",
    )
    check.add_argument(
        "--no-default",
        action="store_true",
        help="check the files alone, without the embedded records and entities",
    )
    check.set_defaults(func=_check)


def record_schema() -> dict[str, Any]:
    """The JSON Schema of a record file (``kg.model.RecordFile``)."""
    from kg.model import RecordFile

    schema = RecordFile.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "cdekg record file",
        "description": "One source document, the entities it adds and the evidence records "
        "curated from it. See docs/adding-a-source.md.",
    }


def check_files(
    files: list[Path], *, documents: Path | None = None, include_default: bool = True
) -> tuple[list[Any], list[Any], int]:
    """Errors and warnings of ``files`` (loaded after the embedded records), and records read.

    Problems name each given file as it was given; the embedded files are loaded only to
    resolve names and references, and their problems are not reported.
    """
    from kg import paths
    from kg.sources.records import check_documents, load_corpus, record_files

    given = record_files(*files)
    mine = {path.resolve(): str(path) for path in given}
    embedded = record_files(paths.RECORDS) if include_default else []
    embedded = [p for p in embedded if p.resolve() not in mine]
    corpus = load_corpus(
        [*embedded, *given], name_of=lambda path: mine.get(path.resolve(), path.name)
    )
    if documents is not None:
        check_documents(corpus, documents)
    names = set(mine.values())
    errors = [p for p in corpus.errors if p.file in names]
    warnings = [p for p in corpus.warnings if p.file in names]
    records = sum(1 for item in corpus.records if item.file in names)
    return errors, warnings, records


def _schema(args: argparse.Namespace) -> int:
    text = json.dumps(record_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    missing = [path for path in args.files if not path.exists()]
    for path in missing:
        print(f"{path}: no such file or folder", file=sys.stderr)
    present = [path for path in args.files if path.exists()]
    if not present:
        return 1
    errors, warnings, records = check_files(
        present, documents=args.documents, include_default=not args.no_default
    )
    for kind, problems in (("warning", warnings), ("error", errors)):
        for problem in problems:
            print(_located(problem, kind), file=sys.stderr)
    if errors or missing:
        count = len(errors) + len(missing)
        print(f"{count} error{'' if count == 1 else 's'}", file=sys.stderr)
        return 1
    notes = f", {len(warnings)} warning{'' if len(warnings) == 1 else 's'}" if warnings else ""
    print(f"ok: {records} record{'' if records == 1 else 's'}{notes}")
    return 0


def _located(problem: Any, kind: str) -> str:
    """``FILE:LINE: error: ...``, the form editors and terminals link to the line."""
    where = f"{problem.file}:{problem.line}" if problem.line else problem.file
    rest = str(problem).removeprefix(where).removeprefix(": ")
    return f"{where}: {kind}: {rest}"
