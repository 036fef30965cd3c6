"""The ``rules`` engine (kg/rules.py): the ontology compiled to SPARQL rules on pyoxigraph.

It must infer what HermiT infers on the seed graph (the one difference is spelled out in
:func:`test_rules_infer_what_hermit_infers_on_the_seed_graph`), fill each defined class exactly,
and find the clashes HermiT finds.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import OWL, RDF, SKOS, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from kg.iris import Minter
from kg.reason import explain_inconsistency, java_available, load_ontology, reason
from kg.rules import compile_rules, load_store, new_facts, run_rules
from kg.vocab import CDEK
from kg.xrefs import prefix_map

needs_java = pytest.mark.skipif(not java_available(), reason="HermiT needs Java (none on PATH)")
M = Minter()
UNIPROT = prefix_map()["uniprot"]


def _graph() -> Graph:
    """A positive and a negative individual for each defined class, and a chain and a path."""
    g = Graph()
    t = g.add
    # targets: two kinases (from the curated list), a gene product that is not one, families
    for key, uniprot in (("braf", "P15056"), ("kdr", "P35968"), ("esr1", None)):
        t((M.target(key), RDF.type, CDEK.GeneProduct))
        if uniprot:
            t((M.target(key), SKOS.exactMatch, URIRef(UNIPROT + uniprot)))
    for family, member in (("vegfr", "kdr"), ("er", "esr1")):
        t((M.target(family), RDF.type, CDEK.TargetFamily))
        t((M.target(family), CDEK.hasMember, M.target(member)))
    # drugs: one inhibits two kinase targets (one through a family), one only one
    for drug, targets in (("multi", ("braf", "vegfr")), ("single", ("braf", "esr1", "er"))):
        t((M.drug(drug), RDF.type, CDEK.Drug))
        for target in targets:
            t((M.drug(drug), CDEK.inhibits, M.target(target)))
    # a trial with an experimental and a control arm; a registry with nested cohorts
    t((M.study("s"), RDF.type, CDEK.RandomizedControlledTrial))
    for arm, role in (("exp", "experimental"), ("ctl", "control")):
        t((M.study("s"), CDEK.hasArm, M.arm("s", arm)))
        t((M.arm("s", arm), RDF.type, CDEK.StudyArm))
        t((M.arm("s", arm), CDEK.armRole, Literal(role)))
    t((M.study("r"), RDF.type, CDEK.RegistryStudy))
    for cohort in ("all", "sarcoma", "leiomyosarcoma"):
        t((M.arm("r", cohort), RDF.type, CDEK.RegistryCohort))
        t((M.arm("r", cohort), CDEK.armRole, Literal("cohort")))
    t((M.arm("r", "leiomyosarcoma"), CDEK.withinCohort, M.arm("r", "sarcoma")))
    t((M.arm("r", "sarcoma"), CDEK.withinCohort, M.arm("r", "all")))
    # endpoints: progression (harmful), response (beneficial), one of unstated valence
    for key, valence in (("pfs", CDEK.HarmfulEvent), ("orr", CDEK.BeneficialEvent), ("qol", None)):
        t((M.endpoint(key), RDF.type, CDEK.Endpoint))
        if valence is not None:
            t((M.endpoint(key), CDEK.eventValence, valence))
    # hazard ratios: (key, statistic, arm, comparator, endpoint, ciUpper, ciLower)
    ratios = (
        ("hr-pfs", CDEK.HazardRatio, "exp", "ctl", "pfs", "0.31", None),  # favourable
        ("hr-pfs-wide", CDEK.HazardRatio, "exp", "ctl", "pfs", "1.2", "0.5"),  # crosses 1
        ("hr-pfs-at-1", CDEK.HazardRatio, "exp", "ctl", "pfs", "1", None),  # maxExclusive 1
        ("hr-orr", CDEK.HazardRatio, "exp", "ctl", "orr", None, "1.4"),  # favourable
        ("hr-orr-low", CDEK.HazardRatio, "exp", "ctl", "orr", "2.0", "0.9"),  # crosses 1
        ("hr-qol", CDEK.HazardRatio, "exp", "ctl", "qol", "0.3", None),  # valence unknown
        ("diff-pfs", CDEK.Difference, "exp", "ctl", "pfs", "0.3", None),  # not a hazard ratio
        ("hr-swapped", CDEK.HazardRatio, "ctl", "exp", "pfs", "0.3", None),  # arms swapped
    )
    for key, statistic, arm, comparator, endpoint, upper, lower in ratios:
        hr = M.in_study("s", "result", key)
        t((hr, RDF.type, CDEK.ComparativeResult))
        t((hr, CDEK.statistic, statistic))
        t((hr, CDEK.resultArm, M.arm("s", arm)))
        t((hr, CDEK.comparatorArm, M.arm("s", comparator)))
        t((hr, CDEK.measuresEndpoint, M.endpoint(endpoint)))
        for prop, bound in ((CDEK.ciUpper, upper), (CDEK.ciLower, lower)):
            if bound is not None:
                t((hr, prop, Literal(bound, datatype=XSD.decimal)))
    # adverse event results: (key, percent, its datatype, arm)
    events = (
        ("often", "73.0", XSD.decimal, M.arm("s", "exp")),
        ("at-10", "10", XSD.decimal, M.arm("s", "exp")),  # minInclusive 10
        ("cohort", "12", XSD.integer, M.arm("r", "sarcoma")),  # an integer is a decimal
        ("rare", "2.0", XSD.decimal, M.arm("s", "exp")),
        ("placebo", "14.0", XSD.decimal, M.arm("s", "ctl")),
        ("pooled", "30.0", XSD.decimal, None),
    )
    for key, percent, datatype, arm in events:
        ae = M.in_study("s", "adverse-event", key)
        t((ae, RDF.type, CDEK.AdverseEventResult))
        t((ae, CDEK.percent, Literal(percent, datatype=datatype)))
        if arm is not None:
            t((ae, CDEK.resultArm, arm))
    return g


@pytest.fixture(scope="module")
def inferred() -> Graph:
    result = reason(_graph(), engine="rules")
    assert result.engine == "rules" and result.consistent and not result.notes
    return result.inferred


def _types(g: Graph, node: URIRef) -> set:
    return set(g.objects(node, RDF.type))


def _hr(key: str) -> URIRef:
    return M.in_study("s", "result", key)


def _ae(key: str) -> URIRef:
    return M.in_study("s", "adverse-event", key)


FAVOURABLE, COMMON = CDEK.FavourableComparativeResult, CDEK.CommonAdverseEventResult


@pytest.mark.parametrize(
    ("cls", "member", "outsider"),
    [
        (CDEK.KinaseTarget, M.target("braf"), M.target("esr1")),  # a kinase / not a kinase
        (CDEK.KinaseTarget, M.target("vegfr"), M.target("er")),  # a family with a kinase / not
        (CDEK.MultiKinaseInhibitor, M.drug("multi"), M.drug("single")),
        (FAVOURABLE, _hr("hr-pfs"), _hr("hr-pfs-wide")),
        (FAVOURABLE, _hr("hr-orr"), _hr("hr-orr-low")),
        (FAVOURABLE, _hr("hr-pfs"), _hr("hr-qol")),
        (FAVOURABLE, _hr("hr-pfs"), _hr("diff-pfs")),
        (FAVOURABLE, _hr("hr-pfs"), _hr("hr-swapped")),
        (FAVOURABLE, _hr("hr-orr"), _hr("hr-pfs-at-1")),
        (COMMON, _ae("often"), _ae("rare")),
        (COMMON, _ae("at-10"), _ae("placebo")),
        (COMMON, _ae("cohort"), _ae("pooled")),
    ],
)
def test_each_defined_class_takes_its_member_and_not_the_outsider(
    inferred: Graph, cls: URIRef, member: URIRef, outsider: URIRef
) -> None:
    assert cls in _types(inferred, member)
    assert cls not in _types(inferred, outsider)


def test_superclasses_domains_chains_and_transitive_properties(inferred: Graph) -> None:
    assert CDEK.ClinicalStudy in _types(inferred, M.study("s"))  # RandomizedControlledTrial
    assert CDEK.ObservationalStudy in _types(inferred, M.study("r"))  # RegistryStudy, two up
    assert CDEK.KinaseTarget in _types(inferred, M.target("kdr"))  # ProteinKinase, by kinases.csv
    assert CDEK.Target in _types(inferred, M.target("kdr"))
    assert _types(inferred, M.drug("multi")) == {CDEK.MultiKinaseInhibitor}  # Drug was told
    assert (M.drug("multi"), CDEK.inhibitsFamilyMember, M.target("kdr")) in inferred  # chain
    nested = (M.arm("r", "leiomyosarcoma"), CDEK.withinCohort, M.arm("r", "all"))
    assert nested in inferred  # transitive
    asserted = _graph()
    assert not [t for t in inferred if t in asserted]


def test_the_rules_reach_a_fixpoint_in_one_ordered_pass() -> None:
    ontology = load_ontology()
    rules = compile_rules(ontology)
    store = load_store(_graph(), ontology)
    first = run_rules(store, rules)
    assert first.added > 0
    again = run_rules(store, rules)
    assert again.added == 0 and again.repeats == 0
    assert compile_rules(load_ontology()) is rules  # compiled once per ontology
    assert len(new_facts(store)) > 0


def test_the_rules_come_from_the_ontology_not_from_class_names() -> None:
    ontology = load_ontology()
    facets = [(n, v) for n, v in ontology.subject_objects(XSD.minInclusive) if str(v) == "10"]
    assert len(facets) == 1  # CommonAdverseEventResult's threshold
    node, _ = facets[0]
    ontology.set((node, XSD.minInclusive, Literal("50", datatype=XSD.decimal)))
    inferred = reason(_graph(), ontology=ontology, engine="rules").inferred
    often, at_10 = (M.in_study("s", "adverse-event", k) for k in ("often", "at-10"))
    assert CDEK.CommonAdverseEventResult in _types(inferred, often)  # 73 >= 50
    assert CDEK.CommonAdverseEventResult not in _types(inferred, at_10)  # 10 < 50 now


def test_a_definition_the_rules_cannot_compile_is_named_in_the_notes() -> None:
    ontology = load_ontology()
    definition = ontology.value(CDEK.MultiKinaseInhibitor, OWL.equivalentClass)
    only = BNode()
    ontology.remove((CDEK.MultiKinaseInhibitor, OWL.equivalentClass, definition))
    ontology.add((CDEK.MultiKinaseInhibitor, OWL.equivalentClass, only))
    ontology.add((only, RDF.type, OWL.Restriction))
    ontology.add((only, OWL.onProperty, CDEK.inhibits))
    ontology.add((only, OWL.allValuesFrom, CDEK.KinaseTarget))
    result = reason(_graph(), ontology=ontology, engine="rules")
    assert any("cdek:MultiKinaseInhibitor is not compiled" in n for n in result.notes)
    assert CDEK.MultiKinaseInhibitor not in set(result.inferred.objects(None, RDF.type))


@pytest.mark.slow  # owlrl over the seed graph
def test_rules_contain_the_owl_rl_closure() -> None:
    """owlrl (OWL 2 RL) infers a subset: it has no datatype facets nor qualified cardinalities,
    so it never fills MultiKinaseInhibitor, FavourableComparativeResult (the interval bounds) nor
    CommonAdverseEventResult; every relation it infers, the rules infer too."""
    rules = reason(_graph(), engine="rules").inferred
    owlrl = reason(_graph(), engine="owlrl").inferred
    assert not set(owlrl) - set(rules)
    beyond = {o for _, p, o in set(rules) - set(owlrl) if p == RDF.type}
    assert CDEK.MultiKinaseInhibitor in beyond and CDEK.CommonAdverseEventResult in beyond
    assert not {p for _, p, _ in set(rules) - set(owlrl)} - {RDF.type}


# -- against HermiT ------------------------------------------------------------------------------


@needs_java
def test_rules_infer_what_hermit_infers_on_the_seed_graph(seed_build) -> None:
    """The seed graph: the rules infer every triple HermiT infers, and one kind more.

    HermiT is asked for property values only on the slice of individuals and properties the
    defined classes read (``kg.reason._SLICE_PROPERTIES``), which leaves ``cdek:withinCohort``
    out: its transitive closure is entailed (the property is an ``owl:TransitiveProperty``) but
    HermiT is never asked for it. The rules add it. Nothing else differs.
    """
    hermit = seed_build.trust.reasoning
    assert hermit.engine == "hermit" and hermit.consistent
    graph = seed_build.result.graph
    rules = reason(graph, engine="rules")
    assert rules.consistent and not rules.notes
    closure = {
        (a, CDEK.withinCohort, b)
        for a in set(graph.subjects(CDEK.withinCohort, None))
        for b in graph.transitive_objects(a, CDEK.withinCohort)
        if a != b and (a, CDEK.withinCohort, b) not in graph
    }
    assert closure  # the seed registry nests cohorts two deep
    assert set(rules.inferred) == set(hermit.inferred) | closure


def _broken(case: str) -> Graph:
    g = _graph()
    hr = M.in_study("s", "result", "hr-pfs")
    if case == "drug typed as a disease":
        g.add((M.drug("multi"), RDF.type, CDEK.Disease))
    elif case == "disease by a range":
        g.add((M.study("s"), CDEK.studiesCondition, M.drug("multi")))
    elif case == "literal outside its range":
        g.add((hr, CDEK.pValue, Literal("small")))
    elif case == "two values of a functional data property":
        g.add((hr, CDEK.ciUpper, Literal("0.5", datatype=XSD.decimal)))
    elif case == "two different values of a functional object property":
        g.add((M.endpoint("pfs"), CDEK.eventValence, CDEK.BeneficialEvent))
    elif case == "a double where a decimal is due":
        g.add((M.in_study("s", "adverse-event", "rare"), CDEK.pValue, Literal(0.5)))
    elif case == "a fraction where an integer is due":
        g.add((M.in_study("s", "adverse-event", "rare"), CDEK.count, Literal(Decimal("2.5"))))
    elif case == "a study arm made a cohort by a range":
        g.add((M.arm("r", "sarcoma"), CDEK.withinCohort, M.arm("s", "exp")))
    return g


BROKEN = {
    "drug typed as a disease": [
        (str(M.drug("multi")), "cdek:Disease owl:disjointWith cdek:Drug"),
    ],
    "disease by a range": [(str(M.drug("multi")), "cdek:Disease owl:disjointWith cdek:Drug")],
    "literal outside its range": [
        (str(M.in_study("s", "result", "hr-pfs")), "cdek:pValue rdfs:range xsd:decimal")
    ],
    "a double where a decimal is due": [
        (str(M.in_study("s", "adverse-event", "rare")), "cdek:pValue rdfs:range xsd:decimal")
    ],
    "a fraction where an integer is due": [
        (str(M.in_study("s", "adverse-event", "rare")), "cdek:count rdfs:range xsd:integer")
    ],
    "two values of a functional data property": [
        (str(M.in_study("s", "result", "hr-pfs")), "cdek:ciUpper a owl:FunctionalProperty")
    ],
    "two different values of a functional object property": [
        (str(M.endpoint("pfs")), "cdek:eventValence a owl:FunctionalProperty")
    ],
    "a study arm made a cohort by a range": [
        (str(M.arm("s", "exp")), "cdek:RegistryCohort owl:disjointWith cdek:StudyArm")
    ],
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_clash_kind_is_located(case: str) -> None:
    result = reason(_broken(case), engine="rules")
    assert not result.consistent and len(result.inferred) == 0
    assert [(i.individual, i.axiom) for i in result.inconsistencies] == BROKEN[case]


def test_a_clash_gives_the_same_explanation_as_the_other_engines() -> None:
    g = _broken("disease by a range")
    (item,) = reason(g, engine="rules").inconsistencies
    assert [item] == explain_inconsistency(g)  # the facts too
    assert any("cdek:studiesCondition" in fact and "(range)" in fact for fact in item.facts)


@needs_java
@pytest.mark.slow  # a HermiT run per case
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_hermit_agrees_on_each_clash(case: str) -> None:
    g = _broken(case)
    hermit = reason(g, engine="hermit")
    assert not hermit.consistent
    located = [(i.individual, i.axiom) for i in hermit.inconsistencies]
    if "functional" in case or "due" in case:  # kg.reason's explanation checks neither
        assert [i.individual for i in hermit.inconsistencies] == ["(not located)"]
    else:
        assert located == BROKEN[case]


def test_the_same_value_twice_is_no_clash_and_two_arms_are_a_note() -> None:
    g = _graph()
    hr = M.in_study("s", "result", "hr-pfs")
    g.add((hr, CDEK.ciUpper, Literal("0.310", datatype=XSD.decimal)))  # the same number
    assert Decimal("0.310") == Decimal("0.31")
    g.add((hr, CDEK.resultArm, M.arm("s", "other")))  # OWL would make the two arms one
    result = reason(g, engine="rules")
    assert result.consistent
    (note,) = result.notes
    assert "cdek:resultArm" in note and str(M.arm("s", "other")) in note


def test_distinct_targets_are_different_individuals() -> None:
    """As in HermiT's input (kg.reason._abox): two targets as the value of a functional property
    cannot be merged."""
    ontology = load_ontology()
    ontology.add((CDEK.hasMember, RDF.type, OWL.FunctionalProperty))
    g = _graph()
    g.add((M.target("vegfr"), CDEK.hasMember, M.target("braf")))
    result = reason(g, ontology=ontology, engine="rules")
    assert [i.axiom for i in result.inconsistencies] == ["cdek:hasMember a owl:FunctionalProperty"]


def test_all_different_members_are_read_from_the_graph() -> None:
    ontology = load_ontology()
    g = _graph()
    hr = M.in_study("s", "result", "hr-pfs")
    g.add((hr, CDEK.resultArm, M.arm("s", "other")))
    node, members = BNode(), BNode()
    g.add((node, RDF.type, OWL.AllDifferent))
    g.add((node, OWL.members, members))
    Collection(g, members, [M.arm("s", "exp"), M.arm("s", "other")])
    result = reason(g, ontology=ontology, engine="rules")
    assert [i.axiom for i in result.inconsistencies] == ["cdek:resultArm a owl:FunctionalProperty"]


def test_kg_reason_and_kg_build_take_the_rules_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kg.cli import main

    graph, out = tmp_path / "graph.nt", tmp_path / "inferred.ttl"
    _graph().serialize(graph, format="nt", encoding="utf-8")
    assert main(["reason", "--engine", "rules", "--graph", str(graph), "--out", str(out)]) == 0
    assert "rules: consistent" in capsys.readouterr().out
    assert (M.drug("multi"), RDF.type, CDEK.MultiKinaseInhibitor) in Graph().parse(out)
    with pytest.raises(SystemExit) as stop:  # the choice parses; --help stops before building
        main(["build", "--reasoner", "rules", "--help"])
    assert stop.value.code == 0
