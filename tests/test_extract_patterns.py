"""The numeric statement grammar of ``kg extract`` on made-up sentences, one form per test."""

from __future__ import annotations

import pytest

from kg.extract.patterns import hazard_ratios, numbers, percents, read_tail
from kg.sources.decoding import decode_document


def _hr(text: str) -> tuple[str, object]:
    value = hazard_ratios(text, 0, len(text))[0]
    return value.text, read_tail(text, value.end)


@pytest.mark.parametrize(
    ("text", "value", "low", "high", "p"),
    [
        ("HR=0.63, 95% CI: 0.50, 0.79", "0.63", "0.50", "0.79", None),
        ("hazard ratio 0.13; 95% CI, 0.05 to 0.31; P<0.001", "0.13", "0.05", "0.31", "<0.001"),
        (
            "hazard ratio for death, 0.71 (95% CI 0.55–0.92; P = .04)",
            "0.71",
            "0.55",
            "0.92",
            "=.04",
        ),
        ("HR 0.48 (95% CI 0.33−0.69), p=0.0002", "0.48", "0.33", "0.69", "=0.0002"),
        ("HR 0,74 (IC 95% 0,61-0,90)", "0,74", "0,61", "0,90", None),
        (
            "the hazard ratio was 1.05 (95% confidence interval [CI], 0.80 to 1.37)",
            "1.05",
            "0.80",
            "1.37",
            None,
        ),
    ],
)
def test_hazard_ratio_forms(text: str, value: str, low: str, high: str, p: str | None) -> None:
    found, tail = _hr(text)
    assert found == value
    assert tail.ci is not None and tail.ci.low.text == low and tail.ci.high.text == high  # type: ignore[attr-defined]
    assert tail.ci.level.text == "95"  # type: ignore[attr-defined]
    assert tail.p_value == p  # type: ignore[attr-defined]


def test_median_with_interval_and_open_bound() -> None:
    text = "median overall survival 22.3 months (95% CI, 18.1 to NR)"
    value = next(n for n in numbers(text) if n.text == "22.3")
    tail = read_tail(text, value.end)
    assert tail.ci is not None and tail.ci.low.text == "18.1"
    assert tail.ci.high is None and tail.ci.open == "NR"


def test_not_reached_words() -> None:
    text = "median 31 months (95% CI 12 to not reached)"
    tail = read_tail(text, text.index("31") + 2)
    assert tail.ci is not None and tail.ci.open == "not reached"


def test_decimal_commas_in_a_bracketed_range() -> None:
    text = "4,7 months (IC 95% [3,9-5,6])"
    tail = read_tail(text, 3)
    assert tail.ci is not None and (tail.ci.low.text, tail.ci.high.text) == ("3,9", "5,6")  # type: ignore[union-attr]


def test_interquartile_range() -> None:
    text = "7.2 months (interquartile range, 4.1 to 12.9)"
    tail = read_tail(text, 3)
    assert tail.dispersion is not None and tail.dispersion.kind == "iqr"
    assert (tail.dispersion.low.text, tail.dispersion.high.text) == ("4.1", "12.9")  # type: ignore[union-attr]


def test_rate_with_interval_and_count() -> None:
    text = "41% (95% CI 30 to 52) and 17 of 42 patients"
    value = percents(text, 0, len(text))[0]
    assert value.text == "41"
    tail = read_tail(text, value.end)
    assert tail.ci is not None and (tail.ci.low.text, tail.ci.high.text) == ("30", "52")  # type: ignore[union-attr]
    counted = read_tail("29% (12 of 41)", 2)
    assert counted.count is not None and (counted.count.text, counted.denominator.text) == (
        "12",
        "41",
    )  # type: ignore[union-attr]


def test_interval_level_is_not_a_percentage() -> None:
    text = "the rate was 38% (95% CI, 27 to 50) and 90% CI 20-40"
    assert [v.text for v in percents(text, 0, len(text))] == ["38"]


def test_numbers_keep_unicode_minus_and_skip_identifiers() -> None:
    text = "change −31% (range, −100 to 12) in NCT01234567"
    assert [n.text for n in numbers(text)] == ["−31", "−100", "12"]


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("naïve ≥3".encode(), "naïve ≥3", "utf-8"),
        ("naïve".encode("latin-1"), "naïve", "cp1252"),
        (b"\xef\xbb\xbfplain", "plain", "utf-8"),
        ("\ufeffgrade ≥3".encode("utf-16-le"), "grade ≥3", "utf-16-le"),
        ("\ufeffx".encode("utf-16-be"), "x", "utf-16-be"),
        ("\ufeffy".encode("utf-32-le"), "y", "utf-32-le"),
    ],
)
def test_decoding(data: bytes, text: str, encoding: str) -> None:
    decoded = decode_document(data)
    assert (decoded.text, decoded.encoding, decoded.binary) == (text, encoding, False)


def test_binary_decodes_to_nothing() -> None:
    assert decode_document(b"\x00\x01\x02PNG\x00" * 50).binary


def test_the_lexicon_file_is_well_formed() -> None:
    """Every extra name of kg/extract/lexicon.yaml resolves to one entity of its kind."""

    import yaml

    from kg.extract.entities import _EXTRA, _SECTIONS, lexicon

    extra = yaml.safe_load(_EXTRA.read_text(encoding="utf-8"))
    lex = lexicon()
    kinds = _SECTIONS
    for section, block in extra.items():
        names = [n for names in block.values() for n in names] if isinstance(block, dict) else block
        for name in names:
            assert lex.find(kinds[section], name) is not None, (section, name)


def test_an_unreadable_interval_is_left_out() -> None:
    """A decimal comma and a comma between the bounds ("[2,6,8]"): which is which is unsure."""
    assert read_tail("3,1 months (95% CI [2,6,8])", 3).ci is None
    assert read_tail("3,1 months (95% CI [2,6-4,8])", 3).ci is not None


def test_a_level_without_bounds_is_no_percentage() -> None:
    text = "rates are given with their 95% confidence intervals; 41% responded"
    assert [v.text for v in percents(text, 0, len(text))] == ["41"]
