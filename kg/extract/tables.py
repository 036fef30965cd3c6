"""Plain-text tables: header rows, column groups, "n (%)" cells, decimal commas.

A table starts at a line "Table N ...". Its header names the columns (grades: "Total, 1, 2,
3, 4"; "Any grade, Grade 3-4"); a line "NAME (n = N)" alone opens a group of rows (an arm or
a cohort, N its denominator), as do arm names with their N in the header (column groups). A
row whose label is an adverse-event term and whose cells are "n (%)" gives one draft per cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kg.extract.design import Arm, Study
from kg.extract.drafts import Draft, DraftSet
from kg.extract.entities import Lexicon
from kg.extract.patterns import NUMBER, Number
from kg.normalize import slug

__all__ = ["draft_drug_rows", "draft_result_tables", "draft_tables", "population_of", "row_cells"]

_NUMBER = re.compile(NUMBER)
_TITLE = re.compile(r"^\s*Table\s+\d+\b.*$", re.M)
_CELL = re.compile(rf"(?P<n>{NUMBER})\s*\(\s*(?P<pct>{NUMBER})\s*%?\s*\)|(?P<dash>[─—–-])(?=\s|$)")
_GROUP = re.compile(r"^\s*(?P<name>[^\d()]{2,60}?)\s*\(\s*[nN]\s*=\s*(?P<n>\d+)\s*\)\s*$")
_HEAD_GROUP = re.compile(r"(?P<name>[A-Za-z][\w +/-]{1,40}?)\s*\(\s*[nN]\s*=\s*(?P<n>\d+)\s*\)")
_AE_TITLE = re.compile(r"toxicit|adverse|side effect|safety|grade", re.I)
_GRADE_HEAD = re.compile(
    r"\b(?P<any>total|any(?:\s+grade)?|all(?:\s+grades)?)\b|grade\s*(?P<range>[1-5]\s*[-–/]\s*[1-5]|≥\s*[1-5]|[1-5])"
    r"|(?<![\w(])(?P<bare>[1-5])(?![\w)%.,])",
    re.I,
)


@dataclass
class _Group:
    arm: Arm
    n: Number
    span: tuple[int, int]


def row_cells(line: str) -> tuple[str, list[tuple[Number | None, Number | None]], int] | None:
    """A row's label, its "n (%)" cells (a dash is an empty cell) and where the cells start."""
    cells = list(_CELL.finditer(line))
    if not cells or not any(c["n"] for c in cells):
        return None
    first = cells[0].start()
    label = line[:first].strip(" :*")
    if not label or not label[0].isalpha():
        return None
    tail = line[first:]
    if re.sub(_CELL, "", tail).strip(" \t"):
        return None  # words among the cells: not a simple row
    found: list[tuple[Number | None, Number | None]] = []
    for cell in cells:
        if cell["dash"]:
            found.append((None, None))
        else:
            found.append(
                (
                    Number(cell["n"], cell.start("n"), cell.end("n")),
                    Number(cell["pct"], cell.start("pct"), cell.end("pct")),
                )
            )
    return label, found, first


def _grades(header: str) -> list[str]:
    """The grade of each column a header names, in order."""
    found = []
    for match in _GRADE_HEAD.finditer(header):
        if match["any"]:
            found.append("any")
        elif match["range"]:
            raw = re.sub(r"\s", "", match["range"]).replace("–", "-").replace("/", "-")
            found.append(">=" + raw[1:] if raw.startswith("≥") else raw)
        else:
            found.append(match["bare"])
    return found


def _arm_for(
    name: str, lex: Lexicon, drafts: DraftSet, study: Study, span: tuple[int, int]
) -> Arm | None:
    """The arm a group name stands for; in a registry, a new cohort of the drugs it names."""
    drugs = [m.entity for m in lex.mentions("drug", name)]
    if re.search(r"placebo", name, re.I):
        return next((a for a in study.arms.values() if a.placebo), None)
    if not drugs:
        return None
    keys = sorted({drafts.name(d) for d in drugs})
    for arm in study.arms.values():
        if sorted(arm.drugs) == keys:
            return arm
    if study.randomized:
        return None
    arm = Arm(id=slug("-plus-".join(keys)), label=" + ".join(keys), role="cohort", drugs=keys)
    study.arms[arm.id] = arm
    record = {
        "type": "arm",
        "study": study.id,
        "id": arm.id,
        "label": arm.label,
        "role": "cohort",
        "regimen": {"drugs": keys},
    }
    drafts.add(Draft(record, [span], "table-group-cohort", 0.6))
    return arm


