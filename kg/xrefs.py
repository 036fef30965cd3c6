"""Standard identifiers: pattern checks (Bioregistry), recorded gaps, and Biolink CURIEs for KGX."""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path

from rdflib import SKOS, Graph, Literal, URIRef

from kg import paths
from kg.iris import Minter
from kg.sources.records import Problem
from kg.vocab import CDEK

__all__ = [
    "BIOLINK_PREFIXES",
    "biolink_curie",
    "check_identifiers",
    "identifier_gaps",
    "identifier_pattern",
    "prefix_map",
]

# Bioregistry prefix (lower case, as in ontology/prefixmap.json) -> the prefix Biolink expects,
# checked against biolink_model/prefixmaps/biolink-model-prefix-map.json (Biolink 4.4).
BIOLINK_PREFIXES = {
    "chebi": "CHEBI",
    "chembl.compound": "CHEMBL.COMPOUND",
    "clinicaltrials": "CLINICALTRIALS",
    "doi": "doi",
    "doid": "DOID",
    "drugbank": "DRUGBANK",
    "hgnc": "HGNC",
    "hp": "HP",
    "mesh": "MESH",
    "mondo": "MONDO",
    "ncbigene": "NCBIGene",
    "ncit": "NCIT",
    "pmc": "PMCID",
    "pubchem.compound": "PUBCHEM.COMPOUND",
    "pubmed": "PMID",
    "rxnorm": "RXCUI",
    "unii": "UNII",
    "uniprot": "UniProtKB",
    "wikidata": "WIKIDATA",
}
_KINDS = {"drug": "drug", "disease": "disease", "target": "target", "adverse_event": "ae_term"}


@cache
def prefix_map() -> dict[str, str]:
    """The one CURIE prefix map of the project (``ontology/prefixmap.json``)."""
    data = json.loads((paths.ONTOLOGY / "prefixmap.json").read_text(encoding="utf-8"))
    return dict(data["prefixes"])


@cache
def identifier_pattern(prefix: str) -> re.Pattern[str] | None:
    """Bioregistry's regular expression for the local identifiers of ``prefix`` (offline)."""
    table = _pattern_table()
    if prefix in table:
        pattern = table[prefix]
    else:
        import bioregistry  # its registry ships inside the wheel; loading it takes ~1 s

        pattern = bioregistry.get_pattern(prefix)
    return re.compile(pattern) if pattern else None


PATTERNS = paths.DATA / "identifier-patterns.json"


@cache
def _pattern_table() -> dict[str, str | None]:
    """Bioregistry's patterns of the prefix map's prefixes, as ``PATTERNS`` keeps them for the
    installed version of bioregistry (else none): a build process then need not load it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        data = json.loads(PATTERNS.read_text(encoding="utf-8"))
        installed = version("bioregistry")
    except (OSError, ValueError, PackageNotFoundError):
        return {}
    return dict(data["patterns"]) if data.get("bioregistry") == installed else {}


def write_pattern_table() -> None:
    """Write ``PATTERNS`` from the installed bioregistry (after upgrading it)."""
    from importlib.metadata import version

    import bioregistry

    patterns = {prefix: bioregistry.get_pattern(prefix) for prefix in sorted(prefix_map())}
    data = {"bioregistry": version("bioregistry"), "patterns": patterns}
    PATTERNS.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def check_identifiers(graph: Graph) -> list[Problem]:
    """Each ``cdek:xref`` CURIE has a known prefix, a valid local id and its exactMatch IRI.

    Each exactMatch of a graph node is also an xref, so that the xrefs are the complete record
    of the exact identifiers (the SHACL shapes check one per vocabulary on the xrefs).
    """
    problems = []
    prefixes = prefix_map()
    expanded = {
        (node, URIRef(prefixes[p] + local))
        for node, curie in graph.subject_objects(CDEK.xref)
        for p, _, local in [str(curie).partition(":")]
        if p in prefixes
    }
    for node, iri in sorted(graph.subject_objects(SKOS.exactMatch)):
        if isinstance(iri, URIRef) and (node, iri) not in expanded:
            message = f"skos:exactMatch {iri} has no cdek:xref CURIE"
            problems.append(Problem("identifiers", str(node), "exactMatch", message))
    for node, curie in sorted(graph.subject_objects(CDEK.xref)):
        where = str(node)
        prefix, _, local = str(curie).partition(":")
        if prefix not in prefixes:
            problems.append(Problem("prefixmap", where, "xref", f"unknown prefix in {curie}"))
            continue
        pattern = identifier_pattern(prefix)
        if pattern is not None and not pattern.fullmatch(local):
            message = f"{curie} does not match the {prefix} pattern {pattern.pattern}"
            problems.append(Problem("identifiers", where, "xref", message))
        if (node, SKOS.exactMatch, URIRef(prefixes[prefix] + local)) not in graph:
            message = f"{curie} has no skos:exactMatch {prefixes[prefix] + local}"
            problems.append(Problem("identifiers", where, "xref", message))
    return problems


def identifier_gaps(graph: Graph, minter: Minter, table: Path | None = None) -> Graph:
    """``cdek:identifierGap`` reasons for the entities of ``graph`` that lack an identifier."""
    table = table or paths.DATA / "identifier-gaps.csv"
    gaps = Graph()
    with table.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            kind = _KINDS.get(row["kind"])
            if kind is None:
                raise ValueError(f"{table}: unknown kind {row['kind']!r} ({', '.join(_KINDS)})")
            node = getattr(minter, kind)(row["key"])
            if (node, None, None) in graph:
                gaps.add((node, CDEK.identifierGap, Literal(row["reason"])))
    return gaps


def biolink_curie(curie: str) -> str:
    """``chebi:50924`` -> ``CHEBI:50924``; raises on a prefix Biolink has no name for."""
    prefix, _, local = curie.partition(":")
    if prefix not in BIOLINK_PREFIXES:
        raise ValueError(f"no Biolink prefix for {curie!r}")
    return f"{BIOLINK_PREFIXES[prefix]}:{local}"
