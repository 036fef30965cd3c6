"""File locations, resolved once."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DATA",
    "DEFAULT_BASE",
    "ONTOLOGY",
    "OUT",
    "PACKAGE",
    "QUERIES",
    "RECORDS",
    "ROOT",
    "SEEDS",
    "base_from_env",
]

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
DATA = PACKAGE / "data"
RECORDS = DATA / "records"
# a wheel carries the ontology and queries inside the package; a checkout keeps them at the top
ONTOLOGY = PACKAGE / "ontology" if (PACKAGE / "ontology").is_dir() else ROOT / "ontology"
QUERIES = PACKAGE / "queries" if (PACKAGE / "queries").is_dir() else ROOT / "queries"
SEEDS = ROOT.parent / "shared" / "seeds"
OUT = Path("out")

# the namespace of minted IRIs (kg.iris), here so that the command line reads it without rdflib
DEFAULT_BASE = "https://w3id.org/cdekg/resource/"


def base_from_env() -> str:
    """The base namespace: ``$KG_BASE_IRI`` or :data:`DEFAULT_BASE`."""
    return os.environ.get("KG_BASE_IRI") or DEFAULT_BASE
