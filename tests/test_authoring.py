"""Adding a source: the README walk-through as written, and each authoring guarantee.

The walk-through's files and commands are read out of the README's "Adding a source"
section, so these tests fail when the README drifts from what the code does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import RDF, Literal, URIRef

from kg import paths
from kg.build import build_graph
from kg.cli_records import check_files, record_schema, register
from kg.iris import DEFAULT_BASE, Minter
from kg.model import AdverseEventRecord, Design, Regimen, SourceDocument, Target
from kg.pipeline import prefix_converter, run_build
from kg.sources.records import (
    Corpus,
    Problem,
    check_documents,
    error_summary,
    load_corpus,
    record_files,
)
from kg.vocab import CDEK, OA

R = DEFAULT_BASE
DOCS = paths.ROOT / "docs" / "adding-a-source.md"


# --- the README walk-through -----------------------------------------------------------------


@dataclass
class Walkthrough:
    files: dict[str, str] = field(default_factory=dict)  # path -> content
    commands: list[list[str]] = field(default_factory=list)  # each starts with "kg"
    outputs: dict[str, str] = field(default_factory=dict)  # name -> expected text
    prose: str = ""

    def command(self, name: str) -> list[str]:
        (found,) = [c for c in self.commands if c[1] == name][:1]
        return found

    def write(self, folder: Path) -> None:
        for name, content in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")


_FENCE = re.compile(r"^( *)```(\w+)([^\n]*)\n(.*?)^\1```[ \t]*$", re.M | re.S)


def _walkthrough() -> Walkthrough:
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Adding a source\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    found = Walkthrough(prose=section)
    for match in _FENCE.finditer(section):
        language, info, body = match[2], match[3], textwrap.dedent(match[4])
        attributes = dict(part.split("=", 1) for part in info.split() if "=" in part)
        if "file" in attributes:
            found.files[attributes["file"]] = body
        elif "output" in attributes:
            found.outputs[attributes["output"]] = body.strip()
        elif language == "sh":
            for line in body.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    words = shlex.split(line, comments=True)
                    assert words[0] == "kg", f"the walk-through runs kg commands only: {line}"
                    found.commands.append(words)
    return found


def _kg(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``kg ARGS`` as a user would, in ``cwd``."""
    import kg.cli

    if "kg.cli_records" in getattr(kg.cli, "_COMMAND_MODULES", ()) or args[0] not in {
        "check",
        "schema",
    }:
        prefix = [sys.executable, "-m", "kg.cli"]
    else:  # kg.cli does not list kg.cli_records yet: the same parser, built the same way
        prefix = [sys.executable, "-c", _STANDALONE]
    return subprocess.run(
        [*prefix, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "COLUMNS": "250"},
    )


_STANDALONE = (
    "import argparse, sys; from kg.cli_records import register; "
    "p = argparse.ArgumentParser(prog='kg'); s = p.add_subparsers(dest='command', required=True); "
    "register(s); a = p.parse_args(); sys.exit(a.func(a))"
)


def test_the_walkthrough_has_the_promised_parts() -> None:
    walk = _walkthrough()
    assert set(walk.files) == {"my_documents/exm-201.txt", "my_records/exm-201.yaml"}
    assert [c[1] for c in walk.commands] == ["schema", "check", "build", "query", "query"]
    assert "no-identifier-gap" in walk.outputs
    records = yaml.safe_load(walk.files["my_records/exm-201.yaml"])
    (drug,) = records["entities"]["drugs"]
    assert drug["identifier_gap"] and not drug.get("identifiers")
    (target,) = records["entities"]["targets"]
    assert target["kinase"] is True
    study = next(r for r in records["records"] if r["type"] == "study")
    assert str(study["design"]["phase"]) == "2"
    assert any(len(r.get("regimen", {}).get("drugs", [])) > 1 for r in records["records"])


