"""The ``kg`` command line: thin wrappers around :mod:`kg` functions.

Building the parser imports only the standard library and :mod:`kg.paths`, here and in every
``kg.cli_<topic>`` module: each command imports rdflib, pyoxigraph, owlready2, rich... inside
its handler, so ``kg --help`` and ``kg queries`` start in a fraction of a second.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg import __version__, paths
from kg.paths import DEFAULT_BASE as _DEFAULT_BASE  # noqa: F401 - kept for callers
from kg.paths import base_from_env

if TYPE_CHECKING:
    from rich.console import Console

    from kg.pipeline import BuildReport

__all__ = ["HelpFormatter", "base_default", "build_main", "counted", "main", "make_parser"]


class HelpFormatter(argparse.HelpFormatter):
    """Adds ``(default: X)`` to each option's help, unless it says ``default:`` already.

    Flags and options whose default is "none given" (``None``, an empty list) show nothing.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default:" in text  # states its default already, maybe as %(default)s
            or "%(default)" in text
            or action.nargs == 0  # flags: --quiet, --version, --help
            or default is None
            or default is argparse.SUPPRESS
            or (isinstance(default, (list, tuple)) and not default)
            or not (action.option_strings or action.nargs in (argparse.OPTIONAL, "*"))
        ):
            return action.help
        return f"{text} (default: %(default)s)".lstrip()


