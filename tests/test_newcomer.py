"""What a new user meets first: start-up, help, the build's report, outputs, the README.

Start-up times are measured by ``benchmarks/bench_startup.py``; these tests check the causes
(what building the parser imports), not the seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from rdflib import Graph

import kg
from kg import cli, cli_trust, paths
from kg.export import atomic_write, umask
from kg.graphfile import STALE_MARK, stale_note
from kg.iris import DEFAULT_BASE, base_from_env
from kg.pipeline import BuildReport, _write_unreasoned
from kg.reason import Inconsistency, ReasoningResult
from kg.trust import graph_names

README = (paths.ROOT / "README.md").read_text(encoding="utf-8")

# -- 1. start-up: building the parser imports nothing heavy ----------------------------------------

HEAVY = (
    "rdflib",
    "pyoxigraph",
    "owlready2",
    "owlrl",
    "pyshacl",
    "pyvis",
    "networkx",
    "rich",
    "pydantic",
    "curies",
    "bioregistry",
    "starlette",
    "uvicorn",
    "pandas",
    "IPython",
)
_PROBE = """
import json, sys
{setup}
heavy = {heavy!r}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))))
"""


def _heavy_after(setup: str) -> list[str]:
    code = _PROBE.format(setup=setup, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_kg_help_imports_nothing_heavy() -> None:
    setup = (
        "import contextlib, io\nfrom kg.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])"
    )
    assert _heavy_after(setup) == []


@pytest.mark.parametrize("module", cli._COMMAND_MODULES)
def test_each_command_module_registers_without_heavy_imports(module: str) -> None:
    if not (paths.PACKAGE / f"{module.split('.')[1]}.py").is_file():
        pytest.skip(f"{module} is not in this tree")
    setup = (
        f"import argparse, {module} as m\nm.register(argparse.ArgumentParser().add_subparsers())"
    )
    assert _heavy_after(setup) == [], f"{module} imports these at module level"


def test_kg_queries_needs_no_query_engine() -> None:
    setup = (
        "import contextlib, io\nfrom kg.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main(['queries'])"
    )
    assert not {"rdflib", "pyoxigraph", "owlready2", "pyshacl"} & set(_heavy_after(setup))


def test_the_query_engine_does_not_load_the_build() -> None:
    """``kg query`` needs the prefix converter of kg.pipeline, not the build's heavy modules."""
    setup = "from kg.pipeline import prefix_converter\nprefix_converter()"
    assert not {"pyvis", "pyshacl", "owlready2", "IPython"} & set(_heavy_after(setup))


def test_the_default_base_matches_kg_iris(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli._DEFAULT_BASE == DEFAULT_BASE
    monkeypatch.delenv("KG_BASE_IRI", raising=False)
    assert cli.base_default() == base_from_env() == DEFAULT_BASE
    monkeypatch.setenv("KG_BASE_IRI", "https://example.org/x/")
    assert cli.base_default() == base_from_env() == "https://example.org/x/"


def test_a_missing_optional_command_module_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("kg.cli_nothing_here",))
    monkeypatch.setattr(cli, "_OPTIONAL_COMMANDS", {"kg.cli_nothing_here": ("nothing",)})
    assert cli.main(["nothing"]) == 2
    err = capsys.readouterr().err
    assert "ImportError" in err and "kg.cli_nothing_here" in err and "kg nothing" in err


def test_a_missing_core_command_module_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("kg.cli_nothing_here",))
    with pytest.raises(ImportError, match=r"kg\.cli_nothing_here is missing"):
        cli.make_parser()


def test_new_command_modules_are_wired_in() -> None:
    assert {"kg.cli_records", "kg.cli_vocab"} <= set(cli._COMMAND_MODULES)
    commands = _subcommands(cli.make_parser())
    assert {"schema", "check", "prefixes", "vocab"} <= set(commands)


# -- 2. --version and defaults in every help -------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"kg {kg.__version__}\n"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _shows_default(action: argparse.Action) -> bool:
    default = action.default
    return not (
        action.nargs == 0
        or default is None
        or default is argparse.SUPPRESS
        or (isinstance(default, list) and not default)
        or not action.option_strings
    )


def test_every_option_with_a_default_shows_it() -> None:
    missing = []
    parsers = {"kg build (build_graph.py)": None, **_subcommands(cli.make_parser())}
    for name, parser in parsers.items():
        if parser is None:
            parser = cli._Parser(prog="kg build")
            cli._build_parser(parser)
        text = " ".join(parser.format_help().split())
        for action in parser._actions:
            if not _shows_default(action):
                continue
            stated = "default:" in (action.help or "")
            if not stated and f"(default: {action.default})" not in text:
                missing.append(f"{name} {action.option_strings[0]}")
    assert missing == []


