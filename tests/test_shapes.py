"""SHACL shapes: the seed graph conforms, and each shape fires on a deliberately broken copy."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import PROV

from kg.cli import main
from kg.iris import DEFAULT_BASE, Minter
from kg.trust import run_checks
from kg.validate import ValidationReport, Violation, validate
from kg.vocab import CDEK, OA

R = DEFAULT_BASE
A = R + "study/alliance-a091105/"
HR = URIRef(A + "result/pfs-hazard-ratio-sorafenib-vs-placebo")
PFS_RATE = URIRef(A + "result/pfs-rate-sorafenib-1years")
ORR_PLACEBO = URIRef(A + "result/orr-rate-placebo-v1")
ORR = URIRef(A + "result/orr-rate-sorafenib")
PFS_1Y = URIRef(A + "result/pfs-rate-placebo-1years")
PFS_2Y = URIRef(A + "result/pfs-rate-placebo-2years")
LESIONS = URIRef(A + "result/best-change-target-lesions-mean-placebo")
RASH = URIRef(A + "adverse-event/sorafenib-rash-grade-1-2")
FATIGUE = URIRef(A + "adverse-event/sorafenib-fatigue-grade-1-2")
BOWEL = URIRef(A + "adverse-event/sorafenib-bowel-perforation-grade-any-disease-related")
EFFICACY = URIRef(A + "participants/efficacy-all")
LINES = URIRef(R + "study/outcs/participants/treatment-lines-all-alveolar-soft-part-sarcoma")
BRAF_STATEMENT = URIRef(R + "statement/sorafenib-inhibits-braf")
SUNITINIB = URIRef(R + "drug/sunitinib")
RAS = URIRef(R + "target/ras")
DECISION_ARM = URIRef(R + "study/decision/arm/sorafenib")
CR_COUNT = URIRef(A + "result/complete-response-count-sorafenib")
PR_PLACEBO = URIRef(A + "result/partial-response-count-placebo")
PFS_2Y_SORAFENIB = URIRef(A + "result/pfs-rate-sorafenib-2years")
CROSSOVER = URIRef(A + "participants/crossover-placebo")
HYPERTENSION = URIRef(A + "adverse-event/sorafenib-hypertension-grade-1-2")
IMATINIB = URIRef(R + "drug/imatinib")
SORAFENIB = URIRef(R + "drug/sorafenib")
TOSYLATE = URIRef("http://purl.obolibrary.org/obo/CHEBI_50928")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks and exports run offline: any socket connection fails the test."""

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _set(node: URIRef, prop: URIRef, value: object) -> Callable[[Graph], None]:
    def change(g: Graph) -> None:
        g.set((node, prop, value if isinstance(value, Literal | URIRef) else Literal(value)))

    return change


def _drop(node: URIRef, prop: URIRef) -> Callable[[Graph], None]:
    return lambda g: g.remove((node, prop, None))


def _decimal(text: str) -> Literal:
    return Literal(text, datatype=XSD.decimal)


def _span_backwards(g: Graph) -> None:
    span = next(g.objects(RASH, PROV.wasDerivedFrom))
    position = next(g.objects(span, OA.hasSelector))
    g.set((position, OA.start, Literal(10**9, datatype=XSD.nonNegativeInteger)))


def _family_without_ids(g: Graph) -> None:
    for member in list(g.objects(RAS, CDEK.hasMember)):
        g.remove((member, SKOS.exactMatch, None))
        g.add((member, CDEK.identifierGap, Literal("test: identifiers removed")))


