"""Drafts against curated gold: precision, recall and F1 per record type and per field, the
numbers' precision, and every miss and false draft with its span."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from kg import paths
from kg.sources.records import Corpus, Loaded, load_corpus, record_files

__all__ = ["TYPES", "Score", "score_files"]

TYPES = ("study", "arm", "participants", "outcome", "adverse_event", "drug_target", "approval")
# per type: the fields that say what a record is about, and the values it states
_IDENTITY = {
    "study": (),
    "arm": ("arm",),
    "participants": ("arm", "population"),
    "outcome": ("endpoint", "statistic", "arm", "comparator", "time_point", "time_unit"),
    "adverse_event": ("term", "arm", "grade"),
    "drug_target": ("drug", "target"),
    "approval": ("drug", "agency", "indication"),
}
_VALUES = {
    "study": (
        "registry_ids",
        "acronym",
        "kind",
        "phase",
        "randomized",
        "blinding",
        "control",
        "allocation_ratio",
    ),
    "arm": ("role", "dose", "unit", "frequency", "route"),
    "participants": ("n",),
    "outcome": ("value", "ci_low", "ci_high", "ci_level", "p_value", "count", "denominator"),
    "adverse_event": ("percent", "count"),
    "drug_target": ("action",),
    "approval": ("date",),
}
# the values that must agree for a draft to count as the gold record
_KEY_VALUES = {
    "study": (),
    "arm": (),
    "participants": ("n",),
    "outcome": ("value",),
    "adverse_event": ("percent", "count"),
    "drug_target": (),
    "approval": (),
}


@dataclass
class Fields:
    """One record reduced to comparable fields, with where it stands."""

    kind: str
    values: dict[str, Any]
    spans: list[tuple[int, int]]
    numbers: set[Decimal]

    def identity(self) -> tuple[Any, ...]:
        return tuple(self.values.get(f) for f in _IDENTITY[self.kind])

    def key(self) -> tuple[Any, ...]:
        keyed = tuple(self.values.get(f) for f in _KEY_VALUES[self.kind] if f in self.values)
        return self.identity() + keyed


@dataclass
class Score:
    """Counts per type and field, and the misses and false drafts."""

    matched: Counter[str] = field(default_factory=Counter)
    drafted: Counter[str] = field(default_factory=Counter)
    gold: Counter[str] = field(default_factory=Counter)
    field_ok: Counter[tuple[str, str]] = field(default_factory=Counter)
    field_drafted: Counter[tuple[str, str]] = field(default_factory=Counter)
    field_gold: Counter[tuple[str, str]] = field(default_factory=Counter)
    numbers_ok: Counter[str] = field(default_factory=Counter)
    numbers_all: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, Fields]] = field(default_factory=list)
    false: list[tuple[str, Fields]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def prf(ok: int, drafted: int, gold: int) -> tuple[float, float, float]:
        p = ok / drafted if drafted else 1.0
        r = ok / gold if gold else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def table(self) -> str:
        """The per-type table (Markdown), with the numbers' precision."""
        rows = ["| type | gold | drafted | matched | P | R | F1 | numbers P |", "|---" * 8 + "|"]
        for kind in (*TYPES, "all"):
            if kind == "all":
                ok, d, g = (sum(c.values()) for c in (self.matched, self.drafted, self.gold))
                n_ok, n_all = sum(self.numbers_ok.values()), sum(self.numbers_all.values())
            else:
                ok, d, g = self.matched[kind], self.drafted[kind], self.gold[kind]
                n_ok, n_all = self.numbers_ok[kind], self.numbers_all[kind]
            p, r, f = self.prf(ok, d, g)
            numbers = f"{n_ok / n_all:.2f} ({n_ok}/{n_all})" if n_all else "-"
            rows.append(f"| {kind} | {g} | {d} | {ok} | {p:.2f} | {r:.2f} | {f:.2f} | {numbers} |")
        return "\n".join(rows)

    def field_table(self) -> str:
        """Per field: P, R and F1 over the records aligned on what they are about."""
        rows = ["| type.field | gold | drafted | correct | P | R | F1 |", "|---" * 7 + "|"]
        for kind in TYPES:
            for name in _VALUES[kind]:
                key = (kind, name)
                ok, d, g = self.field_ok[key], self.field_drafted[key], self.field_gold[key]
                if not d and not g:
                    continue
                p, r, f = self.prf(ok, d, g)
                rows.append(f"| {kind}.{name} | {g} | {d} | {ok} | {p:.2f} | {r:.2f} | {f:.2f} |")
        return "\n".join(rows)

    def listing(self) -> str:
        """Every miss and false draft, with its span and the text it quotes."""
        lines = []
        for title, items in (
            ("missed (gold, not drafted)", self.misses),
            ("false drafts", self.false),
        ):
            lines.append(f"## {title}: {len(items)}")
            for doc, item in items:
                text = self.texts.get(doc, "")
                where = ", ".join(f"[{s}, {e}]" for s, e in item.spans[:2])
                quote = " ".join(text[s:e] for s, e in item.spans[:1])
                quote = " ".join(quote.split())[:160]
                shown = {k: v for k, v in item.values.items() if v is not None}
                lines.append(
                    f"- {doc} {item.kind} {shown} at {where}" + (f': "{quote}"' if quote else "")
                )
        return "\n".join(lines)