def test_serve_help_shows_its_limits() -> None:
    text = " ".join(_subcommands(cli.make_parser())["serve"].format_help().split())
    for option, default in (
        ("--timeout", "10.0"),
        ("--max-results", "10000"),
        ("--memory-mb", "4096"),
        ("--workers", "2"),
        ("--port", "8000"),
    ):
        assert re.search(rf"{option} \S+ [^-]*\(default: {re.escape(default)}\)", text), option


# -- 3. the build's stages, summary and wording ----------------------------------------------------


@pytest.fixture(scope="module")
def unreasoned(
    seed_build: BuildReport, tmp_path_factory: pytest.TempPathFactory
) -> SimpleNamespace:
    """``kg build --reasoner none`` over a folder holding an earlier (reasoned) build."""
    out = tmp_path_factory.mktemp("unreasoned")
    earlier = seed_build.outputs["inferred"]
    shutil.copy(earlier, out / "inferred.ttl")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["build", "--out", str(out), "--reasoner", "none"])
    return SimpleNamespace(
        code=code, out=out, stdout=stdout.getvalue(), stderr=stderr.getvalue(), earlier=earlier
    )


STAGE = re.compile(r"^\[\s*(\d+\.\d) s\] (.+)$")


def test_piped_build_prints_each_stage_with_counts_and_time(unreasoned: SimpleNamespace) -> None:
    assert unreasoned.code == 0, unreasoned.stderr
    stages = [m.groups() for m in map(STAGE.match, unreasoned.stdout.splitlines()) if m]
    texts = [text for _, text in stages]
    assert re.fullmatch(r"reading \d+ record files", texts[0])
    assert re.fullmatch(
        r"building [\d,]+ fragments? from [\d,]+ records of 5 documents and checking each "
        r"\(identifiers, SHACL shapes\)",
        texts[1],
    )
    assert any(t.startswith("writing the interactive view") for t in texts)
    assert texts[-1].startswith("done in ")
    seconds = [float(s) for s, _ in stages]
    assert seconds == sorted(seconds)
    assert not any(t.startswith("reasoning") for t in texts)


def test_stage_lines_appear_as_stages_start_when_not_a_terminal() -> None:
    from rich.console import Console

    buffer = io.StringIO()
    stages = cli._Stages(Console(file=buffer, force_terminal=False))
    with stages:
        stages("reasoning with HermiT over 3 triples")
        assert buffer.getvalue().endswith("] reasoning with HermiT over 3 triples\n")
        time.sleep(0.01)
    assert "done in" in buffer.getvalue()


def test_stage_lines_on_a_terminal_show_the_time_each_took() -> None:
    from rich.console import Console

    buffer = io.StringIO()
    stages = cli._Stages(Console(file=buffer, force_terminal=True, width=100))
    with stages:
        stages("reading 3 record files")
        assert "reading 3 record files" in str(stages.__rich__())
        stages("building the graph")
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", buffer.getvalue())
    assert re.search(r"✓ reading 3 record files \d+\.\d s", text)
    assert re.search(r"✓ building the graph \d+\.\d s", text)


def test_the_reasoning_stage_names_the_engine(seed_build: BuildReport) -> None:
    from kg.pipeline import choose_reasoner

    engine, label = choose_reasoner("auto")
    java = shutil.which("java") is not None
    assert (engine, "HermiT" in label) == (("hermit", True) if java else ("owlrl", False))
    assert "Java found" in label if java else "no Java" in label
    assert choose_reasoner(None) == (None, "no reasoner (--reasoner none)")


def test_summary_says_which_reasoner_ran_and_what_it_inferred(seed_build: BuildReport) -> None:
    text = cli.reasoning_summary(seed_build)
    result = seed_build.trust.reasoning
    name = {"hermit": "HermiT", "owlrl": "OWL 2 RL"}[result.engine]
    assert text.startswith(name)
    assert "the graph is consistent with the ontology" in text
    assert f"{len(result.inferred):,} triples inferred" in text
    assert "types: " in text and "MultiKinaseInhibitor" in text if name == "HermiT" else True


