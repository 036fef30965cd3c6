"""Draft records: what a rule found, its spans, and the YAML file a curator reviews."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kg import __version__
from kg.extract.entities import Entity
from kg.extract.patterns import Number
from kg.extract.text import Document, Segment, section_at

__all__ = ["TOOL", "Draft", "DraftSet", "write_drafts"]

TOOL = f"cdekg-extract {__version__}"
_MAX_SPANS = 8  # places a repeated statement is pinned to
_SECTIONS = {
    "drug": "drugs",
    "disease": "diseases",
    "target": "targets",
    "ae_term": "adverse_event_terms",
    "endpoint": "endpoints",
}


@dataclass
class Draft:
    """One drafted record: its fields, the spans it came from, the numbers it states as
    written, the rule that matched and a confidence in 0-1."""

    record: dict[str, Any]
    spans: list[tuple[int, int]]
    rule: str
    confidence: float
    values: list[Number] = field(default_factory=list)

    def key(self) -> tuple[Any, ...]:
        """Records stating the same thing twice (an abstract and its body) are one draft."""
        items = {k: v for k, v in self.record.items() if k not in ("loc",)}
        return tuple(sorted((k, repr(v)) for k, v in items.items()))


@dataclass
class DraftSet:
    """The drafts of one document, the new entities they name, and warnings."""

    document: Document
    doc_id: str
    drafts: list[Draft] = field(default_factory=list)
    entities: dict[str, Entity] = field(default_factory=dict)  # new ones, by kind:key
    metadata: dict[str, Any] = field(default_factory=dict)
    _index: dict[tuple[Any, ...], Draft] = field(default_factory=dict, repr=False)

    def add(self, draft: Draft) -> None:
        """Add a draft; a repeat of one already drafted adds its spans to it (up to a few)."""
        key = draft.key()
        known = self._index.get(key)
        if known is None:
            self._index[key] = draft
            self.drafts.append(draft)
            return
        for span in draft.spans:
            if span not in known.spans and len(known.spans) < _MAX_SPANS:
                known.spans.append(span)
        known.confidence = max(known.confidence, draft.confidence)

    def name(self, entity: Entity) -> str:
        """The name a record uses for an entity, noting a new one for the entities section."""
        if entity.new:
            self.entities.setdefault(f"{entity.kind}:{entity.key}", entity)
        return entity.key

    def to_yaml(self, heads: list[Segment]) -> dict[str, Any]:
        """The record file: document, new entities (flagged), records with their review status."""
        text = self.document.text
        document: dict[str, Any] = {
            "id": self.doc_id,
            "file": self.document.path.name,
            "kind": self.metadata.get("kind", "journal-article"),
            "title": self.metadata.get("title") or self.document.path.name,
            "sha256": self.document.sha256,
        }
        if self.metadata.get("identifiers"):
            document["identifiers"] = self.metadata["identifiers"]
        entities: dict[str, list[dict[str, Any]]] = {}
        gap = "drafted by kg extract from a name the lexicon lacks: no identifier looked up yet"
        for entity in self.entities.values():
            section = _SECTIONS[entity.kind]
            item: dict[str, Any] = {"key": entity.key, "label": entity.label}
            if entity.kind in ("drug", "disease", "target", "ae_term"):
                item["identifier_gap"] = gap
            entities.setdefault(section, []).append(item)
        records = []
        for draft in self.drafts:
            spans = sorted(set(draft.spans))
            loc = [{"section": section_at(heads, s, "text"), "span": [s, e]} for s, e in spans]
            record = dict(draft.record)
            record["loc"] = loc
            record["extraction"] = {
                "rule": draft.rule,
                "confidence": round(draft.confidence, 2),
                "tool": TOOL,
            }
            record["review"] = "draft"
            records.append(record)
        data: dict[str, Any] = {"document": document}
        if entities:
            data["entities"] = entities
        data["records"] = records
        del text
        return data


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def write_drafts(drafts: DraftSet, heads: list[Segment], out: Path) -> Path:
    """Write ``drafts`` as a record file in ``out`` (named after the document)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{drafts.document.path.stem}.draft.yaml"
    header = (
        f"# Drafted by {TOOL} from {drafts.document.path.name} ({drafts.document.encoding}).\n"
        "# Review each record: set review: accepted or rejected (rejected records are not "
        "built).\n"
    )
    for warning in drafts.document.warnings:
        header += f"# warning: {warning}\n"
    body = yaml.dump(
        drafts.to_yaml(heads), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )
    path.write_text(header + body, encoding="utf-8")
    return path