def _arm_signatures(corpus: Corpus) -> dict[tuple[str, str], str]:
    """(study, arm id) to what the arm is: its drugs, placebo, observation, condition."""
    found = {}
    for item in corpus.records:
        r: Any = item.record
        if getattr(r, "type", None) == "arm":
            parts = sorted(r.regimen.drugs) + (["placebo"] if r.regimen.placebo else [])
            parts += ["observation"] if r.regimen.observation else []
            if r.condition:
                parts.append(f"in {r.condition}")
            found[(r.study, r.id)] = "+".join(parts)
    return found


def _dec(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "relation") and hasattr(value, "value"):
        return (value.relation, Decimal(value.value).normalize())
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value).normalize()
    return value


def _fields(item: Loaded, arms: dict[tuple[str, str], str]) -> Fields | None:
    r: Any = item.record
    kind = getattr(r, "type", None)
    if kind not in TYPES:
        return None
    v: dict[str, Any] = {}
    arm = lambda a: arms.get((r.study, a), a) if a else None  # noqa: E731
    if kind == "study":
        d = r.design
        v = {"registry_ids": tuple(sorted(r.registry_ids)) or None, "acronym": r.acronym}
        if d is not None:
            v |= {
                "kind": d.kind,
                "phase": d.phase,
                "randomized": d.randomized,
                "blinding": d.blinding,
                "control": d.control,
                "allocation_ratio": d.allocation_ratio,
            }
    elif kind == "arm":
        g = r.regimen
        v = {
            "arm": arm(r.id),
            "role": r.role,
            "dose": _dec(g.dose),
            "unit": g.unit,
            "frequency": g.frequency,
            "route": g.route,
        }
    elif kind == "participants":
        v = {"arm": arm(r.arm), "population": r.population, "n": _dec(r.n)}
    elif kind == "outcome":
        v = {
            "endpoint": r.endpoint,
            "statistic": r.statistic,
            "arm": arm(r.arm),
            "comparator": arm(r.comparator),
            "time_point": _dec(r.time_point),
            "time_unit": r.time_unit,
            "value": _dec(r.value),
            "ci_level": _dec(r.ci_level),
            "ci_low": _dec(r.ci.low) if r.ci else None,
            "ci_high": _dec(r.ci.high) if r.ci else None,
            "p_value": _dec(r.p_value),
            "count": _dec(r.count),
            "denominator": _dec(r.denominator),
        }
    elif kind == "adverse_event":
        v = {
            "term": r.term,
            "arm": arm(r.arm),
            "grade": r.grade or "any",
            "percent": _dec(r.percent),
            "count": _dec(r.count),
        }
    elif kind == "drug_target":
        v = {"drug": r.drug, "target": r.target, "action": r.action}
    elif kind == "approval":
        v = {
            "drug": r.drug,
            "agency": r.agency,
            "indication": r.indication,
            "date": str(r.date) if r.date else None,
        }
    spans = [tuple(loc.span) for loc in r.loc]
    return Fields(kind, v, spans, {n.normalize() for n in r.stated_numbers()})