# (name, the change, the node that must be reported, the shape that must report it)
BREAKS = [
    ("no value", _drop(PFS_RATE, CDEK.value), PFS_RATE, "ResultValue"),
    ("no statistic kind", _drop(LESIONS, CDEK.statistic), LESIONS, "ResultStatistic"),
    ("CI low above value", _set(PFS_1Y, CDEK.ciLower, _decimal("50")), PFS_1Y, "CiLowerBelowValue"),
    ("value above CI high", _set(PFS_2Y, CDEK.value, _decimal("60")), PFS_2Y, "ValueBelowCiUpper"),
    ("p-value above 1", _set(HR, CDEK.pValue, _decimal("1.5")), HR, "PValueRange"),
    ("CI level 150", _set(HR, CDEK.ciLevel, _decimal("150")), HR, "CiLevelRange"),
    ("IQR backwards", _set(LESIONS, CDEK.dispersionLower, _decimal("99")), LESIONS,
     "DispersionOrder"),
    ("rate of 130%", _set(ORR_PLACEBO, CDEK.value, _decimal("130")), ORR_PLACEBO,
     "PercentResultShape"),
    ("AE above 100%", _set(RASH, CDEK.percent, _decimal("120")), RASH, "PercentRange"),
    ("count not whole", _set(BOWEL, CDEK.count, _decimal("1.5")), BOWEL, "WholeCount"),
    ("count above denominator", _set(EFFICACY, CDEK.count, Literal(90)), EFFICACY,
     "CountWithinDenominator"),
    ("denominator 0", _set(LINES, CDEK.denominator, Literal(0)), LINES, "WholeDenominator"),
    ("AE without a number", lambda g: [_drop(FATIGUE, p)(g) for p in (CDEK.percent, CDEK.count)],
     FATIGUE, "AdverseEventResultShape"),
    ("count missing", _drop(LINES, CDEK.count), LINES, "ParticipantCountShape"),
    ("arm of another study", _set(ORR, CDEK.resultArm, DECISION_ARM), ORR, "ArmOfStudyShape"),
    ("result without source", _drop(RASH, CDEK.source), RASH, "ProvenanceShape"),
    ("statement without locator", _drop(BRAF_STATEMENT, PROV.wasDerivedFrom), BRAF_STATEMENT,
     "ProvenanceShape"),
    ("span ends before it starts", _span_backwards, None, "TextPositionSelectorShape"),
    ("drug without identifier", _drop(SUNITINIB, SKOS.exactMatch), SUNITINIB,
     "IdentifiedEntityShape"),
    ("family without any identifier", _family_without_ids, RAS, "IdentifiedFamilyShape"),
    # found by a second reviewer: counts of arm results, units, studies of every result
    ("arm result count above denominator", _set(CR_COUNT, CDEK.count, Literal(10000)), CR_COUNT,
     "CountWithinDenominator"),
    ("count result not whole", _set(PR_PLACEBO, CDEK.value, _decimal("3.5")), PR_PLACEBO,
     "CountResultShape"),
    ("percent written %", _set(ORR, CDEK.unit, Literal("%")), ORR, "ResultUnit"),
    ("rate without a unit", _drop(PFS_2Y_SORAFENIB, CDEK.unit), PFS_2Y_SORAFENIB, "ResultUnit"),
    ("AE without a study", _drop(FATIGUE, CDEK.inStudy), FATIGUE, "ResultStudy"),
    ("participants of another study's arm", _set(CROSSOVER, CDEK.countsParticipantsOf,
     DECISION_ARM), CROSSOVER, "ArmOfStudyShape"),
    ("p-value of an AE above 1", _set(HYPERTENSION, CDEK.pValue, _decimal("2")), HYPERTENSION,
     "PValueRange"),
    ("identifier not standard", lambda g: g.add((IMATINIB, SKOS.exactMatch,
     URIRef("https://example.org/notanid"))), IMATINIB, "StandardIdentifierShape"),
    ("salt as exact match", lambda g: g.add((SORAFENIB, SKOS.exactMatch, TOSYLATE)), SORAFENIB,
     "StandardIdentifierShape"),
    ("span in a document not among the sources", lambda g: g.add((HR, PROV.wasDerivedFrom,
     URIRef(R + "document/eberst-2014-bmc-cancer-outcs/span-26139-26189"))), HR,
     "SpanOfSourceShape"),
]  # fmt: skip


