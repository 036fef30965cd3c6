"""How each class is drawn: one colour and one glyph per class, its row in the hierarchical
layout, and what its size means. Glyphs are small SVG images (data: URIs, allowed by the
page's Content-Security-Policy) so that seventeen classes get seventeen shapes."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from functools import cache

__all__ = ["CLASSES", "ClassStyle", "glyph"]


@dataclass(frozen=True)
class ClassStyle:
    """How one class is drawn and explained."""

    label: str
    color: str
    shape: str
    level: int
    size_means: str  # "patients", "effect" or "" (fixed size)
    entity: bool = False  # drawn in the overview


CLASSES: dict[str, ClassStyle] = {
    "Drug": ClassStyle("drug", "#d62728", "circle", 0, "patients", True),
    "TargetFamily": ClassStyle("target family", "#b07cc6", "triangleDown", 1, "", True),
    "GeneProduct": ClassStyle("target (gene product)", "#7b3fa0", "triangle", 1, "", True),
    "RandomizedControlledTrial": ClassStyle(
        "randomized trial", "#1f5fbf", "square", 1, "patients", True
    ),
    "RegistryStudy": ClassStyle("registry study", "#139fb0", "octagon", 1, "patients", True),
    "ObservationalStudy": ClassStyle(
        "observational study", "#5b8fd6", "pentagon", 1, "patients", True
    ),
    "ClinicalStudy": ClassStyle("other clinical study", "#3949ab", "shield", 1, "patients", True),
    "Approval": ClassStyle("regulatory approval", "#e6a100", "star", 1, "", True),
    "Disease": ClassStyle("disease", "#2ca02c", "diamond", 2, "patients", True),
    "CohortGroup": ClassStyle("registry cohorts of one histotype", "#f5b971", "folder", 2, ""),
    "StudyArm": ClassStyle("study arm or cohort", "#f07f13", "hexagon", 3, "patients"),
    "ComparativeResult": ClassStyle("comparative result", "#5a2d0c", "bowtie", 4, "effect"),
    "ArmResult": ClassStyle("arm result", "#8c564b", "bars", 4, "effect"),
    "AdverseEventResult": ClassStyle("adverse event result", "#9b9b1a", "cross", 4, "effect"),
    "Endpoint": ClassStyle("endpoint", "#e377c2", "bullseye", 5, ""),
    "AdverseEventTerm": ClassStyle("adverse event term", "#c7c76b", "tag", 5, ""),
    "TextSpan": ClassStyle("source text span", "#7f8c8d", "page", 5, ""),
}


def _polygon(sides: int, radius: float = 29.0, turn: float = 0.0) -> str:
    points = []
    for k in range(sides):
        angle = turn + 2 * math.pi * k / sides - math.pi / 2
        points.append(f"{32 + radius * math.cos(angle):.1f},{32 + radius * math.sin(angle):.1f}")
    return f'<polygon points="{" ".join(points)}"/>'


def _star() -> str:
    points = []
    for k in range(10):
        radius = 30 if k % 2 == 0 else 13
        angle = math.pi * k / 5 - math.pi / 2
        points.append(f"{32 + radius * math.cos(angle):.1f},{34 + radius * math.sin(angle):.1f}")
    return f'<polygon points="{" ".join(points)}"/>'


# the body of each glyph in a 64 x 64 box, drawn with the fill and stroke given
_SHAPES = {
    "circle": '<circle cx="32" cy="32" r="28"/>',
    "triangle": '<polygon points="32,3 61,58 3,58"/>',
    "triangleDown": '<polygon points="3,6 61,6 32,61"/>',
    "diamond": '<polygon points="32,2 62,32 32,62 2,32"/>',
    "square": '<rect x="5" y="5" width="54" height="54"/>',
    "octagon": _polygon(8, 30, math.pi / 8),
    "pentagon": _polygon(5, 31),
    "shield": '<path d="M32 3 L59 11 L56 38 Q51 54 32 61 Q13 54 8 38 L5 11 Z"/>',
    "star": _star(),
    "hexagon": _polygon(6, 30, math.pi / 6),
    "folder": '<path d="M3 12 H25 L31 19 H61 V57 H3 Z"/>',
    "bars": '<path d="M4 60 V34 H19 V60 Z M24 60 V16 H39 V60 Z M44 60 V4 H59 V60 Z"/>',
    "bowtie": '<path d="M3 6 L32 32 L3 58 Z M61 6 L32 32 L61 58 Z"/>',
    "cross": '<polygon points="22,3 42,3 42,22 61,22 61,42 42,42 42,61 22,61 22,42 3,42 '
    '3,22 22,22"/>',
    "bullseye": '<circle cx="32" cy="32" r="28"/><circle cx="32" cy="32" r="15" fill="#fff"/>'
    '<circle cx="32" cy="32" r="7"/>',
    "tag": '<path d="M3 32 L20 7 H61 V57 H20 Z"/><circle cx="21" cy="32" r="5" fill="#fff"/>',
    "page": '<path d="M10 2 H42 L56 16 V62 H10 Z"/><path d="M42 2 V16 H56" fill="none"/>'
    '<path d="M17 28 H49 M17 38 H49 M17 48 H40" fill="none"/>',
}


@cache
def glyph(cls: str, *, strong: bool = False) -> str:
    """The class's glyph as a ``data:image/svg+xml`` URI; ``strong`` gives it a black outline
    (a result whose interval excludes no effect, or whose p-value is below 0.05)."""
    style = CLASSES[cls]
    stroke, width = ("#111", 6) if strong else ("#ffffff", 2.5)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="-2 -2 68 68">'
        f'<g fill="{style.color}" stroke="{stroke}" stroke-width="{width}" '
        f'stroke-linejoin="round">{_SHAPES[style.shape]}</g></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