def draft_tables(text: str, lex: Lexicon, drafts: DraftSet, study: Study) -> None:
    """Adverse-event rows of the document's tables."""
    titles = list(_TITLE.finditer(text))
    for i, title in enumerate(titles):
        end = titles[i + 1].start() if i + 1 < len(titles) else len(text)
        _table(text, title.start(), min(end, title.start() + 20000), lex, drafts, study)


def _table(text: str, start: int, end: int, lex: Lexicon, drafts: DraftSet, study: Study) -> None:
    title_end = text.find("\n", start, end)
    title = text[start : title_end if title_end > 0 else end]
    header = ""
    grades: list[str] = []
    groups: list[_Group] = []
    position = title_end if title_end > 0 else end
    seen_row = False
    for match in re.finditer(r"[^\n]+", text[:end][position:]):
        line_start = position + match.start()
        line = match.group()
        if not line.strip():
            continue
        group = _GROUP.match(line)
        if group and (lex.mentions("drug", group["name"]) or "placebo" in line.lower()):
            span = (line_start, line_start + len(line))
            arm = _arm_for(group["name"], lex, drafts, study, span)
            if arm is not None:
                n = Number(group["n"], line_start + group.start("n"), line_start + group.end("n"))
                groups = [_Group(arm, n, span)]
                seen_row = True  # the header is above the first group
            continue
        row = row_cells(line)
        if row is None:
            if not seen_row:
                header += " " + line
                grades = _grades(header)
                heads = [
                    h
                    for h in _HEAD_GROUP.finditer(line)
                    if lex.mentions("drug", h["name"]) or "placebo" in h["name"].lower()
                ]
                if len(heads) >= 2:
                    groups = []
                    for h in heads:
                        span = (line_start, line_start + len(line))
                        arm = _arm_for(h["name"], lex, drafts, study, span)
                        if arm is not None:
                            n = Number(h["n"], line_start + h.start("n"), line_start + h.end("n"))
                            groups.append(_Group(arm, n, span))
            elif len(line) > 120 and not re.search(r"\d", line[:40]):
                break  # prose: the table is over
            continue
        seen_row = True
        if not _AE_TITLE.search(title + header):
            _subgroup_row(text, line_start, line, row, header, lex, drafts, study)
            continue
        label, cells, _ = row
        term = lex.find("ae_term", label)
        if term is None:
            continue
        _row(line_start, line, term, cells, grades, groups, drafts, study)


_TOTAL = re.compile(r"\b[nN]\s*=\s*(?P<n>\d+)")


def population_of(study: Study, text: str) -> str:
    """What a registry's counts count: treatment lines when it says its analyses count them."""
    lines = study.registry and re.search(r"treatment\s+lines|lines\s+of\s+treatment", text, re.I)
    return "treatment-lines" if lines else "enrolled"


def _subgroup_row(text, line_start, line, row, header, lex, drafts, study) -> None:  # type: ignore[no-untyped-def]
    """A row "DISEASE (%) n (pct)" of a characteristics table: the patients with that disease,
    out of the N the header gives."""
    label, cells, _ = row
    disease = lex.find("disease", re.sub(r"\(%\)|\*+", "", label).strip())
    if disease is None or len(cells) != 1 or cells[0][0] is None:
        return
    n, pct = cells[0]
    record = {
        "type": "participants",
        "study": study.id,
        "condition": drafts.name(disease),
        "population": population_of(study, text),
        "n": int(n.text),
        "percent": pct.text.replace(",", "."),
    }
    values = [Number(x.text, line_start + x.start, line_start + x.end) for x in (n, pct)]
    spans = [(line_start, line_start + len(line))]
    total = _TOTAL.search(header)
    if total is not None:  # the header's N: find it in the text to pin it to its span
        at = text.rfind(total.group(), 0, line_start)
        if at >= 0 and int(total["n"]) >= int(n.text):
            record["denominator"] = int(total["n"])
            spans.append((at, at + len(total.group())))
            values.append(
                Number(total["n"], at + total.start("n") - total.start(), at + len(total.group()))
            )
    drafts.add(Draft(record, spans, "table-subgroup-n-percent", 0.6, values))


