"""Views of the evidence graph for a browser: choose, describe, lay out, write as HTML.

Data flows facts (SPARQL) -> evidence (rows, labels) -> scope -> view graph -> layout -> page.

The names below are imported on first use (PEP 562), so that a module of this package (the
page process of :mod:`kg.views.beside`) can be imported without the drawing code and numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.views.overview import LARGE, overview_view
    from kg.views.page import payload, render_html, write_view
    from kg.views.view import (
        LIMIT,
        Source,
        View,
        disease_view,
        drug_view,
        query_view,
        study_view,
        whole_view,
    )

_HOMES = {
    "kg.views.overview": ("LARGE", "overview_view"),
    "kg.views.page": ("payload", "render_html", "write_view"),
    "kg.views.view": (
        "LIMIT",
        "Source",
        "View",
        "disease_view",
        "drug_view",
        "query_view",
        "study_view",
        "whole_view",
    ),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "LARGE",
    "LIMIT",
    "Source",
    "View",
    "disease_view",
    "drug_view",
    "overview_view",
    "payload",
    "query_view",
    "render_html",
    "study_view",
    "whole_view",
    "write_view",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value
