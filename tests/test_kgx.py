"""Biolink KGX export: every entity with evidence, edges with their Biolink association class,
qualifiers and publications, the export's own checks, and the real kgx validator (offline)."""

from __future__ import annotations

import csv
import importlib.util
import json
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef

from kg.cli import main
from kg.iris import DEFAULT_BASE, Minter
from kg.kgx import (
    _ACTIONS,
    _PHASES,
    _PREFERRED,
    _RELATIONS,
    INFORES,
    Kgx,
    KgxUnavailableError,
    check_kgx,
    kgx_python,
    to_kgx,
    validate_kgx,
    write_kgx,
)
from kg.vocab import CDEK, OA

R = DEFAULT_BASE
SORAFENIB = "CHEBI:50924"
BRAF, KDR, FLT1, FLT4 = "NCBIGene:673", "NCBIGene:3791", "NCBIGene:2321", "NCBIGene:2324"
DESMOID, DTC, RCC, CCRCC = "MONDO:0007608", "MONDO:0015447", "MONDO:0005086", "MONDO:0005005"
A091105, DECISION, RESORT = (
    "CLINICALTRIALS:NCT02066181",
    "CLINICALTRIALS:NCT00984282",
    "CLINICALTRIALS:NCT01444807",
)
OUTCS_PUBLICATION = "PMID:25420707"
CATEGORIES = {
    "biolink:SmallMolecule",
    "biolink:ChemicalEntity",
    "biolink:Disease",
    "biolink:Gene",
    "biolink:PhenotypicFeature",
    "biolink:ClinicalTrial",
}


def _kgx_available() -> str | None:
    try:
        kgx_python()
    except KgxUnavailableError as error:
        return str(error)
    return None


needs_kgx = pytest.mark.skipif(
    _kgx_available() is not None,
    reason=f"kgx validator not available: {_kgx_available()} (CI installs the validate extra)",
)


@pytest.fixture(scope="module")
def kgx(seed_build) -> Kgx:
    return to_kgx(seed_build.result.graph, seed_build.trust.inferred)


@pytest.fixture(scope="module")
def kgx_files(seed_build, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("kgx")
    return write_kgx(seed_build.result.graph, seed_build.trust.inferred, out)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _edges(kgx: Kgx, subject: str, predicate: str, obj: str) -> list[dict[str, str]]:
    return [
        e
        for e in kgx.edges
        if (e["subject"], e["predicate"], e["object"]) == (subject, f"biolink:{predicate}", obj)
    ]


def test_the_export_passes_its_own_checks_and_every_end_is_a_node(kgx: Kgx, kgx_files) -> None:
    assert check_kgx(kgx) == []
    nodes = _rows(kgx_files["kgx_nodes"])
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids))  # one row per node: RESORT once, not twice
    assert {n["category"] for n in nodes} <= CATEGORIES
    for edge in _rows(kgx_files["kgx_edges"]):
        assert edge["subject"] in ids and edge["object"] in ids
        assert edge["primary_knowledge_source"] == INFORES
        assert (edge["knowledge_level"], edge["agent_type"]) in {
            ("knowledge_assertion", "manual_agent"),
            ("observation", "manual_agent"),
        }
        for study in filter(None, edge["has_supporting_studies"].split("|")):
            assert study in ids


def test_every_entity_with_evidence_is_a_node(kgx: Kgx) -> None:
    nodes = {n["id"]: n for n in kgx.nodes}
    drugs = {n for n, row in nodes.items() if row["category"].endswith(("Molecule", "Entity"))}
    assert len(drugs) >= 10  # the registry's drugs, not sorafenib alone
    assert {A091105, DECISION, RESORT} <= {
        n for n, row in nodes.items() if row["category"] == "biolink:ClinicalTrial"
    }
    assert nodes[SORAFENIB]["category"] == "biolink:SmallMolecule"
    assert "DRUGBANK:DB00398" in nodes[SORAFENIB]["xref"].split("|")
    assert nodes["UNII:2S9ZZM9Q9V"]["category"] == "biolink:ChemicalEntity"  # bevacizumab
    assert nodes[BRAF]["category"] == "biolink:Gene" and "HGNC:1097" in nodes[BRAF]["xref"]
    # no identifier Biolink knows: named, not silently dropped
    for key in ("target/vegfr", "study/outcs", "disease/unclassified-sarcoma"):
        assert R + key in kgx.left_out


