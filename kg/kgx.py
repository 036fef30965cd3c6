"""Biolink Model KGX export (nodes.tsv, edges.tsv) and the call to the real kgx validator."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.plugins.sparql import prepareQuery

from kg.export import atomic_write
from kg.vocab import CDEK
from kg.xrefs import BIOLINK_PREFIXES, biolink_curie

__all__ = [
    "INFORES",
    "KgxUnavailableError",
    "kgx_python",
    "to_kgx",
    "validate_kgx",
    "write_kgx",
]

# Not (yet) registered in the Biolink information-resource registry, like the w3id base.
INFORES = "infores:cdekg"
NODE_COLUMNS = ("id", "category", "name", "xref", "provided_by")
EDGE_COLUMNS = (
    "id",
    "subject",
    "predicate",
    "object",
    "knowledge_level",
    "agent_type",
    "primary_knowledge_source",
    "publications",
)
# Preferred identifier of a node per category, in Biolink prefix form.
_PREFERRED = {
    "biolink:SmallMolecule": ("CHEBI", "PUBCHEM.COMPOUND", "DRUGBANK", "CHEMBL.COMPOUND", "UNII"),
    "biolink:ChemicalEntity": ("DRUGBANK", "CHEMBL.COMPOUND", "UNII", "MESH", "NCIT"),
    "biolink:Disease": ("MONDO", "DOID", "NCIT", "MESH"),
    "biolink:Gene": ("HGNC", "NCBIGene"),
    "biolink:PhenotypicFeature": ("HP", "NCIT"),
}
_ASSERTED = ("knowledge_assertion", "manual_agent")
_ENTAILED = ("logical_entailment", "automated_agent")
_PUBLICATION_PREFIXES = ("pubmed:", "doi:", "pmc:")

_P = "PREFIX cdek: <https://w3id.org/cdekg/ontology#>\n"
_QUERIES = {
    "treats": _P
    + """SELECT ?s ?o ?doc WHERE {
        ?a a cdek:Approval ; cdek:approvedDrug ?s ; cdek:approvedIndication ?o .
        OPTIONAL { ?a cdek:source ?doc } }""",
    "in_clinical_trials_for": _P
    + """SELECT ?s ?o ?doc WHERE {
        ?study a cdek:RandomizedControlledTrial ; cdek:studiesDrug ?s ; cdek:studiesCondition ?o .
        OPTIONAL { ?study cdek:source ?doc } }""",
    "has_adverse_event": _P
    + """SELECT ?s ?o ?doc WHERE {
        ?r a cdek:AdverseEventResult ; cdek:adverseEventTerm ?o ; cdek:resultArm ?arm .
        ?arm cdek:receivesRegimen/cdek:regimenDrug ?s .
        FILTER NOT EXISTS { ?r cdek:attribution "disease-related" }
        OPTIONAL { ?r cdek:source ?doc } }""",
    "directly_physically_interacts_with": _P
    + """SELECT ?s ?o ?doc WHERE {
        ?st a cdek:DrugTargetStatement ; cdek:aboutDrug ?s ; cdek:aboutTarget ?o .
        OPTIONAL { ?st cdek:source ?doc } }""",
    "gene_associated_with_condition": _P
    + """SELECT ?s ?o ?doc WHERE {
        ?st a cdek:DiseaseGeneStatement ; cdek:aboutTarget ?s ; cdek:aboutDisease ?o .
        OPTIONAL { ?st cdek:source ?doc } }""",
}
_PREPARED = {name: prepareQuery(text) for name, text in _QUERIES.items()}


class KgxUnavailableError(RuntimeError):
    """No Python with kgx and biolink-model installed could be found."""


@dataclass
class Kgx:
    """KGX nodes and edges as rows of strings."""

    nodes: list[dict[str, str]] = field(default_factory=list)
    edges: list[dict[str, str]] = field(default_factory=list)


def to_kgx(asserted: Graph, inferred: Graph | None = None) -> Kgx:
    """Biolink nodes (drugs, diseases, genes, adverse event terms) and sourced edges."""
    inferred = inferred if inferred is not None else Graph()
    nodes = _nodes(asserted)
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    for predicate, query in _PREPARED.items():
        for row in asserted.query(query):
            _add_edge(edges, nodes, asserted, predicate, row.s, row.o, row.doc, _ASSERTED)
    for drug, gene in inferred.subject_objects(CDEK.inhibitsFamilyMember):
        _add_edge(
            edges,
            nodes,
            asserted,
            "directly_physically_interacts_with",
            drug,
            gene,
            None,
            _ENTAILED,
        )
    used = {n for key in edges for n in (key[0], key[2])}
    kgx = Kgx()
    kgx.nodes = sorted((row for row in nodes.values() if row["id"] in used), key=_node_key)
    for (s, p, o), data in sorted(edges.items()):
        kgx.edges.append(
            {
                "id": f"{s}-{p}-{o}",
                "subject": s,
                "predicate": f"biolink:{p}",
                "object": o,
                "knowledge_level": data["level"][0],
                "agent_type": data["level"][1],
                "primary_knowledge_source": INFORES,
                "publications": "|".join(sorted(data["publications"])),
            }
        )
    from kg.sources.kgx import extend_kgx  # registry trials (issue 12), self-contained there

    extend_kgx(kgx, asserted, nodes, INFORES)
    return kgx


def _node_key(row: dict[str, str]) -> str:
    return row["id"]


def _nodes(graph: Graph) -> dict[URIRef, dict[str, str]]:
    """Entities with a standard identifier, keyed by their IRI in the graph."""
    nodes = {}
    for cls in (CDEK.Drug, CDEK.Disease, CDEK.GeneProduct, CDEK.AdverseEventTerm):
        for node in graph.subjects(RDF.type, cls):
            curies = sorted(
                biolink_curie(str(c))
                for c in graph.objects(node, CDEK.xref)
                if str(c).partition(":")[0] in BIOLINK_PREFIXES
            )
            category = _category(cls, curies)
            preferred = _preferred(category, curies)
            if preferred is None:
                continue
            nodes[node] = {
                "id": preferred,
                "category": category,
                "name": str(graph.value(node, RDFS.label) or ""),
                "xref": "|".join(c for c in curies if c != preferred),
                "provided_by": INFORES,
            }
    return nodes  # type: ignore[return-value]


def _category(cls: URIRef, curies: list[str]) -> str:
    if cls == CDEK.Drug:
        # a PubChem compound id marks a small molecule; antibodies have none
        small = any(c.startswith("PUBCHEM.COMPOUND:") for c in curies)
        return "biolink:SmallMolecule" if small else "biolink:ChemicalEntity"
    return {
        CDEK.Disease: "biolink:Disease",
        CDEK.GeneProduct: "biolink:Gene",
        CDEK.AdverseEventTerm: "biolink:PhenotypicFeature",
    }[cls]


def _preferred(category: str, curies: list[str]) -> str | None:
    for prefix in _PREFERRED[category]:
        for curie in curies:
            if curie.startswith(prefix + ":"):
                return curie
    return None


def _add_edge(
    edges: dict[tuple[str, str, str], dict[str, Any]],
    nodes: dict[URIRef, dict[str, str]],
    graph: Graph,
    predicate: str,
    subject: Any,
    obj: Any,
    doc: Any,
    level: tuple[str, str],
) -> None:
    if subject not in nodes or obj not in nodes:
        return  # an end without a standard identifier (a target family, a toxicity category)
    key = (nodes[subject]["id"], predicate, nodes[obj]["id"])
    data = edges.setdefault(key, {"level": level, "publications": set()})
    if level == _ASSERTED:
        data["level"] = level  # asserted somewhere wins over entailed
    if doc is not None:
        data["publications"].update(_publications(graph, doc))


def _publications(graph: Graph, document: Any) -> Iterable[str]:
    for curie in graph.objects(document, CDEK.xref):
        if str(curie).startswith(_PUBLICATION_PREFIXES):
            yield biolink_curie(str(curie))


def _tsv(rows: list[dict[str, str]], columns: tuple[str, ...]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_kgx(asserted: Graph, inferred: Graph | None, out: Path) -> dict[str, Path]:
    """Write ``nodes.tsv`` and ``edges.tsv`` into ``out``."""
    kgx = to_kgx(asserted, inferred)
    files = {
        "kgx_nodes": (out / "nodes.tsv", _tsv(kgx.nodes, NODE_COLUMNS)),
        "kgx_edges": (out / "edges.tsv", _tsv(kgx.edges, EDGE_COLUMNS)),
    }
    for path, data in files.values():
        atomic_write(path, data)
    return {name: path for name, (path, _) in files.items()}


def kgx_python() -> str:
    """A Python with kgx: this one, or ``$KGX_PYTHON``; raises :class:`KgxUnavailableError`."""
    if importlib.util.find_spec("kgx") and importlib.util.find_spec("biolink_model"):
        return sys.executable
    other = os.environ.get("KGX_PYTHON")
    if other and Path(other).exists():
        return other
    raise KgxUnavailableError(
        "kgx is not installed: pip install 'cdekg[validate]' (kgx + biolink-model), "
        "or set KGX_PYTHON to a Python that has them"
    )


def validate_kgx(nodes: Path, edges: Path, *, timeout: float = 300) -> dict[str, Any]:
    """Run the real kgx validator on a KGX pair, offline; its report (``errors`` by level)."""
    python = kgx_python()
    shim = Path(__file__).with_name("kgx_shim.py")
    # a dead proxy makes any download kgx still tries fail at once instead of reaching out
    env = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        done = subprocess.run(
            [python, "-P", str(shim), str(nodes), str(edges), str(report)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        if not report.exists():
            raise RuntimeError(
                f"kgx validate failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
            )
        result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return result
