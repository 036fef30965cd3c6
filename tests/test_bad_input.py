"""Broken record files give clear errors and lose nothing else."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from kg import paths
from kg.iris import DEFAULT_BASE
from kg.pipeline import run_build

HEADER = """
document:
  id: user-doc
  file: user.txt
  kind: journal-article
  title: A user's document
records:
  - type: study
    id: user-study
    design: {kind: randomized-controlled-trial}
    conditions: [GIST]
    loc: {section: Methods, span: [0, 10]}
  - type: arm
    study: user-study
    id: a
    label: A
    role: experimental
    regimen: {drugs: [sorafenib], dose: 400, unit: mg}
    loc: {section: Methods, span: [0, 10]}
"""


def _write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(body))
    return path


def _build(folder: Path):
    """Build with ``folder`` added; no reasoning: these tests are about reading records."""
    return run_build(sources=[folder], out=None, base=DEFAULT_BASE, reasoner=None)


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_bad_yaml_names_the_file_and_others_still_build(tmp_path: Path) -> None:
    _write(tmp_path, "broken.yaml", "document: [unclosed\n")
    report = _build(tmp_path)
    assert [e.file for e in report.errors] == ["broken.yaml"]
    assert len(report.corpus.documents) == 5  # the embedded ones still build


def _errors_for(tmp_path: Path, *records: dict[str, Any]) -> list[str]:
    """The errors of a user file holding HEADER's records and then ``records``."""
    _write(tmp_path, "user.yaml", HEADER + textwrap.indent(yaml.safe_dump(list(records)), "  "))
    report = _build(tmp_path)
    assert len(report.corpus.records) > 500, "the other records must still build"
    return [str(e) for e in report.errors]


def _record(kind: str, **fields: Any) -> dict[str, Any]:
    """A record of the user study, cited at one span."""
    return {"type": kind, **fields, "loc": {"section": "Results", "span": [5, 9]}}


def _outcome(**fields: Any) -> dict[str, Any]:
    return _record("outcome", study="user-study", **fields)


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_missing_field(tmp_path: Path) -> None:
    errors = _errors_for(tmp_path, _outcome(endpoint="PFS", value=3, unit="months"))
    assert errors == ["user.yaml:20: record #3 (outcome PFS): field 'statistic': Field required"]


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_non_numeric_value(tmp_path: Path) -> None:
    record = _outcome(endpoint="PFS", statistic="median", value="about four", unit="months")
    errors = _errors_for(tmp_path, record)
    assert len(errors) == 1
    assert errors[0].startswith("user.yaml:30: record #3 (outcome PFS): field 'value':")
    assert "not a number" in errors[0]


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_ci_low_above_value(tmp_path: Path) -> None:
    record = _outcome(
        arm="a",
        endpoint="ORR",
        statistic="rate",
        value=20,
        unit="percent",
        ci="25 to 40",
        ci_level=95,
    )
    errors = _errors_for(tmp_path, record)
    assert errors == ["user.yaml:20: record #3 (outcome ORR): ci low 25 is above the value 20"]


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_unknown_arm_and_unknown_drug(tmp_path: Path) -> None:
    errors = _errors_for(
        tmp_path,
        _record("adverse_event", study="user-study", arm="nope", term="rash", percent=10),
        _record("drug_target", drug="notadrug", target="BRAF"),
    )
    no_arm = "field 'arm': study 'user-study' has no arm 'nope'"
    assert f"user.yaml:20: record #3 (adverse_event rash): {no_arm}" in errors
    assert (
        "user.yaml:30: record #4 (drug_target notadrug): field 'drug': unknown drug 'notadrug'"
        in errors
    )


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_user_source_adds_to_the_graph(tmp_path: Path) -> None:
    _write(tmp_path, "user.yaml", HEADER)
    report = _build(tmp_path)
    assert report.errors == []
    assert "user-study" in {getattr(r.record, "id", None) for r in report.corpus.records}


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_command_exits_non_zero_and_still_writes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(src, "broken.yaml", "records: 3\ndocument: {}\n")
    out = tmp_path / "out"
    run = subprocess.run(
        [
            sys.executable,
            str(paths.ROOT / "build_graph.py"),
            "--sources",
            str(src),
            "--out",
            str(out),
            "--quiet",
            "--reasoner",
            "none",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "broken.yaml" in run.stderr
    assert (out / "graph.ttl").stat().st_size > 100_000