def test_the_identifier_pattern_admits_every_prefix_map_namespace() -> None:
    """shapes.ttl spells the standard namespaces out; they must stay those of the prefix map."""
    import json
    import re

    from kg import paths

    shapes = Graph().parse(paths.ONTOLOGY / "shapes.ttl")
    (pattern,) = {
        str(o)
        for o in shapes.objects(None, URIRef("http://www.w3.org/ns/shacl#pattern"))
        if "obolibrary" in str(o)
    }
    prefixes = json.loads((paths.ONTOLOGY / "prefixmap.json").read_text())["prefixes"]
    for prefix, namespace in prefixes.items():
        example = namespace + ("Q1" if prefix == "wikidata" else "1")
        assert re.match(pattern, example), f"{prefix}: {namespace} does not match the pattern"


@pytest.fixture(scope="module")
def broken(seed_build) -> ValidationReport:
    """One copy of the seed graph with every break at once, validated once."""
    g = Graph() + seed_build.result.graph
    for _, change, _, _ in BREAKS:
        change(g)
    return validate(g)


def test_the_seed_graph_conforms(seed_build) -> None:
    report = seed_build.trust.validation
    assert report.conforms, [str(v) for v in report.violations]
    assert not [p for p in seed_build.errors if p.file == "shapes.ttl"]


@pytest.mark.parametrize(("name", "focus", "shape"), [(b[0], b[2], b[3]) for b in BREAKS])
def test_each_shape_fires_on_a_broken_copy(
    broken: ValidationReport, name: str, focus: URIRef | None, shape: str
) -> None:
    hits = [v for v in broken.violations if v.shape == shape]
    if focus is not None:
        hits = [v for v in hits if v.focus == str(focus)]
    assert hits, f"{name}: {shape} did not fire"
    assert all(v.message for v in hits)


def test_a_report_names_the_node_the_shape_and_the_value(broken: ValidationReport) -> None:
    (hit,) = [v for v in broken.violations if v.shape == "PValueRange" and v.focus == str(HR)]
    assert (hit.focus, hit.path, hit.value) == (str(HR), str(CDEK.pValue), '"1.5"^^xsd:decimal')
    assert str(HR) in str(hit) and "PValueRange" in str(hit) and "1.5" in str(hit)


def test_a_recorded_identifier_gap_is_a_warning_not_a_violation(seed_build) -> None:
    warnings = seed_build.trust.validation.warnings
    gap = URIRef(R + "disease/unclassified-sarcoma")
    assert [w.shape for w in warnings if w.focus == str(gap)] == ["IdentifierGapShape"]
    assert any(w.file == "shapes.ttl" and w.record == str(gap) for w in seed_build.warnings)


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_a_violation_fails_the_build_checks(seed_build) -> None:
    g = Graph() + seed_build.result.graph
    g.set((HR, CDEK.pValue, _decimal("7")))
    report = run_checks(g, Minter(), reasoner=None)
    assert [(p.file, p.record, p.field) for p in report.errors] == [
        ("shapes.ttl", str(HR), str(CDEK.pValue))
    ]


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_kg_validate_exits_1_and_names_the_problem(
    seed_build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    g = Graph() + seed_build.result.graph
    g.set((RASH, CDEK.percent, _decimal("120")))
    bad = tmp_path / "bad.ttl"
    g.serialize(bad, format="turtle")
    assert main(["validate", "--graph", str(bad)]) == 1
    out = capsys.readouterr().out
    assert str(RASH) in out and "PercentRange" in out and "120" in out
    assert main(["validate", "--graph", str(seed_build.outputs["turtle"])]) == 0


def test_kg_validate_names_a_missing_graph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.ttl"
    assert main(["validate", "--graph", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err


def test_violation_text_is_readable() -> None:
    v = Violation("ex:n", "S", "ex:p", '"3"', "too big")
    assert str(v) == 'ex:n ex:p = "3": too big [S]'