def test_walkthrough_checks_and_builds(tmp_path: Path) -> None:
    """The README's files and its schema and check commands, exactly; the build in-process."""
    walk = _walkthrough()
    walk.write(tmp_path)
    for command in walk.commands:
        if command[1] in {"schema", "check"}:
            run = _kg(command[1:], tmp_path)
            assert run.returncode == 0, (command, run.stderr)
    assert "ok: 10 records" in walk.prose
    assert "ok: 10 records" in _kg(walk.command("check")[1:], tmp_path).stdout
    schema = json.loads((tmp_path / "record-file.schema.json").read_text(encoding="utf-8"))
    assert schema == json.loads(json.dumps(record_schema()))

    # the message the README shows for a drug with neither identifiers nor a stated gap
    path = tmp_path / "my_records/exm-201.yaml"
    path.write_text(re.sub(r"(?m)^ *identifier_gap:.*\n", "", path.read_text()), "utf-8")
    refused = _kg(walk.command("check")[1:], tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[0] == walk.outputs["no-identifier-gap"]
    walk.write(tmp_path)

    # the build command's sources and documents, built without the reasoner (the slow test
    # below runs the command itself)
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=Path, action="append", default=[])
    parser.add_argument("--documents", type=Path)
    parser.add_argument("--out", type=Path)
    options = parser.parse_args(walk.command("build")[2:])
    report = run_build(
        sources=[tmp_path / s for s in options.sources],
        documents_dir=tmp_path / options.documents,
        out=None,
        base=DEFAULT_BASE,
        reasoner=None,
    )
    assert report.errors == []
    assert report.corpus.left_out == []
    g = report.result.graph
    drug, met = URIRef(R + "drug/examplinib"), URIRef(R + "target/met")
    assert (drug, RDF.type, CDEK.Drug) in g
    assert "no public vocabulary" in str(g.value(drug, CDEK.identifierGap))
    assert (met, RDF.type, CDEK.ProteinKinase) in g
    assert {(drug, CDEK.inhibits, met), (drug, CDEK.inhibits, URIRef(R + "target/kdr"))} <= set(g)
    regimen = URIRef(R + "study/exm-201/arm/combination/regimen")
    assert set(g.objects(regimen, CDEK.regimenDrug)) == {drug, URIRef(R + "drug/everolimus")}
    hypertension = [s for s in g.subjects(CDEK.grade, Literal(">=3")) if "exm-201" in str(s)]
    assert len(hypertension) == 1
    assert g.value(hypertension[0], CDEK.gradeMin) == Literal(3)
    # every span's quote is what the README says the offsets mean
    text = walk.files["my_documents/exm-201.txt"]
    for span in g.subjects(CDEK.section, None):
        if "exm-201-abstract" in str(span):
            position, quote = URIRef(f"{span}/position"), URIRef(f"{span}/quote")
            assert {position, quote} == set(g.objects(span, OA.hasSelector))
            start, end = int(g.value(position, OA.start)), int(g.value(position, OA.end))
            assert str(g.value(quote, OA.exact)) == text[start:end]


@pytest.mark.slow
def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """Every README command, in order, as a user types it (HermiT included)."""
    walk = _walkthrough()
    walk.write(tmp_path)
    runs = []
    for command in walk.commands:
        run = _kg(command[1:], tmp_path)
        assert run.returncode == 0, (command, run.stdout[-2000:], run.stderr[-2000:])
        runs.append(run)
    assert (tmp_path / "my_out" / "graph.nq").is_file()
    studies, described = runs[-2].stdout, runs[-1].stdout
    assert "EXM-201" in studies
    assert "MultiKinaseInhibitor" in described or "multi-kinase inhibitor" in described
    assert "no public vocabulary" in described


# --- 1. identifier gaps and kinase classes in the user's own file ----------------------------

