"""The study-design record types (endpoint, finding, baseline, sample_size, protocol_rule,
deviation): a good file loads; a broken record is refused with its file, line and record named.

Each type is broken three ways: a required field left out, a number its spans do not hold, and a
value out of range. The checks run without a graph (the loader only), so they are fast.
"""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from kg import paths
from kg.sources.records import Corpus, check_documents, load_corpus, record_files

# an invented report; every number a record states stands in it
TEXT = (
    "EXM-301 randomly assigned patients to examplinib or placebo. "
    "The primary end point was progression-free survival, judged by the investigators with "
    "RECIST, version 1.1, from randomization to progression or death. "
    "Seventy-five patients would give 90% power at a one-sided alpha of 0.025 to detect a "
    "hazard ratio of 0.4; the final analysis waits for 52 events. "
    "Tumours were imaged every 8 weeks; interruptions of up to 28 days were allowed. "
    "Of the patients, 60% were women; the median age was 41 years (range 22 to 70). "
    "The median progression-free survival was not reached. "
    "Nearly two-thirds of patients had a dose reduction. "
    "A software error left a ratio of 1.5 to 1.7:1 instead of 2:1 after 40 patients "
    "(24 and 16), disclosed in March 2020."
)


def _at(quote: str) -> dict[str, Any]:
    start = TEXT.index(quote)
    return {"section": "Report", "span": [start, start + len(quote)]}


STUDY = [
    {
        "type": "study",
        "id": "exm-301",
        "design": {"kind": "randomized-controlled-trial"},
        "conditions": ["GIST"],
        "loc": _at("EXM-301 randomly assigned"),
    },
    {
        "type": "arm",
        "study": "exm-301",
        "id": "examplinib",
        "label": "examplinib",
        "role": "experimental",
        "regimen": {"drugs": ["sorafenib"]},
        "loc": _at("examplinib or placebo"),
    },
    {
        "type": "arm",
        "study": "exm-301",
        "id": "placebo",
        "label": "placebo",
        "role": "control",
        "regimen": {"placebo": True},
        "loc": _at("examplinib or placebo"),
    },
]

# one good record of each new type, with what to break: (a required field, a field to set to a
# number the text does not hold, fields set out of range and the message expected)
GOOD: dict[str, tuple[dict[str, Any], str, tuple[str, Any], tuple[dict[str, Any], str]]] = {
    "endpoint": (
        {
            "type": "endpoint",
            "study": "exm-301",
            "endpoint": "PFS",
            "role": "primary",
            "criteria": [{"name": "RECIST", "version": "1.1"}],
            "assessor": "investigator",
            "time_origin": "randomization",
            "event_definition": "progression or death",
            "loc": _at("with RECIST, version 1.1, from randomization to progression or death."),
        },
        "role",
        ("criteria", [{"name": "RECIST", "version": "1.2"}]),
        ({"time_points": [-2], "time_unit": "months"}, "above 0"),
    ),
    "finding": (
        {
            "type": "finding",
            "study": "exm-301",
            "endpoint": "PFS",
            "statistic": "median",
            "kind": "not-reached",
            "loc": _at("The median progression-free survival was not reached."),
        },
        "kind",
        ("fraction", [5, 7]),  # (a kind: fraction is set below)
        ({"kind": "fraction", "fraction": [4, 3]}, "not a share"),
    ),
    "baseline": (
        {
            "type": "baseline",
            "study": "exm-301",
            "characteristic": "sex",
            "category": "female",
            "percent": 60,
            "loc": _at("60% were women"),
        },
        "characteristic",
        ("percent", 65),
        ({"percent": 140}, "within 0-100"),
    ),
    "sample_size": (
        {
            "type": "sample_size",
            "study": "exm-301",
            "endpoint": "PFS",
            "target_n": 75,
            "power": 90,
            "alpha": 0.025,
            "sides": "one-sided",
            "hazard_ratio": 0.4,
            "events": 52,
            "loc": _at(
                "Seventy-five patients would give 90% power at a one-sided alpha of 0.025 to "
                "detect a hazard ratio of 0.4; the final analysis waits for 52 events."
            ),
        },
        "study",
        ("target_n", 76),
        ({"power": 120}, "power is a percentage"),
    ),
    "protocol_rule": (
        {
            "type": "protocol_rule",
            "study": "exm-301",
            "rule": "imaging-schedule",
            "interval": 8,
            "interval_unit": "weeks",
            "modalities": ["CT"],
            "loc": _at("Tumours were imaged every 8 weeks"),
        },
        "rule",
        ("interval", 6),
        ({"interval": -8}, "above 0"),
    ),
    "deviation": (
        {
            "type": "deviation",
            "study": "exm-301",
            "kind": "allocation-ratio",
            "planned": "2:1",
            "observed": "1.5 to 1.7",
            "detected_after": 40,
            "arm_counts": [{"arm": "examplinib", "n": 24}, {"arm": "placebo", "n": 16}],
            "disclosed": "2020-03",
            "corrected": True,
            "loc": _at(
                "A software error left a ratio of 1.5 to 1.7:1 instead of 2:1 after 40 patients "
                "(24 and 16), disclosed in March 2020."
            ),
        },
        "kind",
        ("observed", "1.5 to 1.8"),
        ({"observed": "1.7 to 1.5"}, "above its high bound"),
    ),
}