def test_summary_of_an_inconsistent_graph(seed_build: BuildReport) -> None:
    broken = ReasoningResult(Graph(), "hermit", 1.5, [Inconsistency("drug/x", "A disjoint B")])
    trust = SimpleNamespace(reasoning=broken, errors=[], validation=None)
    report = SimpleNamespace(trust=trust, reasoner="hermit", outputs={})
    text = cli.reasoning_summary(report)  # type: ignore[arg-type]
    assert text.startswith("HermiT, 1.5 s: the graph is INCONSISTENT")
    assert "1 problem," in text and "nothing was inferred" in text


def _sections(stdout: str) -> dict[str, list[str]]:
    """Lines under each unindented heading of the summary."""
    sections: dict[str, list[str]] = {}
    current = ""
    for line in stdout.splitlines():
        if line and not line.startswith((" ", "[")):
            current = line.split(" (")[0]
            sections[current] = []
        elif current:
            sections[current].append(line)
    return sections


def test_wrote_lines_are_not_under_warnings_and_next_steps_follow(
    unreasoned: SimpleNamespace,
) -> None:
    sections = _sections(unreasoned.stdout)
    assert not any(str(unreasoned.out) in line for line in sections["Warnings"])
    wrote = "\n".join(sections["Wrote"])
    for name in ("graph.ttl", "graph.nt", "graph.jsonld", "graph.html", "inferred.ttl"):
        assert str(unreasoned.out / name) in wrote
    nxt = "\n".join(sections["Next"])
    assert "kg queries" in nxt and f"open {unreasoned.out / 'graph.html'}" in nxt
    assert f"kg query NAME --graph {unreasoned.out / 'graph.nq'}" in nxt


def test_counts_are_singular_or_plural() -> None:
    assert cli.counted(1, "error") == "1 error"
    assert cli.counted(2, "error") == "2 errors"
    assert cli.counted(10887, "triple") == "10,887 triples"
    assert cli.counted(1, "warning") == "1 warning"