USER = """
document: {id: user-doc, file: user.txt, kind: journal-article, title: A user's document}
entities:
  drugs:
  - key: newdrug
    label: newdrug
  targets:
  - key: newkinase
    label: NEWK
    identifiers: [hgnc:7029]
    kinase: true
records:
  - type: study
    id: user-study
    drugs: [newdrug]
    conditions: [GIST]
    loc: {section: Methods, span: [0, 10]}
  - type: drug_target
    drug: newdrug
    target: NEWK
    loc: {section: Methods, span: [0, 10]}
"""


def _load(folder: Path, **files: str) -> Corpus:
    for name, body in files.items():
        (folder / name).write_text(textwrap.dedent(body), encoding="utf-8")
    return load_corpus(record_files(paths.RECORDS, *(folder / name for name in files)))


def test_a_drug_without_identifier_or_gap_is_refused_saying_how_to_state_one(
    tmp_path: Path,
) -> None:
    corpus = _load(tmp_path, **{"user.yaml": USER})
    (error,) = corpus.errors
    line = _line(tmp_path / "user.yaml", "key: newdrug")
    assert str(error).startswith(f"user.yaml:{line}: drug 'newdrug': no standard identifier")
    assert "identifier_gap" in error.message and "in this file" in error.message
    assert corpus.left_out == ["user.yaml"]


def test_a_gap_stated_in_the_file_is_accepted_and_recorded(tmp_path: Path) -> None:
    body = USER.replace("    label: newdrug\n", "    label: newdrug\n    identifier_gap: new\n")
    corpus = _load(tmp_path, **{"user.yaml": body})
    assert corpus.errors == []
    assert corpus.drugs["newdrug"].identifier_gap == "new"
    graph = build_graph(corpus, minter=Minter(), converter=prefix_converter()).graph
    assert graph.value(URIRef(R + "drug/newdrug"), CDEK.identifierGap) == Literal("new")
    # a stated kinase class types the target, as kg/data/kinases.csv does the embedded ones
    assert (URIRef(R + "target/newkinase"), RDF.type, CDEK.ProteinKinase) in graph
    assert (URIRef(R + "target/kit"), RDF.type, CDEK.ProteinKinase) not in graph


def test_gap_and_kinase_fields_are_checked() -> None:
    with pytest.raises(ValueError, match="identifier_gap"):
        Target(key="t", label="T", identifiers=["hgnc:1"], identifier_gap="none known")
    with pytest.raises(ValueError, match="through its members"):
        Target(key="f", label="F", kind="family", members=["a"], kinase=True)


# --- 2. the JSON Schema, kg schema and kg check ----------------------------------------------


def _enums(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found |= {v for v in node.get("enum", []) if isinstance(v, str)}
        for value in node.values():
            found |= _enums(value)
    elif isinstance(node, list):
        for value in node:
            found |= _enums(value)
    return found


def test_schema_lists_the_allowed_values_and_accepts_the_embedded_files() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    values = _enums(schema)
    assert {"conference-abstract", "single-arm-trial", "single-arm", ">=3", "≥3"} <= values
    validator = jsonschema.Draft202012Validator(schema)
    for path in record_files(paths.RECORDS):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text("utf-8")), default=str))
        assert list(validator.iter_errors(data)) == [], path.name
    wrong = {"document": {"id": "d", "file": "f", "kind": "preprint", "title": "t"}}
    assert list(validator.iter_errors(wrong))
    assert list(validator.iter_errors({"documents": {}}))


def test_every_allowed_value_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    missing = sorted(v for v in _enums(record_schema()) if f"`{v}`" not in docs)
    assert missing == []


def _command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="kg")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_schema_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _command("schema") == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(record_schema()))
    out = tmp_path / "schema.json"
    assert _command("schema", "--out", str(out)) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == "cdekg record file"


