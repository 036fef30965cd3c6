"""Issue 10, items 6 and 10: coded units, frequencies, routes and dates; Web Annotation spans; and
ill-typed literals. Each test breaks the graph (or a record) the old way and shows the shape, the
literal scan, the record model or the reasoner catching it."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, Node, URIRef
from rdflib.namespace import PROV

from kg import paths, units
from kg.build import build_graph
from kg.cli import main
from kg.dates import PartialDate, partial_date_of
from kg.iris import DEFAULT_BASE, Minter
from kg.model import OutcomeRecord, Regimen
from kg.normalize import numbers_in_text
from kg.pipeline import prefix_converter
from kg.reason import java_available, reason
from kg.sources.records import Corpus, load_corpus
from kg.trust import run_checks
from kg.validate import ValidationReport, ill_typed_literals, validate, well_typed
from kg.vocab import CDEK, OA

R = DEFAULT_BASE
DESMOID = URIRef(R + "study/alliance-a091105")
OUTCS = URIRef(R + "study/outcs")
SH = Namespace("http://www.w3.org/ns/shacl#")
needs_java = pytest.mark.skipif(not java_available(), reason="HermiT needs Java (none on PATH)")

# a made-up document and its records: the text is ours, not a seed document's
TEXT = (
    "Adults were enrolled from October 2008 to 2011. Each received testinib 50 mg/m2 "
    "intravenously every 3 weeks for up to 6 months. Responses were seen in 12 percent. "
    "Some also took otherinib 5 mg by mouth once daily."
)
RECORDS = """
document: {{id: unit-doc, file: unit.txt, kind: journal-article, title: A made-up trial}}
entities:
  drugs:
  - {{key: testinib, label: testinib, identifier_gap: a made-up drug}}
  - {{key: otherinib, label: otherinib, identifier_gap: a made-up drug}}
  diseases:
  - {{key: test sarcoma, label: test sarcoma, identifier_gap: a made-up disease}}
  endpoints:
  - {{key: orr, label: objective response rate}}
records:
  - type: study
    id: unit-study
    drugs: [testinib]
    conditions: [test sarcoma]
    enrollment_start: {start}
    enrollment_end: 2011
    loc: {{section: Methods, span: [0, 47]}}
  - type: arm
    study: unit-study
    id: testinib
    label: testinib 50 mg/m2 every 3 weeks
    role: experimental
    regimen:
      drugs: [testinib]
      dose: 50
      unit: {unit}
      frequency: {frequency}
      route: IV
      max_duration: 6 months
    loc: {{section: Methods, span: [48, 127]}}
  - type: arm
    study: unit-study
    id: combination
    label: testinib + otherinib
    role: experimental
    regimen:
      drugs: [testinib, otherinib]
      components:
      - {{drug: otherinib, dose: 5, unit: mg, frequency: QD, route: PO}}
    loc: {{section: Methods, span: [163, 213]}}
  - type: outcome
    study: unit-study
    endpoint: orr
    statistic: rate
    arm: testinib
    value: 12
    unit: percent
    loc: {{section: Results, span: [128, 162]}}