def test_kg_validate_counts_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import kg.validate
    import kg.xrefs
    from kg.validate import ValidationReport, Violation

    one = Violation("ex:n", "S", "ex:p", '"3"', "too big")
    monkeypatch.setattr(kg.validate, "validate", lambda g, shapes=None: ValidationReport([], [one]))
    monkeypatch.setattr(kg.xrefs, "check_identifiers", lambda g: [])
    graph = tmp_path / "g.ttl"
    graph.write_text("<urn:a> <urn:p> <urn:b> .\n")
    assert cli.main(["validate", "--graph", str(graph)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"0 violations, 1 warning in {graph}"


def test_kgx_tally_counts_problems_not_levels() -> None:
    assert cli_trust._kgx_tally({}) == "no problems"
    errors = {"ERROR": {"MISSING_NODE": {"a": ["x"], "b": ["y"]}}, "WARNING": {"W": {"c": []}}}
    assert cli_trust._kgx_tally(errors) == "2 errors, 1 warning"


# -- 4. --reasoner none: no stale inferences in queries, and the summary says so -------------------


def test_without_reasoning_the_earlier_inferences_are_kept_marked_stale(
    unreasoned: SimpleNamespace,
) -> None:
    inferred = unreasoned.out / "inferred.ttl"
    assert inferred.read_text(encoding="utf-8").startswith(STALE_MARK)
    assert "--reasoner none" in (stale_note(inferred) or "")
    kept = Graph().parse(inferred, format="turtle")
    assert len(kept) > 0 and kept.isomorphic(Graph().parse(unreasoned.earlier))
    assert stale_note(unreasoned.earlier) is None


def test_without_reasoning_graph_nq_has_no_inferred_graph(unreasoned: SimpleNamespace) -> None:
    _, inferred = graph_names(DEFAULT_BASE)
    store = ox.Store()
    store.bulk_load(path=str(unreasoned.out / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    graphs = {str(g) for g in store.named_graphs()}
    assert f"<{inferred}>" not in graphs and len(store) > 10_000


def test_without_reasoning_the_summary_says_what_queries_miss(unreasoned: SimpleNamespace) -> None:
    text = " ".join(unreasoned.stdout.split())
    assert "reasoning: skipped (--reasoner none): queries find no inferred classes" in text
    assert "marked STALE" in text and "leaves it out" in text
    assert "without --reasoner none" in text


def test_marking_stale_twice_keeps_one_mark(tmp_path: Path) -> None:
    (tmp_path / "inferred.ttl").write_text("<urn:a> a <urn:B> .\n", encoding="utf-8")
    for _ in range(2):
        _write_unreasoned(b"", tmp_path, DEFAULT_BASE)
    lines = (tmp_path / "inferred.ttl").read_text(encoding="utf-8").splitlines()
    assert [line.startswith(STALE_MARK) for line in lines] == [True, False]
    assert len(Graph().parse(tmp_path / "inferred.ttl", format="turtle")) == 1


def test_export_reasons_again_rather_than_use_stale_inferences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import kg.reason

    fresh = Graph().parse(data="<urn:fresh> a <urn:Inferred> .", format="turtle")
    monkeypatch.setattr(kg.reason, "reason", lambda graph: SimpleNamespace(inferred=fresh))
    (tmp_path / "inferred.ttl").write_text(f"{STALE_MARK} old\n<urn:old> a <urn:Old> .\n")
    args = argparse.Namespace(inferred=None, graph=tmp_path / "graph.ttl")
    assert cli_trust._inferred(args, Graph()) is fresh
    assert "marked stale" in capsys.readouterr().err


# -- 5. outputs follow the umask -------------------------------------------------------------------


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_atomic_write_honours_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    old = os.umask(mask)
    try:
        assert umask() == mask
        atomic_write(tmp_path / "a.ttl", b"x")
        atomic_write(tmp_path / "a.ttl", b"y")  # replacing keeps the same rule
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.ttl").stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["a.ttl"]  # no temporary file left behind


def test_build_outputs_follow_the_umask(unreasoned: SimpleNamespace) -> None:
    # the fixture's build ran with this process's umask (022 usually: 0644 files)
    expected = 0o666 & ~umask()
    for name in ("graph.ttl", "graph.nq", "graph.html", "inferred.ttl"):
        assert stat.S_IMODE((unreasoned.out / name).stat().st_mode) == expected, name


# -- 6. the README's commands ----------------------------------------------------------------------


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)


def _oxigraph_commands() -> dict[str, str]:
    """The Oxigraph commands of the README's linking section, by subcommand (curl too)."""
    found = {}
    for block in _blocks(_section("## Linking")):
        for command in re.split(r"\n(?=\S)", block.strip()):
            words = command.split()
            if words and words[0] == "oxigraph":
                found[words[1]] = command
            elif words and words[0] == "curl" and ":7878/" in command:
                found["curl"] = command
    return found


def _readme_query() -> str:
    words = shlex.split(_oxigraph_commands()["curl"])
    return next(w for w in words if w.startswith("query="))[len("query=") :]


def test_readme_oxigraph_commands_query_the_union_of_the_named_graphs() -> None:
    commands = _oxigraph_commands()
    assert {"load", "serve-read-only", "query", "curl"} <= set(commands)
    assert "--union-default-graph" in commands["serve-read-only"]
    assert "--union-default-graph" in commands["query"]
    assert "PREFIX cdek:" in _readme_query() and "PREFIX rdfs:" in _readme_query()


def test_readme_query_needs_the_union_default_graph(seed_build: BuildReport) -> None:
    """As the README runs it on Oxigraph: the N-Quads put every triple in a named graph."""
    store = ox.Store()
    store.bulk_load(path=str(seed_build.outputs["nquads"]), format=ox.RdfFormat.N_QUADS)
    query = _readme_query()
    assert list(store.query(query)) == []  # what the old README did: nothing
    labels = {s["l"].value for s in store.query(query, use_default_graph_as_union=True)}
    assert "sorafenib" in labels


def _oxigraph() -> str:
    found = shutil.which("oxigraph")
    venv = paths.ROOT / "benchmarks" / ".venv-oxigraph" / "bin" / "oxigraph"  # bench_endpoint's
    if found:
        return found
    if venv.is_file():
        return str(venv)
    pytest.skip("the oxigraph CLI is not installed (pip install oxigraph, in its own venv)")


def _as_written(command: str, **replace: str) -> list[str]:
    words = shlex.split(command)
    return [replace.get(w, w) for w in words]


def test_readme_oxigraph_commands_run_as_written(seed_build: BuildReport, tmp_path: Path) -> None:
    binary, commands = _oxigraph(), _oxigraph_commands()
    store, nquads = str(tmp_path / "kgdb"), str(seed_build.outputs["nquads"])
    swap = {"oxigraph": binary, "kgdb": store, "out/graph.nq": nquads}
    subprocess.run(_as_written(commands["load"], **swap), check=True, timeout=120)
    done = subprocess.run(
        _as_written(commands["query"], **swap), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "sorafenib" in done.stdout.splitlines()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    swap["127.0.0.1:7878"] = f"127.0.0.1:{port}"
    server = subprocess.Popen(_as_written(commands["serve-read-only"], **swap))
    try:
        import httpx

        query, answer = _readme_query(), None
        for _ in range(100):
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/query",
                    data={"query": query},
                    headers={"Accept": "text/csv"},
                    timeout=10,
                )
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200
        assert "sorafenib" in answer.text.splitlines()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_readme_explains_the_validate_extra_and_kgx_python() -> None:
    text = " ".join(_section("## Linking").split())
    for needed in ("numpy", "pandas", "python-dateutil", "KGX_PYTHON", "-m venv"):
        assert needed in text, needed


def test_kgx_python_is_used_when_this_python_lacks_kgx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the README tells users to do: a separate venv named by $KGX_PYTHON."""
    import importlib.util

    from kg import kgx

    other = tmp_path / "venv" / "bin" / "python"
    other.parent.mkdir(parents=True)
    other.write_text("")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("KGX_PYTHON", str(other))
    assert kgx.kgx_python() == str(other)
    monkeypatch.delenv("KGX_PYTHON")
    with pytest.raises(kgx.KgxUnavailableError, match="KGX_PYTHON"):
        kgx.kgx_python()


def test_readme_states_how_long_the_tests_take() -> None:
    text = " ".join(_section("## Quick start").split())
    assert re.search(r"python -m pytest\b.{0,80}\d+ min", text)
    assert re.search(r"python -m pytest -m slow.{0,80}\d+ min", text)


# -- 7. the default test run stays short -----------------------------------------------------------


def test_slow_tests_are_left_out_by_default_and_run_in_ci() -> None:
    import tomllib

    config = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = config["tool"]["pytest"]["ini_options"]
    assert "-m 'not slow'" in options["addopts"]
    assert any(m.startswith("slow:") for m in options["markers"])
    assert "python -m pytest -m slow" in (paths.ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _counting_hermit(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Stand in for HermiT (no Java needed); returns the inputs it was called with."""
    import kg.reason

    calls: list[bytes] = []
    answer = Graph().parse(data="<urn:x> a <urn:Y> .", format="turtle")

    def hermit(data: bytes, property_values: bool) -> tuple[Graph, str | None]:
        calls.append(data)
        return Graph() + answer, None

    monkeypatch.setattr(kg.reason, "_hermit_world", hermit)
    monkeypatch.setattr(kg.reason, "_CACHE", {})
    return calls


def test_a_new_process_reuses_the_reasoners_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.reason

    calls = _counting_hermit(monkeypatch)
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    owl = Graph().parse(data="<urn:a> a <urn:B> .", format="turtle")
    first = kg.reason._run_hermit(owl, property_values=False)
    monkeypatch.setattr(kg.reason, "_CACHE", {})  # as if in the next `kg build`
    again = kg.reason._run_hermit(owl, property_values=False)
    assert len(calls) == 1 and again[1] is None and again[0].isomorphic(first[0])
    assert (first[2], again[2]) == (False, True)
    assert len(list((tmp_path / "reasoner").glob("*.nt"))) == 1
    kg.reason._run_hermit(owl, property_values=True)  # another question: another answer
    assert len(calls) == 2


def test_the_reasoner_cache_can_be_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.reason

    calls = _counting_hermit(monkeypatch)
    monkeypatch.setenv("KG_CACHE_DIR", "off")
    assert kg.reason.cache_folder() is None
    owl = Graph().parse(data="<urn:a> a <urn:B> .", format="turtle")
    for _ in range(2):
        monkeypatch.setattr(kg.reason, "_CACHE", {})
        kg.reason._run_hermit(owl, property_values=False)
    assert len(calls) == 2


def test_the_reasoner_cache_key_names_the_reasoner_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.reason

    before = kg.reason._digest(b"<urn:a> <urn:p> <urn:b> .", False)
    monkeypatch.setattr(kg.reason, "_owlready_version", lambda: "999")
    assert kg.reason._digest(b"<urn:a> <urn:p> <urn:b> .", False) != before


def test_the_test_session_keeps_its_own_reasoner_cache(reasoner_cache: Path) -> None:
    import kg.reason

    assert kg.reason.cache_folder() == reasoner_cache / "reasoner"
    assert os.environ["KG_CACHE_DIR"] == str(reasoner_cache)  # kg processes it starts too