class _Parser(argparse.ArgumentParser):
    """An argument parser whose help shows defaults; ``add_parser`` makes more of its kind."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def base_default() -> str:
    """``$KG_BASE_IRI``, else the default base of minted IRIs."""
    return base_from_env()


def _build_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources",
        type=Path,
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH",
        help="folders, files or .zip archives to add to the embedded records: record YAML, "
        "ClinicalTrials.gov API v2 JSON or legacy XML, PubMed XML (told apart by content); "
        "repeatable",
    )
    parser.add_argument(
        "--no-default", action="store_true", help="leave out the embedded seed records"
    )
    parser.add_argument("--out", type=Path, default=paths.OUT, help="output folder")
    parser.add_argument(
        "--base",
        default=base_default(),
        help="base namespace of minted IRIs (or set $KG_BASE_IRI)",
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
        choices=["auto", "hermit", "owlrl", "rules", "none"],
        default="auto",
        help="OWL reasoning after the build: HermiT (needs Java), OWL 2 RL rules, rules (the "
        "ontology compiled to SPARQL rules on pyoxigraph: linear, for large graphs), auto "
        "(HermiT when Java is installed, else OWL 2 RL) or none (queries then find no "
        "inferred classes; out/inferred.ttl is marked stale)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes that build the fragments (default: one per core; 1: none)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="build the fragments on this Dask distributed scheduler (tcp://host:8786) "
        "instead of local processes; needs the dask extra",
    )
    parser.add_argument("--quiet", action="store_true", help="print only errors")


# -- progress ------------------------------------------------------------------------------------


class _Stages:
    """The build's stages as they start, with the time each took.

    On a terminal: a spinner naming the current stage and its running time, and a line for each
    finished stage. Otherwise (a pipe, a log file, CI): one plain line per stage as it starts,
    stamped with the seconds since the build began, flushed at once.
    """

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self.live = enabled and console.is_terminal
        self.started = self.stage_started = time.perf_counter()
        self.current: str | None = None
        self.count: tuple[int, int] | None = None  # items of the stage done, of how many
        self._status: Any = None

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def __enter__(self) -> _Stages:
        if self.live:
            self._status = self.console.status(self)  # re-rendered by rich: see __rich__
            self._status.__enter__()
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self._finish(failed=error is not None)
        if self._status is not None:
            self._status.__exit__(kind, error, trace)
        elif self.enabled and error is None:
            self._line(f"done in {self.seconds:.1f} s")

    def __call__(self, message: str) -> None:
        """A new stage starts (the previous one, if any, has finished)."""
        self._finish()
        self.current, self.stage_started = message, time.perf_counter()
        if self.enabled and not self.live:
            self._line(message)

    def advance(self, done: int, total: int) -> None:
        """How far the current stage is (drawn as a bar on a terminal; silent otherwise)."""
        self.count = (done, total)

    def __rich__(self) -> str:
        from rich.markup import escape

        running = time.perf_counter() - self.stage_started
        bar = ""
        if self.count is not None and self.count[1] > 0:
            done, total = self.count
            filled = round(24 * done / total)
            bar = f" {'█' * filled}{'░' * (24 - filled)} {done:,}/{total:,}"
        return f"{escape(self.current or 'starting')}{bar} [dim]{running:.0f} s[/dim]"

    def _line(self, text: str) -> None:
        self.console.print(f"[{self.seconds:6.1f} s] {text}", markup=False, highlight=False)
        self.console.file.flush()

    def _finish(self, *, failed: bool = False) -> None:
        if self.live and self.current is not None:
            from rich.markup import escape

            took = time.perf_counter() - self.stage_started
            mark = "[red]✗[/red]" if failed else "[green]✓[/green]"
            self.console.print(f"{mark} {escape(self.current)} [dim]{took:.1f} s[/dim]")
        self.current, self.count = None, None


# -- the summary ---------------------------------------------------------------------------------


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 error``, ``2 errors``, ``10,887 triples``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def _engine(report: BuildReport) -> str:
    from kg.pipeline import ENGINE_NAMES

    engine = report.trust.reasoning.engine if report.trust and report.trust.reasoning else ""
    name = ENGINE_NAMES.get(engine, engine)
    if report.reasoner == "auto" and engine == "rules":
        return f"{name} (--reasoner auto: a graph above 100,000 triples)"
    if report.reasoner == "auto":
        return f"{name} (--reasoner auto: {'Java found' if engine == 'hermit' else 'no Java'})"
    return name


def reasoning_summary(report: BuildReport) -> str:
    """One paragraph: which reasoner ran, whether the graph is consistent, what it inferred."""
    trust = report.trust
    if trust is None or trust.reasoning is None:
        where = report.outputs.get("inferred")
        kept = (
            f" {where} keeps what an earlier build inferred, marked STALE on its first line, "
            f"and {report.outputs['nquads']} leaves it out."
            if where
            else ""
        )
        return (
            "skipped (--reasoner none): queries find no inferred classes or relations "
            "(KinaseTarget, MultiKinaseInhibitor, FavourableComparativeResult, "
            f"CommonAdverseEventResult, inhibitsFamilyMember).{kept} "
            "Build without --reasoner none to reason."
        )
    result = trust.reasoning
    reused = " (an earlier answer to the same graph, reused)" if result.reused else ""
    head = f"{_engine(report)}, {result.seconds:.1f} s{reused}"
    if not result.consistent:
        return (
            f"{head}: the graph is INCONSISTENT with the ontology "
            f"({counted(len(result.inconsistencies), 'problem')}, listed as errors); "
            "nothing was inferred."
        )
    return (
        f"{head}: the graph is consistent with the ontology; "
        f"{counted(len(result.inferred), 'triple')} inferred ({_inferred_kinds(result.inferred)})."
    )


def _inferred_kinds(inferred: Any) -> str:
    """``types: KinaseTarget 10, ...; relations: inhibitsFamilyMember 3``."""
    from collections import Counter

    from rdflib import RDF

    local = lambda term: str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]  # noqa: E731
    types: Counter[str] = Counter()
    relations: Counter[str] = Counter()
    for _, p, o in inferred:
        if p == RDF.type:
            types[local(o)] += 1
        else:
            relations[local(p)] += 1
    parts = [
        f"{what}: " + ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
        for what, counts in (("types", types), ("relations", relations))
        if counts
    ]
    return "; ".join(parts) or "nothing new"


_OUTPUT_NAMES = {
    "turtle": "the graph (Turtle)",
    "ntriples": "the graph (N-Triples)",
    "jsonld": "the graph (JSON-LD)",
    "html": "the interactive view",
    "inferred": "what the reasoner inferred",
    "nquads": "asserted and inferred named graphs",
    "store": "the same quads in a store that kg query, serve and viz open directly",
}


def _summary(report: BuildReport, console: Console, seconds: float | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table

    corpus, result, trust = report.corpus, report.result, report.trust
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    console.print(
        f"[bold]Built[/bold] {counted(report.triples, 'triple')} from "
        f"{counted(report.record_count, 'record')} of {counted(len(corpus.documents), 'document')} "
        f"({counted(len(corpus.files), 'file')}){took}."
    )
    table = Table(title="Nodes per class", show_edge=False)
    table.add_column("class")
    table.add_column("nodes", justify="right")
    for cls, n in sorted(report.class_counts().items()):
        table.add_row(cls, str(n))
    console.print(table)
    console.print("[bold]Sources read[/bold]")
    documents = sorted(corpus.documents.values(), key=lambda d: d.file)
    _lines(console, [f"  {doc.file}  {doc.kind}: {doc.title}" for doc in documents])
    console.print(f"[bold]Conflicts[/bold] ({len(result.conflicts)})")
    for conflict in result.conflicts:
        console.print(f"  [yellow]{escape(str(conflict))}[/yellow]")
    if trust is not None:
        console.print("[bold]Checks[/bold]")
        shacl = trust.validation
        inconsistent = len(trust.reasoning.inconsistencies) if trust.reasoning else 0
        bad_ids = len(trust.errors) - len(shacl.violations) - inconsistent
        console.print(
            "  identifiers: "
            + (f"{counted(bad_ids, 'problem')} (listed as errors)" if bad_ids else "all valid"),
            markup=False,
        )
        console.print(
            f"  SHACL shapes: {counted(len(shacl.violations), 'violation')}, "
            f"{counted(len(shacl.warnings), 'warning')}",
            markup=False,
        )
        console.print(f"  reasoning: {reasoning_summary(report)}", markup=False)
    console.print(f"[bold]Warnings[/bold] ({len(report.warnings)})")
    _lines(console, [f"  {warning}" for warning in report.warnings])
    if report.outputs:
        console.print("[bold]Wrote[/bold]")
        for name, path in report.outputs.items():
            what = _OUTPUT_NAMES.get(name, name)
            if name == "inferred" and report.inferred_stale:
                what = "STALE: an earlier build's inferences, kept (no reasoning ran)"
            elif name == "nquads" and report.inferred_stale:
                what = "the asserted named graph only (no inferred graph)"
            console.print(f"  {path}  {what}", markup=False)
        console.print("[bold]Next[/bold]")
        steps = _next_steps(report)
        width = max(len(command) for command, _ in steps)
        for command, what in steps:
            console.print(f"  {command:<{width}}  {what}", markup=False)


def _lines(console: Console, lines: list[str]) -> None:
    """Print many plain lines at once (a print each takes rich about a millisecond)."""
    if lines:
        console.print("\n".join(lines), markup=False, highlight=False)


def _next_steps(report: BuildReport) -> list[tuple[str, str]]:
    """What to run now, pointed at this build's folder when it is not the default ``out/``."""
    html = report.outputs.get("html", paths.OUT / "graph.html")
    nquads = report.outputs.get("nquads", paths.OUT / "graph.nq")
    default = nquads == paths.OUT / "graph.nq"
    graph = "" if default else f" --graph {nquads}"
    steps = [
        ("kg queries", "the competency questions this graph answers"),
        (f"kg query NAME{graph}", "run one (-p key=value for its parameters)"),
        (f"open {html}", "the whole graph in a browser (works offline)"),
        (f"kg serve{graph}", "a SPARQL endpoint at http://127.0.0.1:8000/sparql"),
    ]
    if report.inferred_stale:
        again = "kg build" if default else f"kg build --out {nquads.parent}"
        steps.insert(0, (again, "without --reasoner none, so that queries see inferred classes"))
    return steps