"""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks and reasoning run offline: any socket connection fails the test."""

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _corpus(
    folder: Path, *, start: str = "'2008-10'", unit: str = "mg/m2", frequency: str = "Q3W"
) -> Corpus:
    (folder / "docs").mkdir(exist_ok=True)
    (folder / "docs" / "unit.txt").write_text(TEXT, encoding="utf-8")
    body = RECORDS.format(start=start, unit=unit, frequency=frequency)
    (folder / "unit.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return load_corpus([folder / "unit.yaml"])


def _build(folder: Path, corpus: Corpus) -> Graph:
    result = build_graph(
        corpus, minter=Minter(), converter=prefix_converter(), documents_dir=folder / "docs"
    )
    assert result.errors == []
    return result.graph


def _copy(seed_build) -> Graph:  # type: ignore[no-untyped-def]
    g = Graph()
    for triple in seed_build.result.graph:
        g.add(triple)
    return g


# -- 6. units, frequencies, routes, dates ---------------------------------------------------------


def test_record_words_get_ucum_codes_and_coded_terms_beside_them(tmp_path: Path) -> None:
    g = _build(tmp_path, _corpus(tmp_path))
    regimen = URIRef(R + "study/unit-study/arm/testinib/regimen")
    assert g.value(regimen, CDEK.doseUnit) == Literal("mg/m2")  # the words stay
    assert g.value(regimen, CDEK.doseUnitCode) == Literal("mg/m2")
    assert g.value(regimen, CDEK.frequency) == Literal("every 3 weeks")
    assert g.value(regimen, CDEK.dosingFrequency) == CDEK.EveryThreeWeeks
    assert g.value(regimen, CDEK.route) == Literal("intravenous")
    assert g.value(regimen, CDEK.administrationRoute) == CDEK.IntravenousRoute
    assert g.value(regimen, CDEK.maxDuration) == Literal("6 months")
    assert g.value(regimen, CDEK.maxDurationValue) == Literal("6.0", datatype=XSD.decimal)
    assert g.value(regimen, CDEK.maxDurationUnitCode) == Literal("mo")
    part = URIRef(R + "study/unit-study/arm/combination/regimen/otherinib")  # a component
    assert (g.value(part, CDEK.doseUnitCode), g.value(part, CDEK.dosingFrequency)) == (
        Literal("mg"),
        CDEK.OnceDaily,
    )
    assert g.value(part, CDEK.administrationRoute) == CDEK.OralRoute
    (result,) = g.subjects(CDEK.unit, Literal("percent"))
    assert g.value(result, CDEK.unitCode) == Literal("%")
    assert validate(g).conforms, [str(v) for v in validate(g).violations]


def test_the_ontology_gives_each_frequency_its_timing_and_verified_codes() -> None:
    onto = Graph().parse(paths.ONTOLOGY / "cdek.ttl")
    ncit = "http://purl.obolibrary.org/obo/NCIT_"

    def value(name: str, prop: URIRef) -> object:
        found = onto.value(CDEK[name], prop)
        assert isinstance(found, Literal), (name, prop)
        return found.toPython()

    timing = {
        name: (
            value(name, CDEK.dosesPerPeriod),
            value(name, CDEK.periodLength),
            value(name, CDEK.periodUnitCode),
        )
        for name in set(units.FREQUENCIES.values())
    }
    assert timing == {
        "OnceDaily": (1, Decimal(1), "d"),
        "TwiceDaily": (2, Decimal(1), "d"),
        "OnceWeekly": (1, Decimal(1), "wk"),
        "EveryThreeWeeks": (1, Decimal(3), "wk"),
    }
    assert onto.value(CDEK.OnceDaily, SKOS.exactMatch) == URIRef(ncit + "C25473")
    assert onto.value(CDEK.TwiceDaily, SKOS.exactMatch) == URIRef(ncit + "C64496")
    assert onto.value(CDEK.OralRoute, SKOS.exactMatch) == URIRef(ncit + "C38288")
    for name in set(units.ROUTES.values()):
        assert (CDEK[name], RDF.type, CDEK.RouteOfAdministration) in onto


def test_every_word_the_record_model_allows_has_a_code() -> None:
    def words(model: type, field: str) -> list[str]:
        """The values and aliases the record schema allows (``kg schema``)."""
        schema = model.model_json_schema()["properties"][field]  # type: ignore[attr-defined]
        allowed = [v for o in schema.get("anyOf", [schema]) for v in o.get("enum", [])]
        assert allowed, field
        return allowed

    for word in words(OutcomeRecord, "unit") + words(OutcomeRecord, "time_unit"):
        assert units.ucum(word)
    for word in words(OutcomeRecord, "time_unit"):
        assert units.ucum(word) in units.TIME_CODES
    for word in words(Regimen, "frequency"):
        assert units.frequency(word)
    for word in words(Regimen, "route"):
        assert units.route(word)


def test_the_shapes_list_exactly_the_codes_kg_units_gives() -> None:
    shapes = Graph().parse(paths.ONTOLOGY / "shapes.ttl")

    def listed(shape: str, path: URIRef) -> set[str]:
        node = URIRef("https://w3id.org/cdekg/shapes#" + shape)
        (prop,) = [p for p in shapes.objects(node, SH.property) if (p, SH.path, path) in shapes]
        listing = shapes.value(prop, SH["in"])
        assert listing is not None, shape
        return {str(v) for v in shapes.items(listing)}

    every = set(units.UNITS.values())
    assert listed("UnitCodeShape", CDEK.unitCode) == every
    assert listed("DoseUnitCodeShape", CDEK.doseUnitCode) == every
    assert listed("TimeUnitCodeShape", CDEK.timeUnitCode) == set(units.TIME_CODES)
    assert listed("DurationCodeShape", CDEK.maxDurationUnitCode) == set(units.TIME_CODES)


@pytest.mark.parametrize(("field", "word"), [("unit", "furlongs"), ("frequency", "thrice hourly")])
def test_an_unknown_unit_or_frequency_names_the_file_and_the_record(
    tmp_path: Path, field: str, word: str
) -> None:
    corpus = _corpus(tmp_path, **{field: f"'{word}'"})
    (error,) = [e for e in corpus.errors if word in e.message]
    assert error.file == "unit.yaml" and "arm testinib" in str(error)
    assert error.field == f"regimen.{field}" and "known: " in error.message


def test_month_only_dates_stay_months_and_never_get_a_day(tmp_path: Path) -> None:
    g = _build(tmp_path, _corpus(tmp_path))
    study = URIRef(R + "study/unit-study")
    assert g.value(study, CDEK.enrollmentStart) == Literal("2008-10", datatype=XSD.gYearMonth)
    assert g.value(study, CDEK.enrollmentEnd) == Literal("2011", datatype=XSD.gYear)
    assert str(partial_date_of("2014-03-21").literal().datatype) == str(XSD.date)
    with pytest.raises(ValueError, match="YYYY-MM"):
        partial_date_of("October 2008")
    with pytest.raises(ValueError):
        PartialDate(2013, 2, 30)


def test_the_seed_registry_keeps_its_month_only_enrollment_dates(seed_build) -> None:
    g = seed_build.result.graph
    assert g.value(OUTCS, CDEK.enrollmentStart) == Literal("2008-10", datatype=XSD.gYearMonth)
    assert g.value(OUTCS, CDEK.enrollmentEnd) == Literal("2011-10", datatype=XSD.gYearMonth)
    assert g.value(DESMOID, CDEK.enrollmentStart) == Literal("2014-03-21", datatype=XSD.date)
    # every regimen word has its code
    for regimen in g.subjects(CDEK.frequency, None):
        assert g.value(regimen, CDEK.dosingFrequency) is not None
    once = list(g.subjects(CDEK.dosingFrequency, CDEK.OnceDaily))
    assert once and all(g.value(r, CDEK.doseUnitCode) == Literal("mg") for r in once)


def test_the_dose_schedule_question_gives_the_codes(seed_build) -> None:
    from kg.api import KnowledgeGraph

    rows = KnowledgeGraph.load(seed_build.outputs["turtle"]).query("07-dose-schedule").values()
    decision = [r for r in rows if r["acronym"] == "DECISION"]
    assert [(r["frequency"], r["frequency_term"], r["route_term"]) for r in decision] == [
        ("twice daily", str(CDEK.TwiceDaily), str(CDEK.OralRoute))
    ]
    assert (decision[0]["doses_per_period"], decision[0]["period_ucum"]) == (2, "d")
    assert {r["dose_ucum"] for r in rows} == {"mg"}


def test_an_invented_day_is_caught_against_the_record_s_own_text(tmp_path: Path) -> None:
    """The old way wrote a month as its first day; the day's number is then not in the text."""
    for start, missing in (("'2008-10-01'", {Decimal(1)}), ("'2008-10'", set())):
        corpus = _corpus(tmp_path, start=start)
        (study,) = [i.record for i in corpus.records if i.record.type == "study"]
        lo, hi = study.loc[0].span
        assert study.stated_numbers() - numbers_in_text(TEXT[lo:hi]) == missing, start


def _set(node: URIRef, prop: URIRef, value: object) -> Callable[[Graph], None]:
    def change(g: Graph) -> None:
        g.set((node, prop, value if isinstance(value, Literal | URIRef) else Literal(value)))

    return change


def _drop(prop: URIRef, where: Callable[[Graph], URIRef]) -> Callable[[Graph], object]:
    return lambda g: g.remove((where(g), prop, None))


def _iris(nodes: Iterable[Node]) -> list[URIRef]:
    return sorted(n for n in nodes if isinstance(n, URIRef))


def _regimen(word: str) -> Callable[[Graph], URIRef]:
    return lambda g: _iris(g.subjects(CDEK.frequency, Literal(word)))[0]


def _timed_result(g: Graph) -> URIRef:
    return _iris(g.subjects(CDEK.timeUnit, None))[0]


def _resort(g: Graph) -> URIRef:
    return _iris(g.subjects(CDEK.maxDuration, None))[0]


def _span(g: Graph, which: int = 0) -> URIRef:
    """One of the desmoid study's spans (each break takes its own)."""
    return _iris(g.objects(DESMOID, PROV.wasDerivedFrom))[which]


def _span_as_its_own_selector(g: Graph) -> None:
    """The old, mixed node: one span that is resource and position selector at once."""
    span = _span(g)
    g.add((span, RDF.type, OA.TextPositionSelector))
    g.add((span, OA.start, Literal(0, datatype=XSD.nonNegativeInteger)))
    g.add((span, OA.end, Literal(5, datatype=XSD.nonNegativeInteger)))


def _quote_too_short(g: Graph) -> None:
    quote = URIRef(f"{_span(g, 3)}/quote")
    g.add((_span(g, 3), OA.hasSelector, quote))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    g.add((quote, OA.exact, Literal("x")))


# (name, the change, the shape that must report it); the nodes are found in the seed graph
BREAKS = [
    ("frequency string without code", _drop(CDEK.dosingFrequency, _regimen("once daily")),
     "FrequencyCodeShape"),
    ("route string without code", _drop(CDEK.administrationRoute, _regimen("twice daily")),
     "RouteCodeShape"),
    ("dose unit without code", _drop(CDEK.doseUnitCode, _regimen("once daily")),
     "DoseUnitCodeShape"),
    ("time unit without code", _drop(CDEK.timeUnitCode, _timed_result), "TimeUnitCodeShape"),
    ("duration kept only as text", _drop(CDEK.maxDurationValue, _resort), "DurationCodeShape"),
    ("result unit word where the code goes",
     lambda g: g.set((_timed_result(g), CDEK.unitCode, Literal("percent"))), "UnitCodeShape"),
    ("month-only date as a plain string", _set(OUTCS, CDEK.enrollmentEnd, "2011-10"),
     "DateShape"),
    ("month-only date typed as a full date",
     lambda g: g.set((OUTCS, CDEK.enrollmentStart, Literal("2008-10", datatype=XSD.date))),
     "WellTypedLiteral"),
    ("span typed as both resource and selector", _span_as_its_own_selector, "TextSpanShape"),
    ("span without its position selector",
     lambda g: g.remove((_span(g, 1), OA.hasSelector, None)), "TextSpanShape"),
    ("selector with a source of its own",
     lambda g: g.add((URIRef(f"{_span(g, 2)}/position"), OA.hasSource, URIRef(R + "doc/x"))),
     "TextPositionSelectorShape"),
    ("quote shorter than its offsets", _quote_too_short, "QuoteFitsPositionShape"),
    ("ill-typed boolean",
     lambda g: g.set((DESMOID, CDEK.randomized, Literal("maybe", datatype=XSD.boolean))),
     "WellTypedLiteral"),
    ("ill-typed decimal",
     lambda g: g.set((_timed_result(g), CDEK.value, Literal("1.x", datatype=XSD.decimal))),
     "WellTypedLiteral"),
]  # fmt: skip


@pytest.fixture(scope="module")
def broken(seed_build) -> ValidationReport:  # type: ignore[no-untyped-def]
    """One copy of the seed graph with every break at once, validated once."""
    g = _copy(seed_build)
    for _, change, _ in BREAKS:
        change(g)
    return validate(g)


def test_the_seed_graph_has_no_ill_typed_literal(seed_build) -> None:
    assert ill_typed_literals(seed_build.result.graph) == []


@pytest.mark.parametrize(("name", "shape"), [(b[0], b[2]) for b in BREAKS])
def test_each_break_is_caught(broken: ValidationReport, name: str, shape: str) -> None:
    assert [v for v in broken.violations if v.shape == shape], f"{name}: {shape} did not fire"


# -- 10. provenance roles -------------------------------------------------------------------------


def test_a_span_is_a_specific_resource_with_a_position_and_a_quote_selector(
    tmp_path: Path,
) -> None:
    g = _build(tmp_path, _corpus(tmp_path))
    span = Minter().span("unit-doc", 48, 127)
    position, quote = URIRef(f"{span}/position"), URIRef(f"{span}/quote")
    assert {CDEK.TextSpan, OA.SpecificResource} == set(g.objects(span, RDF.type))
    assert g.value(span, OA.hasSource) == URIRef(R + "document/unit-doc")
    assert set(g.objects(span, OA.hasSelector)) == {position, quote}
    assert (span, OA.start, None) not in g and (span, OA.exact, None) not in g
    assert g.value(position, RDF.type) == OA.TextPositionSelector
    assert g.value(position, OA.start) == Literal(48, datatype=XSD.nonNegativeInteger)
    assert g.value(position, OA.end) == Literal(127, datatype=XSD.nonNegativeInteger)
    assert g.value(quote, RDF.type) == OA.TextQuoteSelector
    assert str(g.value(quote, OA.exact)) == TEXT[48:127]
    assert str(g.value(quote, OA.prefix)) == TEXT[16:48]  # 32 characters each side
    assert str(g.value(quote, OA.suffix)) == TEXT[127:159]
    assert (Minter().span("unit-doc", 0, 47), OA.hasSelector, None) in g
    # without the documents a span has its offsets only
    bare = build_graph(_corpus(tmp_path), minter=Minter(), converter=prefix_converter()).graph
    assert set(bare.objects(span, OA.hasSelector)) == {position}


def _selector_span() -> Graph:
    """A span node typed as its own text position selector, as the old model had it."""
    g = Graph()
    span = URIRef(R + "document/d/span-0-5")
    g.add((span, RDF.type, CDEK.TextSpan))
    g.add((span, RDF.type, OA.TextPositionSelector))
    g.add((span, CDEK.section, Literal("Methods")))
    return g


@needs_java
def test_hermit_refuses_a_span_that_is_its_own_selector() -> None:
    result = reason(_selector_span(), engine="hermit")
    assert not result.consistent
    assert any("TextPositionSelector" in i.axiom for i in result.inconsistencies)


def test_owl_rl_refuses_a_span_that_is_its_own_selector() -> None:
    result = reason(_selector_span(), engine="owlrl")
    assert any("TextPositionSelector" in i.axiom for i in result.inconsistencies)


# -- 10. ill-typed literals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "datatype", "ok"),
    [
        ("maybe", XSD.boolean, False),
        ("true", XSD.boolean, True),
        ("1.x", XSD.decimal, False),
        ("0.13", XSD.decimal, True),
        ("1.5", XSD.integer, False),
        ("-1", XSD.nonNegativeInteger, False),
        ("2008-10", XSD.gYearMonth, True),
        ("2008-13", XSD.gYearMonth, False),
        ("20x8", XSD.gYear, False),
        ("2008-10", XSD.date, False),
        ("2013-02-30", XSD.date, False),
        ("2012-02-29", XSD.date, True),
        ("any text", XSD.string, True),
    ],
)
def test_well_typed_follows_the_xsd_lexical_spaces(text: str, datatype: URIRef, ok: bool) -> None:
    assert well_typed(Literal(text, datatype=datatype)) is ok