def test_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = USER.replace("    label: newdrug\n", "    label: newdrug\n    identifier_gap: new\n")
    (tmp_path / "good.yaml").write_text(textwrap.dedent(good), encoding="utf-8")
    assert _command("check", str(tmp_path / "good.yaml")) == 0
    assert capsys.readouterr().out == "ok: 2 records\n"
    bad = good.replace("conditions: [GIST]", "conditions: [GIZT]")
    (tmp_path / "bad.yaml").write_text(textwrap.dedent(bad), encoding="utf-8")
    assert _command("check", str(tmp_path / "bad.yaml")) == 1
    lines = capsys.readouterr().err.splitlines()
    line = _line(tmp_path / "bad.yaml", "GIZT")
    assert lines == [
        f"{tmp_path / 'bad.yaml'}:{line}: error: record #1 (study user-study): "
        "field 'conditions': unknown disease 'GIZT'",
        "1 error",
    ]
    assert _command("check", str(tmp_path / "nothing.yaml")) == 1


def test_check_imports_no_graph_library(tmp_path: Path) -> None:
    """kg check stays light: no rdflib, pyshacl or owlready2, and a fraction of a second."""
    walk = _walkthrough()
    walk.write(tmp_path)
    code = (
        "import sys, time; t = time.perf_counter(); from pathlib import Path; "
        "from kg.cli_records import check_files; "
        "e, w, n = check_files([Path('my_records')], documents=Path('my_documents')); "
        "t = time.perf_counter() - t; "
        "print(n, len(e), t, sorted(m for m in ('rdflib', 'pyshacl', 'owlready2') "
        "if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    records, errors, seconds, heavy = run.stdout.split(" ", 3)
    assert (records, errors, heavy.strip()) == ("10", "0", "[]")
    assert float(seconds) < 2.0  # about 0.2 s; generous for a busy machine


@pytest.mark.parametrize(
    ("model", "fields", "field_name", "expected"),
    [
        (
            SourceDocument,
            {"id": "d", "file": "f", "title": "t", "kind": "conference-abstract"},
            "kind",
            "conference-abstract",
        ),
        (
            SourceDocument,
            {"id": "d", "file": "f", "title": "t", "kind": "Abstract"},
            "kind",
            "conference-abstract",
        ),
        (Design, {"kind": "single-arm"}, "kind", "single-arm-trial"),
        (Design, {"kind": "Single arm trial"}, "kind", "single-arm-trial"),
        (Design, {"kind": "RCT", "phase": 2}, "phase", "2"),
        (Design, {"kind": "RCT", "phase": "Phase II"}, "phase", "2"),
        (Regimen, {"drugs": ["x"], "frequency": "BID"}, "frequency", "twice daily"),
    ],
)
def test_values_as_people_write_them(
    model: Any, fields: dict[str, Any], field_name: str, expected: str
) -> None:
    assert getattr(model(**fields), field_name) == expected


@pytest.mark.parametrize(
    ("written", "grade", "grades"),
    [("≥3", ">=3", (3, 5)), ("grade 3+", ">=3", (3, 5)), ("3–4", "3-4", (3, 4)), (2, "2", (2, 2))],
)
def test_grades_as_people_write_them(written: Any, grade: str, grades: tuple[int, int]) -> None:
    record = AdverseEventRecord(
        type="adverse_event",
        study="s",
        term="t",
        grade=written,
        percent=1,
        loc={"section": "s", "span": [0, 1]},
    )
    assert (record.grade, record.grade_range()) == (grade, grades)


def test_meaningless_values_are_still_refused() -> None:
    with pytest.raises(ValueError, match="'>=3'"):
        AdverseEventRecord(
            type="adverse_event",
            study="s",
            term="t",
            grade="4-2",
            percent=1,
            loc={"section": "s", "span": [0, 1]},
        )
    with pytest.raises(ValueError, match="combination"):
        Regimen(drugs=["a", "b"], dose=5, unit="mg")


# --- 3. the documented span convention is the code's -----------------------------------------


def test_spans_are_end_exclusive_code_point_offsets_of_the_raw_text(tmp_path: Path) -> None:
    text = "Café\r\nP = 0.02 é\n"  # a two-byte letter before the span and a CR LF
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "user.txt").write_bytes(text.encode("utf-8"))
    start = text.index("P = 0.02")
    body = USER.replace("    label: newdrug\n", "    label: newdrug\n    identifier_gap: new\n")
    body = body.replace("span: [0, 10]", f"span: [{start}, {start + 8}]")
    corpus = _load(tmp_path, **{"user.yaml": body})
    graph = build_graph(
        corpus, minter=Minter(), converter=prefix_converter(), documents_dir=tmp_path / "docs"
    ).graph
    span = Minter().span("user-doc", start, start + 8)
    assert graph.value(URIRef(f"{span}/quote"), OA.exact) == Literal("P = 0.02")
    assert graph.value(URIRef(f"{span}/quote"), OA.prefix) == Literal("Café\r\n")
    assert start == 6  # C a f é \r \n: CR LF is two characters, é is one
    assert "text[start:end]" in DOCS.read_text(encoding="utf-8")


