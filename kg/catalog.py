"""The canned competency questions: ``queries/*.rq`` and their header comments.

A header is a run of comment lines at the top of the file::

    # title: Studies of a drug
    # description: One line saying what the question answers.
    # param: drug (drug, default: sorafenib) the drug, by label, synonym, CURIE or IRI
    # param: min_percent (number, default: 0) lowest frequency shown, in percent

A parameter is a variable of the query (``?drug``) that is pre-bound before evaluation.
Kinds: ``drug``, ``disease``, ``study``, ``entity`` (resolved to a node of the graph),
``number``, ``integer`` and ``string`` (literals). Without a default the parameter is optional
and the variable stays free, so the query answers for every value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kg import paths

__all__ = ["PARAM_KINDS", "CannedQuery", "Parameter", "load_catalog"]

PARAM_KINDS = ("drug", "disease", "study", "entity", "number", "integer", "string")
_FIELD = re.compile(r"#\s*(title|description|param)\s*:\s*(.*)$")
_PARAM = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<kind>\w+)(?:\s*,\s*default:\s*(?P<default>[^)]*))?\)"
    r"\s*(?P<description>.*)$"
)


@dataclass(frozen=True)
class Parameter:
    """One named parameter of a canned query."""

    name: str
    kind: str
    default: str | None
    description: str


@dataclass(frozen=True)
class CannedQuery:
    """A competency question: its SPARQL text and what its header says."""

    name: str
    path: Path
    title: str
    description: str
    text: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def parse_header(path: Path, text: str) -> tuple[str, str, tuple[Parameter, ...]]:
    """Title, description and parameters from the leading comments; ValueError if malformed."""
    title = description = ""
    params: list[Parameter] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        match = _FIELD.match(line)
        if not match:
            continue
        key, value = match[1], match[2].strip()
        if key == "title":
            title = value
        elif key == "description":
            description = value
        else:
            param = _PARAM.match(value)
            if not param or param["kind"] not in PARAM_KINDS:
                raise ValueError(
                    f"{path}:{number}: bad parameter line; expected "
                    f"'# param: NAME (KIND[, default: VALUE]) description' with KIND one of "
                    f"{', '.join(PARAM_KINDS)}"
                )
            default = param["default"].strip() if param["default"] is not None else None
            params.append(Parameter(param["name"], param["kind"], default, param["description"]))
    if not title:
        raise ValueError(f"{path}: the header has no '# title:' line")
    for param in params:
        if not re.search(rf"[?$]{param.name}\b", text):
            raise ValueError(f"{path}: parameter {param.name} is not a variable of the query")
    return title, description, tuple(params)


def load_catalog(folder: Path = paths.QUERIES) -> dict[str, CannedQuery]:
    """Every ``*.rq`` in ``folder`` by name (the file name without ``.rq``)."""
    catalog: dict[str, CannedQuery] = {}
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        title, description, params = parse_header(path, text)
        catalog[path.stem] = CannedQuery(path.stem, path, title, description, text, params)
    return catalog
