"""The ``kg`` command line: thin wrappers around :mod:`kg` functions."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kg import paths
from kg.iris import base_from_env
from kg.pipeline import BuildReport, run_build

__all__ = ["build_main", "main"]


def _build_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a folder (or file) of record files to add to the embedded ones; repeatable",
    )
    parser.add_argument(
        "--no-default", action="store_true", help="leave out the embedded seed records"
    )
    parser.add_argument("--out", type=Path, default=paths.OUT, help="output folder (default: out/)")
    parser.add_argument(
        "--base",
        default=base_from_env(),
        help="base namespace of minted IRIs (default: $KG_BASE_IRI or %(default)s)",
    )
    parser.add_argument(
        "--documents",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder holding the source documents; adds the supporting text of each locator",
    )
    parser.add_argument(
        "--reasoner",
        choices=["auto", "hermit", "owlrl", "none"],
        default="auto",
        help="OWL reasoning after the build: HermiT (needs Java), OWL 2 RL rules, auto "
        "(HermiT when Java is installed, else OWL 2 RL) or none (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only errors")


def _summary(report: BuildReport, console: Console) -> None:
    corpus, result = report.corpus, report.result
    console.print(
        f"[bold]Built[/bold] {len(result.graph)} triples from {len(corpus.records)} records "
        f"of {len(corpus.documents)} documents ({len(corpus.files)} files)."
    )
    table = Table(title="Nodes per class", show_edge=False)
    table.add_column("class")
    table.add_column("nodes", justify="right")
    for cls, n in sorted(report.class_counts().items()):
        table.add_row(cls, str(n))
    console.print(table)
    console.print("[bold]Sources read[/bold]")
    for doc in sorted(corpus.documents.values(), key=lambda d: d.file):
        console.print(f"  {doc.file}  {doc.kind}: {doc.title}")
    console.print(f"[bold]Conflicts[/bold] ({len(result.conflicts)})")
    for conflict in result.conflicts:
        console.print(f"  [yellow]{conflict}[/yellow]", highlight=False)
    console.print(f"[bold]Warnings[/bold] ({len(report.warnings)})")
    for warning in report.warnings:
        console.print(f"  {warning}", highlight=False)
    for name, path in report.outputs.items():
        console.print(f"  wrote {name}: {path}")


def build_main(argv: Sequence[str] | None = None) -> int:
    """``kg build`` / ``python build_graph.py``."""
    parser = argparse.ArgumentParser(prog="kg build", description="Build the evidence graph.")
    _build_parser(parser)
    return _run_build(parser.parse_args(argv))


def _run_build(args: argparse.Namespace) -> int:
    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        with console.status("building...") as status:
            report = run_build(
                sources=args.sources,
                include_default=not args.no_default,
                out=args.out,
                base=args.base,
                documents_dir=args.documents,
                progress=lambda message: status.update(message),
                reasoner=None if args.reasoner == "none" else args.reasoner,
            )
    except ValueError as error:  # a bad --base, for instance
        errors.print(f"error: {error}")
        return 2
    if not args.quiet:
        _summary(report, console)
    for problem in report.errors:
        errors.print(f"[red]error[/red]: {problem}")
    if report.errors:
        errors.print(f"{len(report.errors)} errors: the records above were left out.")
        return 1
    return 0


def _register_build(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("build", help="build the graph into out/")
    _build_parser(parser)
    parser.set_defaults(func=_run_build)


# Each entry adds its subcommands and sets ``func`` (Namespace -> exit code) on them.
# Commands live in modules named ``kg.cli_<topic>`` so that each stays small.
_COMMAND_MODULES = ("kg.cli_query", "kg.cli_viz", "kg.cli_trust")


def main(argv: Sequence[str] | None = None) -> int:
    """``kg COMMAND ...``."""
    parser = argparse.ArgumentParser(prog="kg", description="Clinical drug evidence graph.")
    commands = parser.add_subparsers(dest="command", required=True)
    _register_build(commands)
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:  # a missing dependency inside the module, not the module
                raise
            continue
        module.register(commands)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