def _row(line_start, line, term, cells, grades, groups, drafts: DraftSet, study: Study) -> None:  # type: ignore[no-untyped-def]
    groups_ = groups or [None]
    per = len(cells) // len(groups_)
    if per == 0 or per * len(groups_) != len(cells):
        return
    column_grades = grades[-per:] if len(grades) >= per else (["any"] if per == 1 else None)
    if column_grades is None:
        return
    for g, group in enumerate(groups_):
        for c in range(per):
            n, pct = cells[g * per + c]
            if n is None or pct is None:
                continue
            shifted = lambda x: Number(x.text, line_start + x.start, line_start + x.end)  # noqa: E731
            n, pct = shifted(n), shifted(pct)
            record: dict[str, Any] = {"type": "adverse_event", "study": study.id}
            spans = [(line_start, line_start + len(line))]
            values = [n, pct]
            if group is not None:
                record["arm"] = group.arm.id
                record["denominator"] = int(group.n.text)
                spans.append(group.span)
                values.append(group.n)
            record |= {
                "term": drafts.name(term),
                "grade": column_grades[c],
                "count": int(n.text),
                "percent": pct.text.replace(",", "."),
            }
            if record.get("denominator") is not None and record["count"] > record["denominator"]:
                continue
            drafts.add(Draft(record, spans, "table-row-n-percent", 0.75, values))


# --- result tables whose column groups each open with a drug: "TT1 n % CR PR RR (%) TT2 ..." ---

_LEADER = re.compile(r"^(?:TT\d*|Drug\s*\d*|Treatment\s*\d*|Therapy\s*\d*|Agent\s*\d*)$", re.I)
_HEAD_TOKEN = re.compile(r"(?:[A-Za-z]+\s*\(%\)|\S+)")
_RESULT_COLUMNS = {"CR": "count", "PR": "count", "SD": "count", "PD": "count"}
_RATE_COLUMNS = {"RR": "orr", "ORR": "orr", "DCR": "dcr", "CBR": "cbr"}


def _result_columns(header: str) -> list[str] | None:
    """The sub-columns of one drug-led group ("n", "%", "CR", "PR", "RR (%)"), or None."""
    tokens = [t.group() for t in _HEAD_TOKEN.finditer(header)]
    leaders = [i for i, t in enumerate(tokens) if _LEADER.match(t)]
    if not leaders:
        return None
    end = leaders[1] if len(leaders) > 1 else len(tokens)
    columns = tokens[leaders[0] + 1 : end]
    named = [
        c for c in columns if c.split("(")[0].strip().upper() in {*_RESULT_COLUMNS, *_RATE_COLUMNS}
    ]
    return columns if len(named) >= 2 else None


def draft_result_tables(text: str, lex: Lexicon, drafts: DraftSet, study: Study) -> None:
    """Per-cohort response counts and rates of tables with drug-led column groups."""
    titles = list(_TITLE.finditer(text))
    lines_unit = study.registry and re.search(
        r"treatment\s+lines|lines\s+of\s+treatment", text, re.I
    )
    for i, title in enumerate(titles):
        end = min(
            titles[i + 1].start() if i + 1 < len(titles) else len(text), title.start() + 20000
        )
        columns = None
        for match in re.finditer(r"[^\n]+", text[title.end() : end]):
            start = title.end() + match.start()
            line = match.group()
            if columns is None:
                columns = _result_columns(line)
                continue
            if len(line) > 200:
                break
            _result_row(
                text,
                start,
                line,
                columns,
                lex,
                drafts,
                study,
                "treatment-lines" if lines_unit else "patients",
            )


def _result_row(
    text: str,
    start: int,
    line: str,
    columns: list[str],
    lex: Lexicon,
    drafts: DraftSet,
    study: Study,
    unit: str,
) -> None:
    first = re.search(r"\d", line)
    if first is None:
        return
    disease = lex.find("disease", line[: first.start()].strip())
    if disease is None:
        return
    drugs = [m for m in lex.mentions("drug", text, start, start + len(line))]
    for k, drug in enumerate(drugs):
        stop = drugs[k + 1].start if k + 1 < len(drugs) else start + len(line)
        cells = [
            Number(m.group(), m.start(), m.end()) for m in _NUMBER.finditer(text, drug.end, stop)
        ]
        cells = cells[: len(columns)]
        gap = text[drug.end : cells[-1].end] if cells else ""
        if len(cells) != len(columns) or re.search(r"[^\d\s.,]", gap.replace("─", "x")):
            continue
        _cohort_results(
            text,
            start,
            line,
            drug,
            disease,
            dict(zip(columns, cells, strict=True)),
            lex,
            drafts,
            study,
            unit,
        )