def test_registry_cohorts_are_off_label_use_of_the_drugs_it_studies(kgx: Kgx) -> None:
    applied = [e for e in kgx.edges if e["predicate"] == "biolink:applied_to_treat"]
    assert len({e["subject"] for e in applied}) >= 10
    assert all(OUTCS_PUBLICATION in e["publications"].split("|") for e in applied)
    studied = [e for e in applied if e["subject"] == SORAFENIB]
    assert studied and all(e["clinical_approval_status"] == "off_label_use" for e in studied)
    # cyclophosphamide came with sirolimus: given for the sarcoma, but not the off-label drug
    cyclophosphamide = [e for e in applied if e["subject"] == "CHEBI:4027"]
    assert cyclophosphamide and not any(e["clinical_approval_status"] for e in cyclophosphamide)
    assert any(e["number_of_cases"] for e in applied)
    assert not any(e["max_research_phase"] for e in applied)  # a registry has no phase


def test_trials_carry_phase_studies_and_the_publications_of_their_documents(kgx: Kgx) -> None:
    (desmoid,) = _edges(kgx, SORAFENIB, "in_clinical_trials_for", DESMOID)
    assert desmoid["max_research_phase"] == "clinical_trial_phase_3"
    assert desmoid["has_supporting_studies"] == A091105
    assert "PMID:30575484" in desmoid["publications"].split("|")
    (dtc,) = _edges(kgx, SORAFENIB, "in_clinical_trials_for", DTC)
    assert dtc["clinical_approval_status"] == "fda_approved_for_condition"
    assert {"PMID:24768112", "PMCID:PMC4366116"} <= set(dtc["publications"].split("|"))
    # RESORT studied clear cell RCC: its edge goes to that subtype only
    (resort,) = _edges(kgx, SORAFENIB, "in_clinical_trials_for", CCRCC)
    assert _edges(kgx, SORAFENIB, "in_clinical_trials_for", RCC) == []
    assert {"PMID:24675507", "doi:10.1016/j.euo.2019.08.011"} <= set(
        resort["publications"].split("|")
    )
    assert resort["max_research_phase"] == ""  # the report does not state the phase


def test_approvals_are_treats_with_their_status(kgx: Kgx) -> None:
    (dtc,) = _edges(kgx, SORAFENIB, "treats", DTC)
    assert dtc["clinical_approval_status"] == "fda_approved_for_condition"
    assert dtc["has_supporting_studies"] == DECISION
    assert "PMID:24768112" in dtc["publications"].split("|")
    (rcc,) = _edges(kgx, SORAFENIB, "treats", RCC)
    assert "PMID:24768112" not in rcc["publications"]  # DECISION is not about kidney cancer


def test_inhibition_keeps_its_direction_and_families_are_not_spread(kgx: Kgx) -> None:
    (braf,) = [e for e in kgx.edges if (e["subject"], e["object"]) == (SORAFENIB, BRAF)]
    assert braf["predicate"] == "biolink:affects"
    assert braf["category"] == "biolink:ChemicalAffectsGeneAssociation"
    assert (
        braf["qualified_predicate"],
        braf["object_aspect_qualifier"],
        braf["object_direction_qualifier"],
        braf["causal_mechanism_qualifier"],
    ) == ("biolink:causes", "activity", "decreased", "inhibition")
    # "inhibits the VEGFR family" is not a statement about FLT1, KDR or FLT4
    members = {KDR, FLT1, FLT4}
    assert not [e for e in kgx.edges if e["subject"] == SORAFENIB and e["object"] in members]
    assert not [e for e in kgx.edges if "directly_physically" in e["predicate"]]
    assert not [e for e in kgx.edges if e["knowledge_level"] == "logical_entailment"]


def test_targets_have_one_category_in_the_ontology_and_the_export(kgx: Kgx) -> None:
    from rdflib import SKOS

    from kg import paths

    ontology = Graph().parse(paths.ONTOLOGY / "cdek.ttl")
    biolink = "https://w3id.org/biolink/vocab/"
    mapped = {
        str(o).removeprefix(biolink)
        for o in ontology.objects(CDEK.GeneProduct, SKOS.closeMatch)
        if str(o).startswith(biolink)
    }
    targets = {n["category"] for n in kgx.nodes if n["id"].startswith("NCBIGene:")}
    assert targets == {f"biolink:{c}" for c in mapped} == {"biolink:Gene"}
    inhibits = {str(o) for _, o in ontology.predicate_objects(CDEK.inhibits)}
    assert biolink + "affects" in inhibits
    assert biolink + "directly_physically_interacts_with" not in inhibits


def test_gene_disease_statements_use_the_predicates_biolink_allows(kgx: Kgx) -> None:
    (ctnnb1,) = [e for e in kgx.edges if e["subject"] == "NCBIGene:1499"]
    assert (ctnnb1["predicate"], ctnnb1["object"]) == ("biolink:associated_with", DESMOID)
    assert ctnnb1["category"] == "biolink:GeneToDiseaseAssociation"
    assert ctnnb1["subject_form_or_variant_qualifier"] == "mutant_form"