def _by_document(corpus: Corpus, files: set[str]) -> dict[str, list[Fields]]:
    arms = _arm_signatures(corpus)
    found: dict[str, list[Fields]] = {}
    for item in corpus.records:
        if item.document.file in files:
            fields = _fields(item, arms)
            if fields is not None:
                found.setdefault(item.document.file, []).append(fields)
    return found


def _matches(gold: Fields, draft: Fields) -> bool:
    if gold.identity() != draft.identity():
        return False
    for name in _KEY_VALUES[gold.kind]:
        if draft.values.get(name) is not None and draft.values.get(name) != gold.values.get(name):
            return False
    return (
        any(draft.values.get(n) is not None for n in _KEY_VALUES[gold.kind])
        or not _KEY_VALUES[gold.kind]
    )


def score_files(gold_dir: Path, draft_files: list[Path], documents: dict[str, Path]) -> Score:
    """Score draft record files against the gold records of the same documents in ``gold_dir``.

    ``documents`` maps a document's file name to its path (for quoting spans)."""
    score = Score()
    from kg.extract.text import read_document

    for name, path in documents.items():
        score.texts[name] = read_document(path).text
    entities = [paths.RECORDS / "entities.yaml"]
    gold_paths = [
        p for p in record_files(gold_dir) if p.resolve() not in {e.resolve() for e in entities}
    ]
    gold_corpus = load_corpus([*entities, *gold_paths])
    draft_corpus = load_corpus([*entities, *draft_files])
    files = {item.document.file for item in draft_corpus.records} | set(documents)
    drafts = _by_document(draft_corpus, files)
    golds = _by_document(gold_corpus, files)
    for doc in sorted(files):
        _score_document(score, doc, golds.get(doc, []), drafts.get(doc, []))
    score.errors = [str(e) for e in draft_corpus.errors]  # type: ignore[attr-defined]
    return score


def _score_document(score: Score, doc: str, gold: list[Fields], drafted: list[Fields]) -> None:
    for kind in TYPES:
        g = [x for x in gold if x.kind == kind]
        d = [x for x in drafted if x.kind == kind]
        score.gold[kind] += len(g)
        score.drafted[kind] += len(d)
        gold_numbers = set().union(*(x.numbers for x in g)) if g else set()
        for x in d:
            score.numbers_all[kind] += len(x.numbers)
            score.numbers_ok[kind] += len(x.numbers & gold_numbers)
        free_g = list(g)
        unmatched_d = []
        pairs = []
        for x in d:
            hit = next((y for y in free_g if _matches(y, x)), None)
            if hit is None:
                unmatched_d.append(x)
                continue
            free_g.remove(hit)
            pairs.append((hit, x))
            score.matched[kind] += 1
        loose = []
        for x in unmatched_d:  # aligned on identity only: the values differ
            hit = next((y for y in free_g if y.identity() == x.identity()), None)
            if hit is not None:
                free_g.remove(hit)
                loose.append((hit, x))
            score.false.append((doc, x))
        score.misses += [(doc, y) for y in g if y not in [p[0] for p in pairs]]
        aligned = pairs + loose
        for y in g:
            for name in _VALUES[kind]:
                if y.values.get(name) is not None:
                    score.field_gold[(kind, name)] += 1
        for x in d:
            for name in _VALUES[kind]:
                if x.values.get(name) is not None:
                    score.field_drafted[(kind, name)] += 1
        for y, x in aligned:
            for name in _VALUES[kind]:
                if x.values.get(name) is not None and x.values.get(name) == y.values.get(name):
                    score.field_ok[(kind, name)] += 1