def _cohort_results(text, start, line, drug, disease, cells, lex, drafts, study, unit) -> None:  # type: ignore[no-untyped-def]
    span = [(start, start + len(line))]
    arm_id = _cohort(drafts, study, [drug.entity], disease, span)
    n = next((v for c, v in cells.items() if c.lower() == "n"), None)
    if n is None or not n.text.isdigit():
        return
    share = cells.get("%")
    count: dict[str, Any] = {
        "type": "participants",
        "study": study.id,
        "arm": arm_id,
        "population": population_of(study, text),
        "n": int(n.text),
    }
    first = re.search(NUMBER, line)
    row_total = Number(first.group(), start + first.start(), start + first.end()) if first else None
    numbers = [n]
    if share is not None and row_total is not None and int(row_total.text) >= int(n.text):
        count |= {"denominator": int(row_total.text), "percent": share.text.replace(",", ".")}
        numbers += [share, row_total]
    drafts.add(Draft(count, span, "table-drug-group-n", 0.6, numbers))
    for column, cell in cells.items():
        name = column.split("(")[0].strip().upper()
        if name in _RESULT_COLUMNS and cell.text.isdigit():
            endpoint = lex.find("endpoint", name)
            if endpoint is None or int(cell.text) > int(n.text):
                continue
            record = {
                "type": "outcome",
                "study": study.id,
                "endpoint": drafts.name(endpoint),
                "statistic": "count",
                "arm": arm_id,
                "value": int(cell.text),
                "unit": unit,
                "count": int(cell.text),
                "denominator": int(n.text),
            }
            drafts.add(Draft(record, span, "table-drug-group-count", 0.7, [cell, n]))
        elif name in _RATE_COLUMNS:
            endpoint = lex.find("endpoint", _RATE_COLUMNS[name])
            record = {
                "type": "outcome",
                "study": study.id,
                "endpoint": drafts.name(endpoint),
                "statistic": "rate",
                "arm": arm_id,
                "value": cell.text.replace(",", "."),
                "unit": "percent",
                "denominator": int(n.text),
            }
            drafts.add(Draft(record, span, "table-drug-group-rate", 0.7, [cell, n]))


def _cohort(drafts: DraftSet, study: Study, drugs: list[Any], disease: Any, span: list) -> str:
    """The registry cohort of some drugs within one disease (drafted once, wherever named)."""
    keys = sorted({drafts.name(d) for d in drugs})
    disease_key = drafts.name(disease)
    arm_id = f"{slug('-plus-'.join(keys))}--{slug(disease_key)}"
    label = " + ".join(d.label for d in drugs)
    record = {
        "type": "arm", "study": study.id, "id": arm_id, "label": f"{label} | {disease.label}",
        "role": "cohort", "regimen": {"drugs": keys}, "condition": disease_key,
    }  # fmt: skip
    drafts.add(Draft(record, span, "table-cohort", 0.6))
    return arm_id


# a group of a drug-led row: "DISEASE n (pct)"
_DISEASE_GROUP = re.compile(
    rf"(?P<name>[A-Za-z][A-Za-z /-]*?)\s+(?P<n>\d+)\s*\(\s*(?P<pct>{NUMBER})\s*\)"
)


def draft_drug_rows(text: str, lex: Lexicon, drafts: DraftSet, study: Study) -> None:
    """Rows led by a drug (or combination) and its total n, then groups "DISEASE n (pct)": the
    patients of each disease among the drug's (a registry's drug-by-histotype table)."""
    if not study.registry:
        return
    population = population_of(study, text)
    for title in _TITLE.finditer(text):
        end = min(len(text), title.end() + 20000)
        nxt = _TITLE.search(text, title.end(), end)
        for match in re.finditer(r"[^\n]+", text[title.end() : nxt.start() if nxt else end]):
            start = title.end() + match.start()
            line = match.group()
            first = re.search(rf"(?<!\()(?:{NUMBER})(?!\))", line)  # not a footnote mark "(1)"
            if first is None:
                continue
            label = re.sub(r"\(\d+\)|\balone\b", "", line[: first.start()]).strip()
            drugs = [m.entity for m in lex.mentions("drug", label)]
            if not drugs or re.sub(r"[-+/\s]|\band\b", "", label.lower()) != "".join(
                m.text.lower() for m in lex.mentions("drug", label)
            ):
                continue
            total = Number(first.group(), start + first.start(), start + first.end())
            for group in _DISEASE_GROUP.finditer(line, first.end()):
                disease = lex.find("disease", group["name"].strip())
                if disease is None or int(group["n"]) > int(total.text):
                    continue
                span = [(start, start + len(line))]
                arm_id = _cohort(drafts, study, drugs, disease, span)
                n = Number(group["n"], start + group.start("n"), start + group.end("n"))
                pct = Number(group["pct"], start + group.start("pct"), start + group.end("pct"))
                record = {
                    "type": "participants", "study": study.id, "arm": arm_id,
                    "population": population, "n": int(n.text), "denominator": int(total.text),
                    "percent": pct.text.replace(",", "."),
                }  # fmt: skip
                drafts.add(Draft(record, span, "table-drug-row-groups", 0.6, [n, pct, total]))