def test_disease_related_events_are_not_adverse_events_of_the_drug(kgx: Kgx) -> None:
    assert [e for e in kgx.edges if e["object"] == "NCIT:C39611"] == []  # bowel perforation


def test_adverse_events_are_per_study_and_count_only_all_grade_results(kgx: Kgx) -> None:
    (rash,) = _edges(kgx, SORAFENIB, "has_adverse_event", "NCIT:C39594")
    assert rash["has_supporting_studies"] == A091105
    assert rash["category"] == "biolink:EntityToPhenotypicFeatureAssociation"
    assert rash["has_percentage"] == ""  # the trial gave grade 1-2 only, not all grades


def _tiny_adverse_event(grade_min: int, grade_max: int) -> Graph:
    """A drug, an arm given it and one adverse event result: 12 of 40 patients (30%)."""
    m = Minter()
    drug, term, study = m.drug("d"), m.ae_term("t"), m.study("s")
    arm, regimen, result = m.arm("s", "a"), m.regimen("s", "a"), m.in_study("s", "ae", "t")
    g = Graph()
    g.add((drug, RDF.type, CDEK.Drug))
    g.add((drug, CDEK.xref, Literal("chebi:50924")))
    g.add((drug, CDEK.xref, Literal("pubchem.compound:216239")))
    g.add((term, RDF.type, CDEK.AdverseEventTerm))
    g.add((term, CDEK.xref, Literal("hp:0000822")))
    g.add((study, RDF.type, CDEK.RandomizedControlledTrial))
    g.add((study, RDF.type, CDEK.ClinicalStudy))
    g.add((arm, CDEK.receivesRegimen, regimen))
    g.add((regimen, CDEK.regimenDrug, drug))
    g.add((result, RDF.type, CDEK.AdverseEventResult))
    for p, o in (
        (CDEK.adverseEventTerm, term),
        (CDEK.inStudy, study),
        (CDEK.resultArm, arm),
        (CDEK.gradeMin, Literal(grade_min)),
        (CDEK.gradeMax, Literal(grade_max)),
        (CDEK.count, Literal(12)),
        (CDEK.denominator, Literal(40)),
        (CDEK.percent, Literal(Decimal("30.0"))),
    ):
        g.add((result, p, o))
    return g


def test_an_all_grade_result_gives_count_total_and_percentage() -> None:
    (edge,) = to_kgx(_tiny_adverse_event(1, 5)).edges
    assert (edge["has_count"], edge["has_total"], edge["has_percentage"]) == ("12", "40", "30")
    (partial,) = to_kgx(_tiny_adverse_event(3, 5)).edges  # grade 3 or more: not "has the event"
    assert (partial["has_count"], partial["has_percentage"]) == ("", "")


def test_supporting_text_is_the_quoted_span(seed_build) -> None:
    graph = Graph() + seed_build.result.graph
    study = URIRef(R + "study/alliance-a091105")
    for span in list(graph.objects(study, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))):
        graph.add((span, OA.exact, Literal("sorafenib\tversus | placebo\n")))
    (edge,) = _edges(to_kgx(graph), SORAFENIB, "in_clinical_trials_for", DESMOID)
    assert edge["supporting_text"] == "sorafenib versus / placebo"  # one line, no delimiters


# -- the checks catch the export as it was ------------------------------------------------


def _old_export(kgx: Kgx) -> Kgx:
    """The export as it was: targets as genes and duplicate trials, the VEGFR family statement
    spread over KDR as a direct physical interaction, and inhibition without its direction."""
    nodes = [*kgx.nodes, dict(next(n for n in kgx.nodes if n["id"] == RESORT))]
    nodes.append({**next(n for n in kgx.nodes if n["id"] == BRAF), "id": "HGNC:6307"})
    nodes[-1]["category"] = "biolink:Protein"
    spread = {
        **next(e for e in kgx.edges if e["object"] == BRAF and e["subject"] == SORAFENIB),
        "id": "old",
        "object": "HGNC:6307",
        "predicate": "biolink:directly_physically_interacts_with",
        "knowledge_level": "logical_entailment",
        "causal_mechanism_qualifier": "",
    }
    flat = {**spread, "id": "flat", "predicate": "biolink:affects", "object_aspect_qualifier": ""}
    return Kgx(nodes=nodes, edges=[*kgx.edges, spread, flat])


def test_the_checks_catch_the_old_export(kgx: Kgx) -> None:
    problems = "\n".join(check_kgx(_old_export(kgx)))
    assert f"node {RESORT} appears 2 times" in problems
    assert "targets have several categories" in problems
    assert "old: an entailed edge" in problems
    assert "old: a drug-target edge claims direct physical contact" in problems
    assert "flat: affects without object_aspect_qualifier" in problems


