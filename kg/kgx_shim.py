"""Run the real ``kgx validate`` offline: Biolink from the ``biolink_model`` wheel, not the web.

kgx builds a ``bmt.Toolkit`` at import, which downloads the Biolink YAML and predicate map, and
reads its JSON-LD context from the web. This script points both at the files inside the
installed ``biolink_model`` wheel first. It needs only the standard library, kgx and
biolink-model, so it runs in whatever Python has kgx:

    python kg/kgx_shim.py nodes.tsv edges.tsv    # prints a JSON report; exit 1 on errors
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["install", "validate"]


def install() -> str:
    """Patch bmt and kgx to use the local Biolink model; returns the model's version."""
    import biolink_model
    import bmt.toolkit
    from linkml_runtime.utils.schemaview import SchemaView

    root = Path(next(iter(biolink_model.__path__)))  # a namespace package: no __init__
    schema = str(root / "schema" / "biolink_model.yaml")

    def offline_init(self: Any, schema: str = schema, predicate_map: str | None = None) -> None:
        self.view = SchemaView(schema)
        self.pmap = {}  # the predicate mapping file is only used for mapping, not validation

    bmt.toolkit.Toolkit.__init__ = offline_init  # type: ignore[method-assign]
    prefixes = json.loads((root / "prefixmaps" / "biolink-model-prefix-map.json").read_text())
    import kgx.config

    kgx.config.jsonld_context_map["biolink"] = prefixes
    return str(bmt.toolkit.Toolkit().get_model_version())


def validate(nodes: str, edges: str) -> dict[str, Any]:
    """The kgx validator's report for a KGX TSV pair, keyed by level, error type and message.

    What the Biolink model itself does not allow (:func:`slot_problems`) is added as errors of
    the type ``INVALID_BIOLINK_SLOT``.
    """
    version = install()
    from kgx.cli.cli_utils import validate as kgx_validate

    errors = kgx_validate(
        inputs=[nodes, edges], input_format="tsv", input_compression=None, output=None
    )
    report = _plain(errors)
    for problem in slot_problems(Path(nodes), Path(edges)):  # reported as kgx reports its own
        where, _, message = problem.partition(": ")
        kinds = report.setdefault("ERROR", {}).setdefault("INVALID_BIOLINK_SLOT", {})
        kinds.setdefault(message, []).append(where)
    return {"biolink_version": version, "errors": report}


# columns every KGX row has, which are not slots of the row's class
_STRUCTURAL = {"id", "category", "subject", "predicate", "object"}


def slot_problems(nodes: Path, edges: Path) -> list[str]:
    """Columns and values the installed Biolink model does not allow, which kgx leaves unchecked.

    Each edge's ``category`` is an association class and each of its columns a slot of that
    class, with a permissible value where the slot's range is an enumeration; the predicate
    (and a qualified predicate) keeps to the class's predicate constraint. Each node column is
    a slot of the node's category, its value permissible.
    """
    import bmt.toolkit

    view = bmt.toolkit.Toolkit().view
    problems: list[str] = []
    for row in _read(nodes):
        cls = _class_name(row.get("category", ""))
        problems += _row_problems(view, f"node {row.get('id')}", cls, row, association=False)
    for row in _read(edges):
        name = f"edge {row.get('id')}"
        cls = _class_name(row.get("category", ""))
        if cls is None or view.get_class(cls) is None:
            problems.append(f"{name}: category {row.get('category')!r} is not a Biolink class")
            continue
        if "association" not in view.class_ancestors(cls):
            problems.append(f"{name}: category {row['category']} is not an association")
            continue
        problems += _row_problems(view, name, cls, row, association=True)
        for column in ("predicate", "qualified_predicate"):
            if row.get(column):
                problems += _predicate_problems(view, name, cls, column, row[column])
    return problems


def _read(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _class_name(category: str) -> str | None:
    """``biolink:ChemicalAffectsGeneAssociation`` -> ``chemical affects gene association``."""
    import re

    if not category.startswith("biolink:"):
        return None
    return re.sub(r"(?<!^)(?=[A-Z])", " ", category.removeprefix("biolink:")).lower()


def _row_problems(
    view: Any, name: str, cls: str | None, row: dict[str, str], *, association: bool
) -> list[str]:
    if cls is None or view.get_class(cls) is None:
        return [] if association else [f"{name}: no Biolink category"]
    slots = {s.name: s for s in view.class_induced_slots(cls)}
    problems = []
    for column, value in row.items():
        if not value or column in _STRUCTURAL:
            continue
        slot = slots.get(column.replace("_", " "))
        if slot is None:
            problems.append(f"{name}: {column} is not a slot of {row['category']}")
            continue
        enum = view.get_enum(slot.range) if slot.range else None
        values = value.split("|") if slot.multivalued else [value]
        for item in values:
            if enum is not None and item not in enum.permissible_values:
                problems.append(f"{name}: {column} {item!r} is not a value of {slot.range}")
            elif slot.range in ("integer", "double") and not _number(item, slot.range):
                problems.append(f"{name}: {column} {item!r} is not a {slot.range}")
    return problems


def _number(text: str, kind: str) -> bool:
    try:
        int(text) if kind == "integer" else float(text)
    except ValueError:
        return False
    return True


def _predicate_problems(view: Any, name: str, cls: str, column: str, value: str) -> list[str]:
    predicate = value.removeprefix("biolink:").replace("_", " ")
    if view.get_slot(predicate) is None:
        return [f"{name}: {column} {value} is not a Biolink predicate"]
    usage = view.induced_slot(column.replace("_", " "), cls)
    enum = view.get_enum(usage.range) if usage.range else None
    if enum is not None and column == "predicate" and value not in enum.permissible_values:
        return [f"{name}: {column} {value} is not one of {usage.range}"]
    parent = usage.subproperty_of
    if parent and parent not in view.slot_ancestors(predicate):
        return [f"{name}: {column} {value} is not a kind of {parent} ({cls} requires it)"]
    return []


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return sorted(str(v) for v in value)
    return value


def main(argv: list[str]) -> int:
    """``kgx_shim.py NODES EDGES [REPORT.json]``: write the report; exit 1 when it has errors."""
    if len(argv) not in (2, 3):
        print("usage: kgx_shim.py NODES.tsv EDGES.tsv [REPORT.json]", file=sys.stderr)
        return 2
    report = validate(argv[0], argv[1])
    text = json.dumps(report, indent=1, sort_keys=True)
    if len(argv) == 3:
        Path(argv[2]).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 1 if report["errors"].get("ERROR") else 0


if __name__ == "__main__":
    # run as a script, this file's folder (kg/, which holds kgx.py) must not shadow kgx
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(here)]
    sys.exit(main(sys.argv[1:]))