def _ill_typed_seed(seed_build) -> Graph:  # type: ignore[no-untyped-def]
    g = _copy(seed_build)
    g.set((DESMOID, CDEK.randomized, Literal("maybe", datatype=XSD.boolean)))
    return g


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_an_ill_typed_boolean_fails_kg_validate(
    seed_build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.nt"  # written as text: rdflib would write the literal as "false"
    text = _copy(seed_build).serialize(format="nt", encoding="utf-8").decode("utf-8")
    maybe = f'<{DESMOID}> <{CDEK.randomized}> "maybe"^^<{XSD.boolean}> .\n'
    bad.write_text(
        text.replace(f'<{DESMOID}> <{CDEK.randomized}> "true"^^<{XSD.boolean}> .\n', maybe)
    )
    assert maybe in bad.read_text()
    assert main(["validate", "--graph", str(bad)]) == 1
    out = capsys.readouterr().out
    assert str(DESMOID) in out and "WellTypedLiteral" in out and "xsd:boolean" in out


@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_an_ill_typed_literal_fails_the_build_checks(seed_build) -> None:
    g = _ill_typed_seed(seed_build)
    g.add((OUTCS, CDEK.enrollmentEnd, Literal("2011-13", datatype=XSD.gYearMonth)))
    report = run_checks(g, Minter(), reasoner=None)
    hits = {(p.record, p.field) for p in report.errors if "WellTypedLiteral" in p.message}
    assert hits == {(str(DESMOID), str(CDEK.randomized)), (str(OUTCS), str(CDEK.enrollmentEnd))}


def _ill_typed_mini(text: str, datatype: URIRef, prop: URIRef) -> Graph:
    g = Graph()
    study = URIRef(R + "study/x")
    g.add((study, RDF.type, CDEK.ClinicalStudy))
    g.add((study, prop, Literal(text, datatype=datatype)))
    return g


@pytest.mark.parametrize(
    "engine", [pytest.param("hermit", marks=needs_java), pytest.param("owlrl")]
)
@pytest.mark.parametrize(
    ("text", "datatype", "prop"),
    [("maybe", XSD.boolean, CDEK.randomized), ("1.x", XSD.integer, CDEK.siteCount)],
)
@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_an_ill_typed_literal_does_not_pass_the_reasoner(
    engine: str, text: str, datatype: URIRef, prop: URIRef
) -> None:
    """owlready2 would hand HermiT "maybe"^^xsd:boolean as false and stop on "1.x": the
    reasoning step reports the literal as an inconsistency instead."""
    result = reason(_ill_typed_mini(text, datatype, prop), engine=engine)
    assert not result.consistent
    (found,) = result.inconsistencies
    assert found.individual == R + "study/x" and "ill-typed" in found.axiom
    assert found.facts[0].startswith(f"cdek:{str(prop).rsplit('#', 1)[1]} ")
    well = reason(_ill_typed_mini("true", XSD.boolean, CDEK.randomized), engine=engine)
    assert well.consistent


def test_the_ontology_declares_the_annotation_classes_a_span_uses() -> None:
    onto = Graph().parse(paths.ONTOLOGY / "cdek.ttl")
    for cls in (OA.SpecificResource, OA.TextPositionSelector, OA.TextQuoteSelector):
        assert (cls, RDF.type, OWL.Class) in onto and onto.value(cls, RDFS.label) is not None
    assert (CDEK.TextSpan, RDFS.subClassOf, OA.SpecificResource) in onto
    assert (CDEK.TextSpan, OWL.disjointWith, OA.TextPositionSelector) in onto
