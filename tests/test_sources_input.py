"""Bad and hostile raw sources: each error names the file, the pointer and the field."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from kg.iris import DEFAULT_BASE
from kg.pipeline import run_build
from kg.sources.detect import detect
from kg.sources.load import add_sources, split_sources
from kg.sources.records import Corpus
from kg.sources.xmltree import XmlRefused, parse_xml
from tests.sources_helpers import fixtures

V2 = "NCT02552212.json"
ANALYSIS = "/resultsSection/outcomeMeasuresModule/outcomeMeasures/0/analyses/0"


def read(*paths: Path):
    _, entries, errors, _ = split_sources(paths)
    found = add_sources(Corpus(), entries)
    return found, errors + found.errors


def copy_v2(tmp_path: Path) -> dict:
    return json.loads((fixtures() / "ctgov-v2" / V2).read_text(encoding="utf-8"))


def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_kind_comes_from_content_not_name() -> None:
    assert detect(b'{"protocolSection": {}}')[0] == "json"
    assert detect(b'<?xml version="1.0"?>\n<!DOCTYPE x>\n<clinical_study>')[0] == "ctgov-xml"
    assert detect(b"<?xml version='1.0'?><!-- c --><PubmedArticleSet>")[0] == "pubmed-xml"
    assert detect(b"PK\x03\x04...")[0] == "zip"
    assert detect(b"# records\ndocument:\n  id: x\n")[0] == "records-yaml"
    assert detect(b"<document xmlns='urn:hl7-org:v3'>")[0] == "unknown"


def test_a_lower_limit_above_the_value_names_file_pointer_and_field(tmp_path: Path) -> None:
    data = copy_v2(tmp_path)
    data["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]["analyses"][0][
        "ciLowerLimit"
    ] = "20"
    found, errors = read(write(tmp_path / "renamed.txt", data))
    assert [(e.file.endswith("renamed.txt"), e.record, e.field) for e in errors] == [
        (True, ANALYSIS, "ciLowerLimit")
    ]
    assert "20 is above the value 15.231" in errors[0].message
    (study,) = found.studies  # the rest of the study still reads
    assert sum(len(m.analyses) for m in study.trial.outcomes) == 11


def test_non_numeric_value_and_unknown_group(tmp_path: Path) -> None:
    data = copy_v2(tmp_path)
    measure = data["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][1]
    cell = measure["classes"][0]["categories"][0]["measurements"]
    cell[0]["value"] = "about seven"
    cell[1]["groupId"] = "OG099"
    _, errors = read(write(tmp_path / "a.json", data))
    where = "/resultsSection/outcomeMeasuresModule/outcomeMeasures/1/classes/0/categories/0"
    assert {(e.record, e.field) for e in errors} == {
        (f"{where}/measurements/0", "value"),
        (f"{where}/measurements/1", "groupId"),
    }


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('{"protocolSection": {"identificationModule": {}}}', "nctId", "no nctId"),
        ('{"protocolSection": ', None, "not valid JSON"),
        ('{"FullStudiesResponse": {}}', None, "not a ClinicalTrials.gov API v2 study"),
        ("<clinical_study><brief_title>x</brief_title>", None, "not well-formed XML"),
    ],
)
def test_broken_or_foreign_files(
    tmp_path: Path, text: str, field: str | None, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    found, errors = read(path)
    assert len(errors) == 1 and errors[0].field == field and message in errors[0].message
    assert found.left_out == [str(path)]


def test_hostile_xml_is_refused_unexpanded(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE clinical_study [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">' for i in range(9)
        )
        + "]><clinical_study>&a8;</clinical_study>"
    )
    with pytest.raises(XmlRefused, match="entities"):
        parse_xml(laughs.encode())
    external = (
        '<?xml version="1.0"?><!DOCTYPE clinical_study [<!ENTITY x SYSTEM '
        '"file:///etc/passwd">]><clinical_study>&x;</clinical_study>'
    )
    (tmp_path / "external.xml").write_text(external, encoding="utf-8")
    _, errors = read(tmp_path / "external.xml")
    assert "refused" in errors[0].message and "passwd" not in errors[0].message.split("(")[0]


def test_a_zip_is_read_member_by_member_and_a_bad_member_is_named(tmp_path: Path) -> None:
    root = fixtures()
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(root / "ctgov-v2" / V2, "a/NCT02552212.json")
        z.writestr(
            "a/NCT00000000.json", '{"protocolSection": {"identificationModule": {"nctId": "NCT0"}}}'
        )
        z.write(root / "ctgov-xml" / "NCT01642004.xml", "b/NCT01642004.xml")
    found, errors = read(archive)
    assert sorted(s.trial.nct for s in found.studies) == ["NCT01642004", "NCT02552212"]
    assert [(e.file, e.field) for e in errors] == [(f"{archive}!a/NCT00000000.json", "nctId")]


def test_a_corrupt_zip_member_is_an_error_and_the_others_load(tmp_path: Path) -> None:
    root = fixtures()
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.write(root / "ctgov-v2" / "NCT00763412.json", "first.json")
        z.write(root / "ctgov-v2" / "NCT05594173.json", "second.json")
    data = bytearray(archive.read_bytes())
    data[data.index(b"NCT00763412") + 200] ^= 0xFF  # the first member's bytes no longer match
    archive.write_bytes(bytes(data))
    found, errors = read(archive)
    assert [s.trial.nct for s in found.studies] == ["NCT05594173"]
    assert len(errors) == 1 and errors[0].file.endswith("!first.json")


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_the_build_exits_non_zero_and_builds_the_rest(tmp_path: Path) -> None:
    root = fixtures()
    shutil.copy(root / "ctgov-v2" / "NCT05594173.json", tmp_path)
    (tmp_path / "truncated.json").write_bytes(
        (root / "ctgov-v2" / "NCT00763412.json").read_bytes()[:5000]
    )
    report = run_build(sources=[tmp_path], out=None, base=DEFAULT_BASE, reasoner=None)
    assert [e.file for e in report.errors] == [str(tmp_path / "truncated.json")]
    graph_text = {str(o) for o in report.result.graph.objects()}
    assert "clinicaltrials:NCT05594173" in graph_text
    from kg.cli import main

    assert (
        main(
            [
                "build",
                "--sources",
                str(tmp_path),
                "--out",
                str(tmp_path / "out"),
                "--reasoner",
                "none",
                "--quiet",
            ]
        )
        == 1
    )
