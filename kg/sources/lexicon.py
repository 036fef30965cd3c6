"""Names and identifiers of the curated entities, and the entities registries add.

A drug the registry names "Sorafenib", "BAY 43-9006" or "Nexavar", or gives MeSH id
D000077157, resolves to the one curated drug (its label, synonyms, brands and identifiers,
salt forms included, and the verified crosswalk when present). A drug that resolves to nothing
becomes a new entity, identified by the MeSH id the registry's derived section gives.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from kg import paths
from kg.model import AdverseEventTerm, Disease, Drug
from kg.normalize import NameIndex, slug
from kg.sources.records import Corpus

__all__ = ["CROSSWALK", "Lexicon"]

# the verified identifier crosswalk beside the clone (shared/crosswalk.csv), when present
CROSSWALK = paths.ROOT.parent / "shared" / "crosswalk.csv"
_NO_MESH = (
    "the registry record names its MeSH heading without the heading's id (legacy XML gives "
    "MeSH terms only)"
)


def _fold(name: str) -> str:
    return NameIndex.fold(name)


@dataclass
class _Catalogue:
    """One kind of entity: names and CURIEs to keys, and the entities added by sources."""

    names: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def find(self, names: list[str], curies: list[str]) -> str | None:
        for curie in curies:
            if curie in self.ids:
                return self.ids[curie]
        for name in names:
            if _fold(name) in self.names:
                return self.names[_fold(name)]
        return None

    def add(self, key: str, names: list[str], curies: list[str]) -> None:
        for name in names:
            self.names.setdefault(_fold(name), key)
        for curie in curies:
            self.ids.setdefault(curie, key)


class Lexicon:
    """Resolves registry names and MeSH ids to entity keys, minting new entities as needed."""

    def __init__(self, corpus: Corpus, crosswalk: Path | None = None) -> None:
        self.corpus = corpus
        self.drugs, self.diseases, self.terms = _Catalogue(), _Catalogue(), _Catalogue()
        for drug in corpus.drugs.values():
            names = [drug.key, drug.label, *drug.synonyms, *drug.brands]
            self.drugs.add(drug.key, names, [*drug.identifiers, *drug.salt_identifiers])
        for disease in corpus.diseases.values():
            names = [disease.key, disease.label, *disease.synonyms]
            self.diseases.add(disease.key, names, disease.identifiers)
        for term in corpus.ae_terms.values():
            self.terms.add(term.key, [term.key, term.label, *term.synonyms], term.identifiers)
        self.studies = {
            curie.partition(":")[2]: item.record.id
            for item in corpus.records
            if getattr(item.record, "type", None) == "study"
            for curie in getattr(item.record, "registry_ids", [])
            if curie.startswith("clinicaltrials:")
        }
        self._crosswalk(crosswalk if crosswalk is not None else _crosswalk_path())

    def _crosswalk(self, path: Path | None) -> None:
        """Identifiers the crosswalk verified for a curated entity's label."""
        if path is None or not path.is_file():
            return
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                catalogue = {"drug": self.drugs, "disease": self.diseases}.get(row["entity_type"])
                curie = (row.get("identifier") or "").strip()
                if catalogue is None or not curie:
                    continue
                key = catalogue.names.get(_fold(row["label"]))
                if key is not None:
                    catalogue.ids.setdefault(curie, key)

    def study(self, nct: str) -> str:
        """The key of the study with this NCT id: a curated study's, else the NCT id."""
        return self.studies.get(nct, nct)

    def drug(self, names: list[str], mesh_id: str | None, mesh_term: str | None) -> str:
        """The key of a drug, adding a new drug entity when nothing resolves."""
        curies = [f"mesh:{mesh_id}"] if mesh_id else []
        found = self.drugs.find([*names, *([mesh_term] if mesh_term else [])], curies)
        if found is not None:
            return found
        label = mesh_term or names[0]
        key = slug(label)
        synonyms = sorted({n for n in names if _fold(n) != _fold(label)})
        self.corpus.drugs[key] = _upgrade(
            self.corpus.drugs.get(key),
            Drug(
                key=key,
                label=label,
                synonyms=synonyms,
                identifiers=curies,
                identifier_gap=None if curies else _NO_MESH,
            ),
        )
        self.drugs.add(key, [label, *synonyms], curies)
        return key

    def disease(self, name: str, mesh_id: str | None) -> str:
        """The key of a condition the registry indexed with MeSH, adding it when new."""
        curies = [f"mesh:{mesh_id}"] if mesh_id else []
        found = self.diseases.find([name], curies)
        if found is not None:
            return found
        key = slug(name)
        self.corpus.diseases[key] = _upgrade(
            self.corpus.diseases.get(key),
            Disease(
                key=key, label=name, identifiers=curies, identifier_gap=None if curies else _NO_MESH
            ),
        )
        self.diseases.add(key, [name], curies)
        return key

    def known_disease(self, name: str) -> str | None:
        return self.diseases.find([name], [])

    def term(self, name: str) -> str:
        """The key of an adverse-event term (a curated one when the name matches)."""
        found = self.terms.find([name], [])
        if found is not None:
            return found
        key = slug(name)
        self.corpus.ae_terms.setdefault(key, AdverseEventTerm(key=key, label=name))
        self.terms.add(key, [name], [])
        return key


def _crosswalk_path() -> Path | None:
    """``$KG_CROSSWALK``, else the shared crosswalk beside the clone when it is there."""
    env = os.environ.get("KG_CROSSWALK")
    return Path(env) if env else CROSSWALK


def _upgrade(known, new):  # type: ignore[no-untyped-def]
    """The entity with identifiers wins over one with a gap; else the first one stays."""
    if known is None or (known.identifier_gap and new.identifiers):
        return new
    return known
