"""How each class is drawn: one colour and one glyph per class, its row in the hierarchical
layout, and what its size means. Glyphs are SVG path data that the page draws on its canvas
(and in its legend), so that seventeen classes get seventeen shapes without an image."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CLASSES", "GLYPHS", "ClassStyle", "glyph_svg"]


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
        points.append((32 + radius * math.cos(angle), 32 + radius * math.sin(angle)))
    return _path(points)


def _path(points: list[tuple[float, float]]) -> str:
    head, *rest = points
    return f"M{head[0]:.1f} {head[1]:.1f} " + " ".join(f"L{x:.1f} {y:.1f}" for x, y in rest) + " Z"


def _circle(radius: float, cx: float = 32, cy: float = 32) -> str:
    return (
        f"M{cx - radius} {cy} A{radius} {radius} 0 1 0 {cx + radius} {cy} "
        f"A{radius} {radius} 0 1 0 {cx - radius} {cy} Z"
    )


def _star() -> str:
    points = []
    for k in range(10):
        radius = 30 if k % 2 == 0 else 13
        angle = math.pi * k / 5 - math.pi / 2
        points.append((32 + radius * math.cos(angle), 34 + radius * math.sin(angle)))
    return _path(points)


# each glyph in a 64 x 64 box: parts filled with the class colour ("fill", outlined), with
# white ("white"), or white lines only ("line")
GLYPHS: dict[str, list[tuple[str, str]]] = {
    "circle": [(_circle(28), "fill")],
    "triangle": [(_path([(32, 3), (61, 58), (3, 58)]), "fill")],
    "triangleDown": [(_path([(3, 6), (61, 6), (32, 61)]), "fill")],
    "diamond": [(_path([(32, 2), (62, 32), (32, 62), (2, 32)]), "fill")],
    "square": [(_path([(5, 5), (59, 5), (59, 59), (5, 59)]), "fill")],
    "octagon": [(_polygon(8, 30, math.pi / 8), "fill")],
    "pentagon": [(_polygon(5, 31), "fill")],
    "shield": [("M32 3 L59 11 L56 38 Q51 54 32 61 Q13 54 8 38 L5 11 Z", "fill")],
    "star": [(_star(), "fill")],
    "hexagon": [(_polygon(6, 30, math.pi / 6), "fill")],
    "folder": [("M3 12 H25 L31 19 H61 V57 H3 Z", "fill")],
    "bars": [("M4 60 V34 H19 V60 Z M24 60 V16 H39 V60 Z M44 60 V4 H59 V60 Z", "fill")],
    "bowtie": [("M3 6 L32 32 L3 58 Z M61 6 L32 32 L61 58 Z", "fill")],
    "cross": [
        (
            _path(
                [
                    (22, 3),
                    (42, 3),
                    (42, 22),
                    (61, 22),
                    (61, 42),
                    (42, 42),
                    (42, 61),
                    (22, 61),
                    (22, 42),
                    (3, 42),
                    (3, 22),
                    (22, 22),
                ]
            ),
            "fill",
        )
    ],
    "bullseye": [(_circle(28), "fill"), (_circle(15), "white"), (_circle(7), "fill")],
    "tag": [("M3 32 L20 7 H61 V57 H20 Z", "fill"), (_circle(5, 21, 32), "white")],
    "page": [
        ("M10 2 H42 L56 16 V62 H10 Z", "fill"),
        ("M42 2 V16 H56 M17 28 H49 M17 38 H49 M17 48 H40", "line"),
    ],
}


def glyph_svg(cls: str, *, strong: bool = False) -> str:
    """The class's glyph as an SVG document (what the page draws on its canvas and in the
    legend); ``strong`` gives it the black outline of a result whose interval excludes 1 or
    whose p-value is below 0.05."""
    style = CLASSES[cls]
    stroke, width = ("#111", 6) if strong else ("#ffffff", 2.5)
    parts = []
    for d, mode in GLYPHS[style.shape]:
        if mode == "fill":
            parts.append(
                f'<path d="{d}" fill="{style.color}" stroke="{stroke}" '
                f'stroke-width="{width}" stroke-linejoin="round"/>'
            )
        elif mode == "white":
            parts.append(f'<path d="{d}" fill="#fff"/>')
        else:
            parts.append(f'<path d="{d}" fill="none" stroke="#fff" stroke-width="3"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="-2 -2 68 68">'
        + "".join(parts)
        + "</svg>"
    )
