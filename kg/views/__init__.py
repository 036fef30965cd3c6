"""Views of the evidence graph for a browser: choose, describe, lay out, write as HTML.

Data flows facts (SPARQL) -> evidence (rows, labels) -> scope -> view graph -> layout -> page.
"""

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
