"""The parsers of document notation."""

from decimal import Decimal

import pytest

from kg.normalize import NameIndex, decimal_of, interval_of, numbers_in_text, p_value_of, valued_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("4,1", "4.1"), ("4.1", "4.1"), ("73%", "73"), ("−26", "-26"), (400, "400"), ("0.13", "0.13")],
)
def test_decimal_of(raw: object, expected: str) -> None:
    assert decimal_of(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "low", "high"),
    [
        ("69 to 96", "69", "96"),
        ("[10,6-20,2]", "10.6", "20.2"),
        ("95% CI [3,2-4,8]", "3.2", "4.8"),
        ("10-NA", "10", None),
        ("46–84", "46", "84"),
        ("−100 to 7", "-100", "7"),
        ([0.05, 0.31], "0.05", "0.31"),
    ],
)
def test_interval_of(raw: object, low: str, high: str | None) -> None:
    interval = interval_of(raw)
    assert interval.low == Decimal(low)
    assert interval.high == (None if high is None else Decimal(high))


@pytest.mark.parametrize("raw", ["2,4,9", "20 to 10", "abc"])
def test_interval_of_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        interval_of(raw)


def test_p_value_and_relations() -> None:
    assert p_value_of("P<0.001").relation == "<"
    assert p_value_of("p = .04").value == Decimal("0.04")
    with pytest.raises(ValueError):
        p_value_of("1.5")
    assert valued_of("<1").relation == "<"
    assert valued_of("approximately 37").relation == "~"
    assert valued_of("nearly 19").value == Decimal(19)


def test_numbers_in_text_reads_decimal_commas() -> None:
    found = numbers_in_text("4,1 months (IC 95% [3,2-4,8])")
    assert {Decimal("4.1"), Decimal("3.2"), Decimal("4.8")} <= found


def test_name_index_misspellings_and_abbreviations() -> None:
    drugs = NameIndex("drug")
    drugs.add("sunitinib")
    drugs.add("sorafenib", "Nexavar")
    assert drugs.resolve("Nexavar") == ("sorafenib", None)
    key, warning = drugs.resolve("Suntinib")
    assert key == "sunitinib" and warning and "close spelling" in warning
    diseases = NameIndex("disease")
    diseases.add("leiomyosarcoma", "LMS")
    assert diseases.resolve("LMS")[0] == "leiomyosarcoma"
    with pytest.raises(KeyError):
        diseases.resolve("LMX")  # short names must match exactly
