"""``kg extract`` on a made-up trial report: what it drafts, and that every draft is verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kg.cli import main
from kg.extract import extract_file
from kg.extract.verify import check_draft

MADE_UP = Path(__file__).parent / "data" / "extract" / "made-up-trial.txt"


@pytest.fixture(scope="module")
def drafts() -> Any:
    return extract_file(MADE_UP)


def _records(drafts: Any, kind: str) -> list[dict[str, Any]]:
    return [d.record for d in drafts.drafts if d.record["type"] == kind]


def _has(records: list[dict[str, Any]], **fields: Any) -> bool:
    return any(all(str(r.get(k)) == str(v) for k, v in fields.items()) for r in records)


def test_study_design_and_arms(drafts: Any) -> None:
    (study,) = _records(drafts, "study")
    assert study["registry_ids"] == ["clinicaltrials:NCT09999999"]
    assert study["acronym"] == "MADEUP-1"
    assert study["design"] == {
        "kind": "randomized-controlled-trial",
        "randomized": True,
        "blinding": "double-blind",
        "control": "placebo",
        "phase": "3",
        "allocation_ratio": "2:1",
    }
    arms = {a["id"]: a for a in _records(drafts, "arm")}
    assert arms["lenvatinib"]["regimen"] == {
        "drugs": ["lenvatinib"], "dose": "12", "unit": "mg", "frequency": "once daily",
        "route": "oral",
    }  # fmt: skip
    assert arms["placebo"]["regimen"] == {"placebo": True}
    assert _has(_records(drafts, "participants"), population="randomized", n=312)


def test_outcomes(drafts: Any) -> None:
    outcomes = _records(drafts, "outcome")
    assert _has(outcomes, endpoint="pfs", statistic="median", arm="lenvatinib", value="7.4")
    assert _has(outcomes, endpoint="pfs", statistic="median", arm="placebo", value="3.9")
    assert _has(
        outcomes, endpoint="pfs", statistic="hazard-ratio", arm="lenvatinib",
        comparator="placebo", value="0.52", ci="0.40 to 0.68", p_value="<0.001",
    )  # fmt: skip
    assert _has(outcomes, endpoint="orr", arm="lenvatinib", value="24", ci="18 to 31")
    assert _has(outcomes, endpoint="orr", arm="placebo", value="2", ci="0 to 7")
    assert _has(outcomes, endpoint="os", arm="lenvatinib", value="61", time_point=1)
    assert _has(outcomes, endpoint="os", arm="placebo", value="48", time_unit="years")
    assert len(outcomes) == 7  # nothing else: no number drafted twice or for a guessed arm


def test_adverse_events_from_sentences_and_a_table(drafts: Any) -> None:
    events = _records(drafts, "adverse_event")
    assert _has(events, term="any-adverse-event", grade=">=3", arm="lenvatinib", percent="57")
    assert _has(events, term="any-adverse-event", grade=">=3", arm="placebo", percent="21")
    assert _has(events, term="hypertension", grade="any", arm="lenvatinib", percent="42")
    assert _has(events, term="fatigue", arm="lenvatinib", percent="30")
    # the table: column groups per arm, "n (%)" cells, the arm's n as denominator
    assert _has(
        events, term="hypertension", grade="3-4", arm="lenvatinib", count=20, denominator=200
    )
    assert _has(events, term="diarrhea", grade="any", arm="placebo", count=10, percent="10")


def test_targets_and_approval(drafts: Any) -> None:
    targets = {r["target"] for r in _records(drafts, "drug_target")}
    assert targets == {"vegfr", "fgfr", "ret"}
    (approval,) = _records(drafts, "approval")
    assert approval == {
        "type": "approval", "drug": "lenvatinib", "agency": "FDA",
        "indication": "hepatocellular-carcinoma", "date": "2018-08",
    }  # fmt: skip


def test_new_entities_are_flagged(drafts: Any, tmp_path: Path) -> None:
    from kg.extract.drafts import write_drafts
    from kg.extract.text import sections

    path = write_drafts(drafts, sections(drafts.document.text), tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    drugs = {d["key"]: d for d in data["entities"]["drugs"]}
    assert "identifier_gap" in drugs["lenvatinib"]
    assert all(r["review"] == "draft" and r["extraction"]["rule"] for r in data["records"])


def test_every_value_lies_in_its_span(drafts: Any) -> None:
    text = drafts.document.text
    for draft in drafts.drafts:
        assert check_draft(text, draft) is None
        for value in draft.values:
            assert any(s <= value.start and value.end <= e for s, e in draft.spans)
            assert text[value.start : value.end] == value.text


def test_the_command_writes_drafts_that_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(MADE_UP), "--out", str(tmp_path)]) == 0
    (written,) = tmp_path.glob("*.yaml")
    # kg check reads each span against the document's text, as kg build --documents does
    assert main(["check", str(written), "--documents", str(MADE_UP.parent)]) == 0


def test_pubmed_xml_abstracts_are_read(tmp_path: Path) -> None:
    xml = MADE_UP.with_name("made-up-pubmed.xml")
    assert main(["extract", str(xml), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "pubmed-99999999.txt").is_file()  # the text the spans point into
    data = yaml.safe_load((tmp_path / "pubmed-99999999.draft.yaml").read_text(encoding="utf-8"))
    assert data["document"]["identifiers"] == ["pubmed:99999999", "doi:10.9999/madeup.2020.1"]
    outcomes = [r for r in data["records"] if r["type"] == "outcome"]
    assert {(r["statistic"], r.get("arm"), r["value"]) for r in outcomes} == {
        ("median", "regorafenib", "4.0"),
        ("median", "placebo", "1.0"),
        ("hazard-ratio", "regorafenib", "0.40"),
    }
    assert (
        main(["check", str(tmp_path / "pubmed-99999999.draft.yaml"), "--documents", str(tmp_path)])
        == 0
    )


def _draft_text(tmp_path: Path, text: str) -> list[dict[str, Any]]:
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    return [d.record for d in extract_file(path).drafts]


def _outcomes(records: list[dict[str, Any]], *fields: str, **where: str) -> set[tuple[Any, ...]]:
    """The outcome drafts whose fields equal ``where``, each as the tuple of its ``fields``."""
    return {
        tuple(r.get(f) for f in fields)
        for r in records
        if r["type"] == "outcome" and all(r.get(k) == v for k, v in where.items())
    }


DESIGN = (
    "In this randomized, double-blind phase 3 trial, we randomly assigned 240 patients to "
    "receive cabozantinib 60 mg once daily or placebo.\n\n"
)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (  # arms named before a "versus" pair
            "Overall survival was longer with cabozantinib than with placebo: 11.3 months "
            "versus 6.9 months.",
            {("os", "cabozantinib", "11.3"), ("os", "placebo", "6.9")},
        ),
        (  # a list closed by "respectively"
            "The median PFS was 5.2 and 1.9 months in the cabozantinib and placebo groups, "
            "respectively.",
            {("pfs", "cabozantinib", "5.2"), ("pfs", "placebo", "1.9")},
        ),
        (  # "in the respective arms": in the order the arms were given
            "Median overall survival was 10.4 months and 7.7 months in the respective arms.",
            {("os", "cabozantinib", "10.4"), ("os", "placebo", "7.7")},
        ),
        (  # a list of time points: the values in the order of the times, the arm after them
            "At 6 and 12 months, the PFS rates were 61% and 40% in the cabozantinib group.",
            {("pfs", "cabozantinib", "61"), ("pfs", "cabozantinib", "40")},
        ),
        (  # one run of values per arm, each as long as the list of times
            "The 6 and 12 months PFS rates were 58% (95% CI 49-66) and 37% (95% CI 28-46) with "
            "cabozantinib, whereas 31% (95% CI 22-40) and 12% (95% CI 6-20) with placebo.",
            {
                ("pfs", "cabozantinib", "58"),
                ("pfs", "cabozantinib", "37"),
                ("pfs", "placebo", "31"),
                ("pfs", "placebo", "12"),
            },
        ),
        (  # more values than the times pair: which is which is unsure, nothing is drafted
            "At 6 and 12 months, the PFS rates were 61%, 40% and 22% in the cabozantinib group.",
            set(),
        ),
        (  # whose median? the sentence does not say
            "The median overall survival was 10.1 months.",
            set(),
        ),
    ],
)
def test_arm_assignment(tmp_path: Path, sentence: str, expected: set[tuple[str, str, str]]) -> None:
    records = _draft_text(tmp_path, DESIGN + sentence)
    found = {(r["endpoint"], r.get("arm"), r["value"]) for r in records if r["type"] == "outcome"}
    assert found == expected


def test_values_paired_with_a_list_of_time_points(tmp_path: Path) -> None:
    sentence = (
        "The 6 and 12 months PFS rates were 58% (95% CI 49-66) and 37% (95% CI 28-46) with "
        "cabozantinib, whereas 31% (95% CI 22-40) and 12% (95% CI 6-20) with placebo."
    )
    records = _draft_text(tmp_path, DESIGN + sentence)
    found = {
        (r["arm"], r["time_point"], r["time_unit"], r["value"], r["ci"])
        for r in records
        if r["type"] == "outcome"
    }
    assert found == {
        ("cabozantinib", 6, "months", "58", "49 to 66"),
        ("cabozantinib", 12, "months", "37", "28 to 46"),
        ("placebo", 6, "months", "31", "22 to 40"),
        ("placebo", 12, "months", "12", "6 to 20"),
    }


CARRIED = (
    "Median PFS was 7.4 months with cabozantinib and 3.1 months with placebo. "
    "The 6-month PFS rate was 55% (95% CI 46-63) versus 21% (95% CI 14-30)."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # the arms of the sentence before, in the same paragraph, in their order
            CARRIED,
            {("cabozantinib", "55"), ("placebo", "21")},
        ),
        (  # a new paragraph: the arms are not carried
            CARRIED.replace(". The", ".\n\nThe"),
            set(),
        ),
        (  # the sentence before names one arm only: unsure, nothing is drafted
            "Median PFS was 7.4 months with cabozantinib. "
            "The 6-month PFS rate was 55% (95% CI 46-63) versus 21% (95% CI 14-30).",
            set(),
        ),
    ],
)
def test_arms_carried_from_the_sentence_before(
    tmp_path: Path, text: str, expected: set[tuple[str, str]]
) -> None:
    records = _draft_text(tmp_path, DESIGN + text)
    found = _outcomes(records, "arm", "value", statistic="rate")
    assert found == expected


REGISTRY = (
    "Off-label targeted therapies in sarcoma: a national registry\n\n"
    "We report 140 patients of a national registry who received sunitinib or pazopanib.\n\n"
)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (  # the whole cohort's rates: no drug, disease or subgroup named
            "The DCR was 61% at two months and 42% at four months.",
            {(2, "61"), (4, "42")},
        ),
        ("In GIST, the DCR was 61% at two months.", set()),  # a subgroup
        ("The DCR with sunitinib was 61% at two months.", set()),  # one drug's patients
        ("The ORR was computed with its 95% confidence interval.", set()),  # a level
    ],
)
def test_registry_whole_cohort_rates(
    tmp_path: Path, sentence: str, expected: set[tuple[int, str]]
) -> None:
    records = _draft_text(tmp_path, REGISTRY + sentence)
    found = _outcomes(records, "time_point", "value", statistic="rate")
    assert found == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The median overall survival was 9,6 months (IC 95% [7,2-12,0]).",
            {("9.6", "7.2 to 12.0")},
        ),
        ("In GIST, the median overall survival was 9,6 months.", set()),
        ("For the bone sarcomas, median overall survival was 9,6 months.", set()),
    ],
)
def test_registry_whole_cohort_medians(
    tmp_path: Path, sentence: str, expected: set[tuple[str, str]]
) -> None:
    records = _draft_text(tmp_path, REGISTRY + sentence)
    found = _outcomes(records, "value", "ci", statistic="median", endpoint="os")
    assert found == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (  # a count of responses with shares of patients, one broken at a line end
            "Nineteen PRs were seen (21% of pa- tients treated with cabozantinib, 3% with "
            "placebo).",
            {("cabozantinib", "21", "proportion"), ("placebo", "3", "proportion")},
        ),
        (  # a rate the text names as one stays a rate
            "The PR rate was 21% in patients treated with cabozantinib.",
            {("cabozantinib", "21", "rate")},
        ),
    ],
)
def test_shares_of_patients_are_proportions(
    tmp_path: Path, sentence: str, expected: set[tuple[str, str, str]]
) -> None:
    records = _draft_text(tmp_path, DESIGN + sentence)
    found = _outcomes(records, "arm", "value", "statistic", endpoint="partial-response")
    assert found == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (  # the whole trial's share, then a colon's list by arm
            "In all, 41% of the patients in the trial (98 of 240) had disease progression: "
            "30% of the patients (36 of 120) in the cabozantinib group and 52% of the patients "
            "(62 of 120) in the placebo group.",
            {
                ("progression", None, "41", 98),
                ("progression", "cabozantinib", "30", 36),
                ("progression", "placebo", "52", 62),
            },
        ),
        (  # a share of one arm that had stable disease
            "About 47 percent in the cabozantinib group had stable disease.",
            {("stable-disease", "cabozantinib", "~47", None)},
        ),
        (  # a comparison continuing the event's share
            "About 47 percent in the cabozantinib group had stable disease for 4 months or "
            "longer, compared with 28 percent of those in the placebo group.",
            {
                ("stable-disease", "cabozantinib", "~47", None),
                ("stable-disease", "placebo", "28", None),
            },
        ),
        (  # progression named as a time, not an event patients had: nothing drafted
            "Treatment continued until disease progression in 41% of the patients.",
            set(),
        ),
    ],
)
def test_shares_of_patients_with_an_event(
    tmp_path: Path, sentence: str, expected: set[tuple[str, Any, str, Any]]
) -> None:
    records = _draft_text(tmp_path, DESIGN + sentence)
    found = _outcomes(records, "endpoint", "arm", "value", "count", statistic="proportion")
    assert found == expected


def test_patients_progression_free_at_a_time(tmp_path: Path) -> None:
    sentence = (
        "At the cut-off, 44% (95% CI 35-53) of patients in the cabozantinib group were "
        "progression-free at 9 months."
    )
    records = _draft_text(tmp_path, DESIGN + sentence)
    found = {
        (r["endpoint"], r.get("arm"), r["statistic"], r["value"], r.get("time_point"))
        for r in records
        if r["type"] == "outcome"
    }
    assert found == {("pfs", "cabozantinib", "rate", "44", 9)}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (  # the whole trial's counts, in words and digits
            "Four CRs and 27 PRs were observed.",
            {("complete-response", None, 4), ("partial-response", None, 27)},
        ),
        ("None of the patients had a complete response.", {("complete-response", None, 0)}),
        (  # the arm the statement names, in its own clause
            "Responses were seen in 40 of 120 patients with cabozantinib and 3 of 120 with "
            "placebo; 5 patients on cabozantinib had a complete response.",
            {("complete-response", "cabozantinib", 5)},
        ),
        (  # an arm named elsewhere in the clause: whose count is unsure
            "With cabozantinib, 5 patients had a complete response.",
            set(),
        ),
    ],
)
def test_response_counts(
    tmp_path: Path, sentence: str, expected: set[tuple[str, Any, int]]
) -> None:
    records = _draft_text(tmp_path, DESIGN + sentence)
    found = _outcomes(records, "endpoint", "arm", "value", statistic="count")
    assert found == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Median metastasis-free survival was 14.2 months with cabozantinib and 9.8 months "
            "with placebo.",
            {("mfs", "cabozantinib", "14.2"), ("mfs", "placebo", "9.8")},
        ),
        (
            "The 2-year relapse-free survival rate was 64% with cabozantinib.",
            {("rfs", "cabozantinib", "64")},
        ),
        (
            "Median time to treatment failure was 6.1 months with cabozantinib.",
            {("ttf", "cabozantinib", "6.1")},
        ),
    ],
)
def test_further_oncology_endpoints(
    tmp_path: Path, sentence: str, expected: set[tuple[str, str, str]]
) -> None:
    records = _draft_text(tmp_path, DESIGN + sentence)
    found = {(r["endpoint"], r.get("arm"), r["value"]) for r in records if r["type"] == "outcome"}
    assert found == expected


def test_new_entities_of_every_kind_load(tmp_path: Path) -> None:
    """Names the curated catalogue lacks (a drug stem, a lexicon-only term, target, disease)
    become flagged entities of the draft, and the draft checks."""
    text = (
        "In this single-arm, open-label phase 2 trial, patients received zortinib 80 mg orally "
        "once daily. Zortinib inhibits FGFR and RET kinases. The most common adverse events "
        "were neutropenia (34%) and dysgeusia (21%). The FDA approved zortinib for medullary "
        "thyroid cancer in May 2024.\n"
    )
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "new.txt").write_text(text, encoding="utf-8")
    assert main(["extract", str(docs / "new.txt"), "--out", str(tmp_path / "out")]) == 0
    written = tmp_path / "out" / "new.draft.yaml"
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    sections = data["entities"]
    assert {e["key"] for e in sections["drugs"]} == {"zortinib"}
    assert {e["key"] for e in sections["adverse_event_terms"]} == {"neutropenia", "dysgeusia"}
    assert {e["key"] for e in sections["targets"]} == {"fgfr", "ret"}
    assert all("identifier_gap" in e for s in sections.values() for e in s)
    assert main(["check", str(written), "--documents", str(docs)]) == 0
