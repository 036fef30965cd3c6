"""Entity names in text: the curated catalogue's names, extended by ``lexicon.yaml``.

A name resolves as the record loader resolves it (:meth:`kg.normalize.NameIndex.fold`), so a
drafted record names the same entity key a curator would. A drug the catalogue lacks but whose
name has a drug stem (-tinib, -mab ...) becomes a new entity, flagged for review.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kg import paths
from kg.normalize import NameIndex, slug

__all__ = ["KINDS", "Entity", "Lexicon", "Mention", "lexicon"]

KINDS = ("drug", "disease", "target", "ae_term", "endpoint", "agency")
_SECTIONS = {
    "drugs": "drug",
    "diseases": "disease",
    "targets": "target",
    "adverse_event_terms": "ae_term",
    "endpoints": "endpoint",
    "agencies": "agency",
}
_EXTRA = Path(__file__).with_name("lexicon.yaml")
# stems of the International Nonproprietary Names of anticancer drugs
_DRUG_STEM = re.compile(
    r"\b[A-Za-z]{3,}(?:nib|ciclib|lisib|parib|mab|platin"
    r"|taxel|rubicin|mustine|tecan|rolimus|degib|zomib|lidomide)\b"
)


@dataclass(frozen=True)
class Entity:
    """An entity a name stands for; ``new`` when the curated catalogue lacks it."""

    kind: str
    key: str
    label: str
    new: bool = False


@dataclass(frozen=True)
class Mention:
    """A name found at ``[start, end)`` of the text."""

    entity: Entity
    start: int
    end: int
    text: str


def _fold(name: str) -> str:
    return NameIndex.fold(name)


def _pattern(names: list[str], *, ignore_case: bool) -> re.Pattern[str] | None:
    if not names:
        return None
    parts = []
    for name in sorted(set(names), key=len, reverse=True):
        words = [re.escape(w) for w in re.split(r"[\s\-‐–_]+", name.strip()) if w]
        parts.append(r"[\s\-‐–]*".join(words))
    flags = re.IGNORECASE if ignore_case else 0
    plural = "s?"  # "dose interruptions" names "dose interruption", "GISTs" "GIST"
    return re.compile(rf"(?<![\w\-])(?:{'|'.join(parts)}){plural}(?![\w]|-\w)", flags)


def _abbreviation(name: str) -> bool:
    """Short names with capitals (PFS, KIT, AS) match only as written."""
    return (len(name) <= 6 and sum(c.isupper() for c in name) >= 2) or len(name) <= 3


class Lexicon:
    """Names of every kind, matched in text and resolved to entities."""

    def __init__(self, names: dict[str, dict[str, Entity]]) -> None:
        self.names = names  # kind -> folded name -> entity
        self._patterns: dict[str, list[re.Pattern[str]]] = {kind: [] for kind in names}
        # the mentions of the last text scanned, per (kind, start, end): rules ask again and again
        self._text: str | None = None
        self._cache: dict[tuple[str, int, int], list[Mention]] = {}

    @classmethod
    def from_sources(cls, catalogues: list[dict[str, Any]], extra: dict[str, Any]) -> Lexicon:
        """The catalogue sections of record files, then the extra names (new keys flagged)."""
        names: dict[str, dict[str, Entity]] = {kind: {} for kind in KINDS}
        written: dict[str, list[str]] = {kind: [] for kind in KINDS}

        def add(kind: str, entity: Entity, *labels: str, match: bool = True) -> None:
            for label in labels:
                if not label:
                    continue
                known = names[kind].setdefault(_fold(label), entity)
                if match and known == entity and label not in written[kind]:
                    written[kind].append(label)  # each way of writing it is matched in text

        for entities in catalogues:
            for section, kind in _SECTIONS.items():
                for item in entities.get(section, []) or []:  # type: ignore[attr-defined]
                    entity = Entity(kind, item["key"], item["label"])
                    labels = [item["label"], *item.get("synonyms", [])]
                    labels += [*item.get("brands", []), item.get("abbreviation") or ""]
                    add(kind, entity, *labels)
                    add(kind, entity, item["key"], match=False)  # keys name, texts do not use
        for section, kind in _SECTIONS.items():
            block = extra.get(section) or {}
            pairs = block.items() if isinstance(block, dict) else ((n, [n]) for n in block)
            for key, labels in pairs:
                known = next(
                    (names[kind][_fold(x)] for x in [key, *labels] if _fold(x) in names[kind]), None
                )
                entity = known or Entity(
                    kind,
                    slug(key) if kind != "agency" else key,
                    labels[0] if labels else key,
                    new=kind != "agency",
                )
                add(kind, entity, *labels)
        lexicon = cls(names)
        for kind in KINDS:
            exact = [n for n in written[kind] if _abbreviation(n)]
            loose = [n for n in written[kind] if not _abbreviation(n)]
            lexicon._patterns[kind] = [
                p
                for p in (_pattern(exact, ignore_case=False), _pattern(loose, ignore_case=True))
                if p
            ]
        return lexicon

    def find(self, kind: str, name: str) -> Entity | None:
        """The entity of a name (or of its singular: "renal toxicities"), or None."""
        folded = _fold(name)
        for form in (folded, re.sub(r"ies$", "y", folded), re.sub(r"(?<=[^s])s$", "", folded)):
            if form in self.names[kind]:
                return self.names[kind][form]
        return None

    def _close_drug(self, name: str) -> Entity | None:
        """A known drug a misspelt name stands for ("suntinib"): one close spelling only."""
        folded = _fold(name)
        if len(folded) < 7:
            return None
        close = difflib.get_close_matches(folded, list(self.names["drug"]), n=2, cutoff=0.88)
        entities = {self.names["drug"][c] for c in close}
        return entities.pop() if len(entities) == 1 else None

    def mentions(
        self, kind: str, text: str, start: int = 0, end: int | None = None
    ) -> list[Mention]:
        """The names of ``kind`` in ``text[start:end]``, longest first where two overlap."""
        end = len(text) if end is None else end
        if text is not self._text:
            self._text, self._cache = text, {}
        cached = self._cache.get((kind, start, end))
        if cached is not None:
            return list(cached)
        found: list[Mention] = []
        for pattern in self._patterns[kind]:
            for match in pattern.finditer(text, start, end):
                entity = self.find(kind, match.group())
                if entity is not None:
                    found.append(Mention(entity, match.start(), match.end(), match.group()))
        if kind == "drug":
            for match in _DRUG_STEM.finditer(text, start, end):
                if self.find("drug", match.group()) is None:
                    entity = self._close_drug(match.group()) or Entity(
                        "drug", slug(match.group()), match.group().lower(), new=True
                    )
                    found.append(Mention(entity, match.start(), match.end(), match.group()))
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        kept: list[Mention] = []
        for mention in found:
            if kept and mention.start < kept[-1].end:
                continue
            kept.append(mention)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[(kind, start, end)] = kept
        return list(kept)


@functools.cache
def lexicon() -> Lexicon:
    """The lexicon of the embedded record files and ``lexicon.yaml`` (read once)."""
    catalogues = []
    for path in sorted(paths.RECORDS.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        catalogues.append(data.get("entities") or {})
    extra = yaml.load(_EXTRA.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    return Lexicon.from_sources(catalogues, extra)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