# --- 4. a failed file contributes nothing, and the summary says so ---------------------------


def test_a_failed_file_contributes_nothing(tmp_path: Path) -> None:
    body = USER.replace("    label: newdrug\n", "    label: newdrug\n    identifier_gap: new\n")
    body += "  - {type: participants, study: user-study, population: enrolled, n: -1,\n"
    body += "     loc: {section: M, span: [0, 10]}}\n"
    corpus = _load(tmp_path, **{"user.yaml": body})
    line = _line(tmp_path / "user.yaml", "n: -1")
    assert [str(e) for e in corpus.errors] == [
        f"user.yaml:{line}: record #3 (participants): field 'n': "
        "Input should be greater than or equal to 0"
    ]
    assert corpus.left_out == ["user.yaml"]
    assert "user-doc" not in corpus.documents
    assert "newdrug" not in corpus.drugs and "newkinase" not in corpus.targets
    assert all(item.file != "user.yaml" for item in corpus.records)
    graph = build_graph(corpus, minter=Minter(), converter=prefix_converter()).graph
    assert not any("newdrug" in str(s) or "user-" in str(s) for s in graph.subjects())
    assert error_summary(corpus, corpus.errors) == (
        "1 error: user.yaml was left out, and nothing from it is in the graph."
    )


def test_a_file_that_needs_a_failed_file_is_left_out_and_says_why(tmp_path: Path) -> None:
    failing = USER.replace("conditions: [GIST]", "conditions: [GIST]\n    sites: -1")
    needing = """
    document: {id: other-doc, file: other.txt, kind: journal-article, title: Other}
    records:
      - {type: participants, study: user-study, population: enrolled, n: 3,
         loc: {section: M, span: [0, 1]}}
    """
    corpus = _load(tmp_path, **{"a.yaml": failing, "b.yaml": needing})
    assert corpus.left_out == ["a.yaml", "b.yaml"]
    messages = [str(e) for e in corpus.errors if e.file == "b.yaml"]
    line = _line(tmp_path / "b.yaml", "study: user-study")
    assert messages == [
        f"b.yaml:{line}: record #1 (participants): field 'study': "
        "no study 'user-study' is defined (a.yaml was left out)"
    ]
    summary = error_summary(corpus, corpus.errors)
    assert summary == (
        "3 errors: a.yaml and b.yaml were left out, and nothing from them is in the graph."
    )
    assert len(corpus.records) > 500  # the embedded records still load


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_the_build_command_says_it_truly(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """``kg build``'s last line: "1 error", and the failed file's drug is not in the graph."""
    from kg.cli import build_main

    (tmp_path / "src").mkdir()
    _load(tmp_path / "src", **{"user.yaml": USER})  # newdrug has no identifier and no gap
    out = tmp_path / "out"
    argv = ["--sources", str(tmp_path / "src"), "--out", str(out), "--reasoner", "none", "--quiet"]
    assert build_main(argv) == 1
    last = capfd.readouterr().err.strip().splitlines()[-1]
    assert re.match(r"1 error\b", last) and "errors" not in last, last
    assert "newdrug" not in (out / "graph.ttl").read_text(encoding="utf-8")


def test_the_summary_counts_in_words() -> None:
    corpus = Corpus(left_out=[])
    assert error_summary(corpus, []) == "0 errors."
    one = [Problem("shapes.ttl", "x", None, "bad")]
    assert error_summary(corpus, one) == "1 error (above); no record file was left out."
    corpus.left_out = ["a.yaml"]
    two = [*one, Problem("a.yaml", None, None, "bad", 3)]
    assert error_summary(corpus, two) == (
        "2 errors: a.yaml was left out, and nothing from it is in the graph; "
        "1 is not about a record file."
    )


# --- 5. file:line for YAML and record errors -------------------------------------------------


def test_yaml_errors_name_the_file_and_line(tmp_path: Path) -> None:
    corpus = _load(tmp_path, **{"broken.yaml": "document:\n  id: x\n  title: [unclosed\n"})
    (error,) = corpus.errors
    assert error.file == "broken.yaml" and error.line == 4
    assert "<unicode string>" not in str(error)
    assert str(error).startswith("broken.yaml:4: not valid YAML:")


def test_a_key_given_twice_is_an_error_on_its_line(tmp_path: Path) -> None:
    corpus = _load(tmp_path, **{"twice.yaml": "document:\n  id: x\n  id: y\n"})
    assert [str(e) for e in corpus.errors] == [
        "twice.yaml:3: not valid YAML: 'id' is given twice (first at line 2) (column 3), "
        "while reading a mapping at line 2"
    ]


def test_record_errors_point_at_the_field_line(tmp_path: Path) -> None:
    body = USER.replace("    label: newdrug\n", "    label: newdrug\n    identifier_gap: new\n")
    body = body.replace("    drugs: [newdrug]\n", "    drugs: [newdrug]\n    sponsor: [x]\n")
    corpus = _load(tmp_path, **{"user.yaml": body})
    line = _line(tmp_path / "user.yaml", "sponsor: [x]")
    assert [(e.line, e.field) for e in corpus.errors] == [(line, "sponsor")]
    assert str(corpus.errors[0]).startswith(f"user.yaml:{line}: record #1 (study user-study)")


def test_the_loader_keeps_libyaml_speed() -> None:
    from kg.sources import records

    if yaml.__with_libyaml__:
        assert issubclass(records._LineLoader, yaml.CSafeLoader)


_YAML_CORNERS = """
a: &A {x: 1, y: [1, 2, 3]}
b: *A
c:
  <<: *A
  z: 0x1F
d: [yes, no, on, off, ~, null, 1_000, 1:30, .inf, -.Inf, 2013-11-22, 2001-12-14t21:59:43.10-05:00]
e: ['2013', "x", !!str 12, !!float 3, !!binary aGVsbG8=, "", '']
f: !!set {p, q}
g: !!omap [{k: 1}, {j: 2}]
h:
  - &L [1]
  - *L
"""


def _same_yaml(fast: Any, reference: Any, where: str = "$") -> None:
    """Equal values of the same types, with the same line numbers."""
    assert type(fast) is type(reference), where
    for name in ("line", "key_lines", "item_lines"):
        assert getattr(fast, name, None) == getattr(reference, name, None), f"{where} {name}"
    if isinstance(fast, dict):
        assert list(fast) == list(reference), where
        for key in fast:
            _same_yaml(fast[key], reference[key], f"{where}.{key}")
    elif isinstance(fast, list):
        assert len(fast) == len(reference), where
        for i, (x, y) in enumerate(zip(fast, reference, strict=True)):
            _same_yaml(x, y, f"{where}[{i}]")
    else:
        assert fast == reference and repr(fast) == repr(reference), where


def test_the_fast_loader_reads_what_pyyaml_reads() -> None:
    """read_yaml resolves plain scalars once per text and builds strings, mappings and lists by
    direct recursion: on every record file, and on YAML's corners (anchors, merge keys, YAML
    1.1 numbers, booleans and dates, explicit tags), it gives what PyYAML's own constructor
    gives, line numbers included; so do its errors."""
    from kg.sources import records

    class Reference(records._BaseLoader):  # type: ignore[misc, valid-type]
        """The same loader through PyYAML's constructor machinery."""

    Reference.add_constructor("tag:yaml.org,2002:map", records._construct_mapping)
    Reference.add_constructor("tag:yaml.org,2002:seq", records._construct_sequence)
    texts = [p.read_text(encoding="utf-8") for p in sorted(paths.RECORDS.glob("*.yaml"))]
    for text in [*texts, _YAML_CORNERS]:
        _same_yaml(records.read_yaml(text), yaml.load(text, Loader=Reference))
    aliased = records.read_yaml(_YAML_CORNERS)
    assert aliased["b"] is aliased["a"] and aliased["h"][0] is aliased["h"][1]
    for broken in ("a: 1\na: 2\n", "? [k]\n: 1\n", "{a: [}"):
        with pytest.raises(yaml.YAMLError) as fast:
            records.read_yaml(broken)
        with pytest.raises(yaml.YAMLError) as reference:
            yaml.load(broken, Loader=Reference)
        assert str(fast.value) == str(reference.value)


def test_problems_sort_whatever_they_leave_out() -> None:
    problems = [
        Problem("a", "r", "f", "m", 3),
        Problem("a", None, None, "m"),
        Problem("b", None, "f", "m"),
    ]
    assert sorted(problems)[0] == Problem("a", None, None, "m")


# --- 6. spans against the documents --------------------------------------------------------


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_a_span_past_the_end_of_its_document_is_an_error(tmp_path: Path) -> None:
    walk = _walkthrough()
    walk.write(tmp_path)
    path = tmp_path / "my_records/exm-201.yaml"
    path.write_text(path.read_text().replace("[611, 699]", "[611, 750]"), encoding="utf-8")
    errors, _, records = check_files([path], documents=tmp_path / "my_documents")
    assert [str(e) for e in errors] == [
        f"{path}:{_line(path, '[611, 750]')}: record #8 (adverse_event hypertension): "
        "field 'loc.span': span [611, 750] ends past the end of exm-201.txt (700 characters)"
    ]
    assert records == 0  # the file was left out
    report = run_build(
        sources=[path],
        documents_dir=tmp_path / "my_documents",
        out=None,
        base=DEFAULT_BASE,
        reasoner=None,
    )
    assert [e.field for e in report.errors] == ["loc.span"]
    assert report.corpus.left_out == ["exm-201.yaml"]
    assert not any("examplinib" in str(s) for s in report.result.graph.subjects())


def _line(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_documents_missing_from_the_folder_are_named(tmp_path: Path) -> None:
    walk = _walkthrough()
    walk.write(tmp_path)
    (tmp_path / "empty").mkdir()
    corpus = load_corpus(record_files(paths.RECORDS, tmp_path / "my_records"))
    check_documents(corpus, tmp_path / "empty")
    assert corpus.errors == []
    mine = [str(w) for w in corpus.warnings if w.file == "exm-201.yaml"]
    line = _line(tmp_path / "my_records/exm-201.yaml", "file: exm-201.txt")
    assert mine == [
        f"exm-201.yaml:{line}: document: field 'file': exm-201.txt is not in "
        f"{tmp_path / 'empty'}: its spans are not checked and get no quotes"
    ]
    (embedded,) = [w for w in corpus.warnings if w.file == str(tmp_path / "empty")]
    for doc in corpus.documents.values():
        if doc.id != "exm-201-abstract":
            assert doc.file in embedded.message
