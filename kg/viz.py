"""Interactive HTML views of the graph (the public names; the work is in :mod:`kg.views`)."""

from __future__ import annotations

from kg.views import (
    LIMIT,
    Source,
    View,
    disease_view,
    drug_view,
    payload,
    query_view,
    render_html,
    study_view,
    whole_view,
    write_view,
)
from kg.views.style import CLASSES as STYLES

__all__ = [
    "LIMIT",
    "STYLES",
    "Source",
    "View",
    "disease_view",
    "drug_view",
    "payload",
    "query_view",
    "render_html",
    "study_view",
    "whole_view",
    "write_view",
]
