"""File locations, resolved once."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA", "ONTOLOGY", "OUT", "PACKAGE", "QUERIES", "RECORDS", "ROOT", "SEEDS"]

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
DATA = PACKAGE / "data"
RECORDS = DATA / "records"
# a wheel carries the ontology and queries inside the package; a checkout keeps them at the top
ONTOLOGY = PACKAGE / "ontology" if (PACKAGE / "ontology").is_dir() else ROOT / "ontology"
QUERIES = PACKAGE / "queries" if (PACKAGE / "queries").is_dir() else ROOT / "queries"
SEEDS = ROOT.parent / "shared" / "seeds"
OUT = Path("out")