def _corpus(tmp_path: Path, records: list[dict[str, Any]]) -> Corpus:
    """The embedded records plus a user file of ``records``, its spans checked against TEXT."""
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "exm-301.txt").write_text(TEXT, encoding="utf-8")
    header = {
        "document": {
            "id": "exm-301-report",
            "file": "exm-301.txt",
            "kind": "journal-article",
            "title": "An invented trial report",
        }
    }
    body = yaml.safe_dump(header, sort_keys=False)
    body += "records:\n" + textwrap.indent(
        yaml.safe_dump([*STUDY, *records], sort_keys=False), "  "
    )
    path = tmp_path / "user.yaml"
    path.write_text(body, encoding="utf-8")
    corpus = load_corpus([*record_files(paths.RECORDS), path])
    check_documents(corpus, docs)
    return corpus


def _errors(corpus: Corpus) -> list[str]:
    return [str(e) for e in corpus.errors if e.file == "user.yaml"]


def test_good_records_of_every_new_type_load(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, [good for good, *_ in GOOD.values()])
    assert _errors(corpus) == []
    loaded = {item.record.type for item in corpus.records if item.file == "user.yaml"}
    assert set(GOOD) <= loaded


def test_a_fraction_in_words_states_its_numerator_and_denominator(tmp_path: Path) -> None:
    fraction = {
        "type": "finding",
        "study": "exm-301",
        "endpoint": "dose reduction",
        "statistic": "proportion",
        "kind": "fraction",
        "fraction": [2, 3],
        "relation": "~",
        "loc": _at("Nearly two-thirds of patients had a dose reduction."),
    }
    assert _errors(_corpus(tmp_path, [fraction])) == []


def _one_error(corpus: Corpus, kind: str) -> str:
    errors = _errors(corpus)
    assert errors, f"a broken {kind} record was accepted"
    record = f"record #{len(STUDY) + 1} ({kind}"
    assert all(e.startswith("user.yaml:") and record in e for e in errors), errors
    return "\n".join(errors)


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_a_missing_required_field_is_refused(tmp_path: Path, kind: str) -> None:
    good, required, _, _ = GOOD[kind]
    broken = {k: v for k, v in good.items() if k != required}
    message = _one_error(_corpus(tmp_path, [broken]), kind)
    assert f"field '{required}'" in message and "Field required" in message


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_a_number_not_in_the_span_is_refused(tmp_path: Path, kind: str) -> None:
    good, _, (field, value), _ = GOOD[kind]
    broken = copy.deepcopy(good) | {field: value}
    if kind == "finding":  # a fraction the text does not state: 5 of 7
        broken["kind"] = "fraction"
    message = _one_error(_corpus(tmp_path, [broken]), kind)
    assert "not in the text of its spans" in message, message


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_a_value_out_of_range_is_refused(tmp_path: Path, kind: str) -> None:
    good, _, _, (changes, expected) = GOOD[kind]
    broken = copy.deepcopy(good) | changes
    message = _one_error(_corpus(tmp_path, [broken]), kind)
    assert expected in message, message


def test_a_file_with_a_broken_design_record_contributes_nothing(tmp_path: Path) -> None:
    good, _, _, (changes, _) = GOOD["baseline"]
    corpus = _corpus(tmp_path, [GOOD["endpoint"][0], copy.deepcopy(good) | changes])
    assert "user.yaml" in corpus.left_out
    assert not [item for item in corpus.records if item.file == "user.yaml"]


def test_an_arm_a_deviation_counts_must_exist(tmp_path: Path) -> None:
    good = copy.deepcopy(GOOD["deviation"][0])
    good["arm_counts"][1]["arm"] = "observation"
    message = _one_error(_corpus(tmp_path, [good]), "deviation")
    assert "study 'exm-301' has no arm 'observation'" in message
    assert "field 'arm_counts.1.arm'" in message


def test_a_not_reached_median_has_no_number_field() -> None:
    """'Not reached' is a kind of finding: the model has no value to put a 0 in."""
    from kg.model import FindingRecord

    assert "value" not in FindingRecord.model_fields
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        FindingRecord.model_validate(GOOD["finding"][0] | {"value": 0})


def test_the_new_types_are_in_the_published_schema() -> None:
    from kg.model import RecordFile

    schema = RecordFile.model_json_schema()
    types = {
        d["properties"]["type"].get("const")
        for d in schema["$defs"].values()
        if "type" in d.get("properties", {})
    }
    assert set(GOOD) <= types
