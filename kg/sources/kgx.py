"""What registry records add to the Biolink KGX export (called at the end of kg.kgx.to_kgx).

Each study read from a registry record becomes a ``biolink:ClinicalTrial`` node, and every
interventional registry study (not only randomized ones) gives ``in_clinical_trials_for``
edges from its drugs to its conditions. Adverse events reach the export through kg.kgx's own
``has_adverse_event`` query (a registry count whose group maps to an arm given the drug);
their counts would need Biolink's frequency columns (has_count, has_total), which the edge
table of kg.kgx does not have yet.
"""

from __future__ import annotations

from typing import Any

from rdflib import RDF, RDFS, Graph

from kg.vocab import CDEK
from kg.xrefs import biolink_curie

__all__ = ["extend_kgx"]


def extend_kgx(kgx: Any, graph: Graph, nodes: dict[Any, dict[str, str]], infores: str) -> None:
    """Add trial nodes and registry ``in_clinical_trials_for`` edges to ``kgx`` (in place).

    ``nodes`` maps graph nodes to the rows kg.kgx made for them (those with a standard id).
    """
    ids = {row["id"] for row in kgx.nodes}
    edges = {row["id"] for row in kgx.edges}

    def node(row: dict[str, str]) -> str:
        if row["id"] not in ids:
            ids.add(row["id"])
            kgx.nodes.append(row)
        return row["id"]

    for study in sorted(set(graph.subjects(RDF.type, CDEK.ClinicalStudy))):
        trial = next(
            (
                str(x)
                for x in graph.objects(study, CDEK.xref)
                if str(x).startswith("clinicaltrials:")
            ),
            None,
        )
        if trial is None or graph.value(study, CDEK.studyType) is None:
            continue  # curated studies only: a registry record gives the study type
        name = str(graph.value(study, RDFS.label) or trial)
        node(
            {
                "id": biolink_curie(trial),
                "category": "biolink:ClinicalTrial",
                "name": name,
                "xref": "",
                "provided_by": infores,
            }
        )
        if str(graph.value(study, CDEK.studyType) or "") != "INTERVENTIONAL":
            continue
        for drug in graph.objects(study, CDEK.studiesDrug):
            for disease in graph.objects(study, CDEK.studiesCondition):
                if drug not in nodes or disease not in nodes:
                    continue  # no standard identifier: not exportable
                s, o = node(nodes[drug]), node(nodes[disease])
                key = f"{s}-in_clinical_trials_for-{o}"
                if key not in edges:
                    edges.add(key)
                    kgx.edges.append(
                        {
                            "id": key,
                            "subject": s,
                            "predicate": "biolink:in_clinical_trials_for",
                            "object": o,
                            "knowledge_level": "knowledge_assertion",
                            "agent_type": "manual_agent",
                            "primary_knowledge_source": infores,
                            "publications": "",
                        }
                    )