def test_writing_refuses_an_export_that_fails_its_checks(
    seed_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.kgx

    monkeypatch.setattr(kg.kgx, "to_kgx", lambda *_: _old_export(to_kgx(seed_build.result.graph)))
    with pytest.raises(ValueError, match="not fit to merge"):
        write_kgx(seed_build.result.graph, None, tmp_path)
    assert not (tmp_path / "edges.tsv").exists()


# -- against the installed Biolink model -----------------------------------------------------


def _biolink_schema() -> dict:
    if importlib.util.find_spec("biolink_model") is None:
        pytest.skip("biolink-model is not installed (pip install 'cdekg[validate]')")
    import biolink_model
    import yaml

    root = Path(next(iter(biolink_model.__path__)))
    with (root / "schema" / "biolink_model.yaml").open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.mark.slow  # reads the 1 MB Biolink schema: 2-5 s
def test_identifiers_and_values_are_biolinks(kgx: Kgx) -> None:
    """Node ids follow each class's id_prefixes order; the values used are permissible."""
    schema = _biolink_schema()
    classes, enums = schema["classes"], schema["enums"]
    for category, prefixes in _PREFERRED.items():
        name = " ".join(w.lower() for w in _words(category.removeprefix("biolink:")))
        order = classes[name]["id_prefixes"]
        assert [p for p in order if p in prefixes] == list(prefixes), category
    values = {
        "ClinicalApprovalStatusEnum": {"off_label_use", "fda_approved_for_condition"},
        "ResearchPhaseEnum": set(_PHASES.values()),
        "DirectionQualifierEnum": {"decreased", "increased"},
        "GeneOrGeneProductOrChemicalEntityAspectEnum": {"activity", "expression"},
        "ChemicalOrGeneOrGeneProductFormOrVariantEnum": {"mutant_form"},
        "CausalMechanismQualifierEnum": {
            q["causal_mechanism_qualifier"] for _, q, _ in _ACTIONS.values()
        },
        "KnowledgeLevelEnum": {e["knowledge_level"] for e in kgx.edges},
        "AgentTypeEnum": {e["agent_type"] for e in kgx.edges},
        "GeneToDiseasePredicateEnum": {f"{p}" for p, _ in _RELATIONS.values()},
    }
    for enum, used in values.items():
        assert used <= set(enums[enum]["permissible_values"]), enum


def _words(camel: str) -> list[str]:
    import re

    return re.findall(r"[A-Z][a-z]*", camel)


@needs_kgx
@pytest.mark.slow  # a whole build or CLI run; CI runs the slow set
def test_the_kgx_validator_accepts_the_export(kgx_files) -> None:
    report = validate_kgx(kgx_files["kgx_nodes"], kgx_files["kgx_edges"])
    assert report["errors"] == {}, json.dumps(report, indent=1)[:3000]
    assert report["biolink_version"].startswith("4.")


@pytest.mark.slow  # the real kgx validator in a subprocess: 3-7 s
@needs_kgx
def test_the_kgx_validator_rejects_a_broken_export(kgx_files, tmp_path: Path) -> None:
    nodes, edges = tmp_path / "nodes.tsv", tmp_path / "edges.tsv"
    text = kgx_files["kgx_nodes"].read_text(encoding="utf-8")
    nodes.write_text(text.replace("biolink:Disease", "biolink:NoSuchClass"), encoding="utf-8")
    # the old mechanism predicate on the affects class, and a status Biolink does not have
    text = kgx_files["kgx_edges"].read_text(encoding="utf-8")
    text = text.replace("\tbiolink:affects\t", "\tbiolink:directly_physically_interacts_with\t")
    edges.write_text(text.replace("off_label_use", "off-label"), encoding="utf-8")
    report = validate_kgx(nodes, edges)
    slots = report["errors"]["ERROR"]["INVALID_BIOLINK_SLOT"]
    assert any("'off-label' is not a value of ClinicalApprovalStatusEnum" in m for m in slots)
    assert any("is not a kind of affects" in m for m in slots)
    assert "INVALID_CATEGORY" in report["errors"]["ERROR"]


@pytest.mark.slow  # the real kgx validator in a subprocess: 3-7 s
@needs_kgx
def test_kg_export_kgx_with_check(seed_build, tmp_path: Path) -> None:
    graph = str(seed_build.outputs["turtle"])
    args = ["export", "--format", "kgx", "--graph", graph, "--out", str(tmp_path), "--check"]
    assert main(args) == 0
    assert (tmp_path / "nodes.tsv").is_file() and (tmp_path / "edges.tsv").is_file()