# -- kg build -----------------------------------------------------------------------------------


def build_main(argv: Sequence[str] | None = None) -> int:
    """``kg build`` / ``python build_graph.py``."""
    parser = _Parser(prog="kg build", description="Build the evidence graph.")
    _build_parser(parser)
    return _run_build(parser.parse_args(argv))


def _run_build(args: argparse.Namespace) -> int:
    from rich.console import Console

    from kg.pipeline import run_build  # rdflib, pyshacl, owlready2: only when building

    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    stages = _Stages(console, enabled=not args.quiet)
    try:
        with stages:
            report = run_build(
                sources=args.sources,
                include_default=not args.no_default,
                out=args.out,
                base=args.base,
                documents_dir=args.documents,
                progress=stages,
                advance=stages.advance,
                reasoner=None if args.reasoner == "none" else args.reasoner,
                workers=args.jobs,
                scheduler=args.scheduler,
            )
    except ValueError as error:  # a bad --base, for instance
        errors.print(f"error: {error}", markup=False)
        return 2
    if not args.quiet:
        _summary(report, console, stages.seconds)
    for problem in report.errors:
        errors.print(f"[red]error[/red]: {problem}", soft_wrap=True, highlight=False)
    if report.errors:
        from kg.sources.records import error_summary  # "1 error: a.yaml was left out, and ..."

        errors.print(error_summary(report.corpus, report.errors), markup=False)
        return 1
    return 0


def _register_build(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "build", help="build the graph into out/", description="Build the evidence graph."
    )
    _build_parser(parser)
    parser.set_defaults(func=_run_build)


# -- the command modules -------------------------------------------------------------------------

# Each module's ``register(commands)`` adds its subcommands and sets ``func`` (Namespace -> exit
# code) on them; it must not import anything heavy (tests/test_newcomer.py checks).
_COMMAND_MODULES = (
    "kg.cli_query",
    "kg.cli_records",
    "kg.cli_vocab",
    "kg.cli_viz",
    "kg.cli_trust",
    "kg.cli_fetch",
    "kg.cli_extract",
)
# Modules an installation may lack: their commands then say so instead of vanishing.
_OPTIONAL_COMMANDS = {
    "kg.cli_records": ("schema", "check"),
    "kg.cli_vocab": ("prefixes", "vocab"),
}


def _register_missing(commands: argparse._SubParsersAction, module: str, why: str) -> None:
    def unavailable(args: argparse.Namespace) -> int:
        print(
            f"error: ImportError: `kg {args.command}` lives in {module}, which is missing "
            f"from this installation ({why}); reinstall cdekg",
            file=sys.stderr,
        )
        return 2

    for name in _OPTIONAL_COMMANDS[module]:
        command = commands.add_parser(name, help=f"(unavailable: {module} is missing)")
        command.set_defaults(func=unavailable)


def make_parser() -> argparse.ArgumentParser:
    """The ``kg`` parser with every command registered."""
    parser = _Parser(prog="kg", description="Clinical drug evidence graph.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _register_build(commands)
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:  # a missing dependency inside the module, not the module
                raise
            if name not in _OPTIONAL_COMMANDS:
                raise ImportError(f"{name} is missing: reinstall cdekg") from error
            _register_missing(commands, name, str(error))
            continue
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``kg COMMAND ...``."""
    args = make_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
