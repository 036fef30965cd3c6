"""Map the registry's result groups (FG/BG/OG/EG) onto the protocol's arms, by title and text.

A group maps to an arm when its title, less a trailing population such as "(FAS)", is the
arm's label (or the label holds the title's words: "Arm A: Nivolumab"), or its description
starts with the arm's description.
A group that fits no arm, or several equally, maps to none: it stays a group of its own.
"""

from __future__ import annotations

import re

from kg.sources.trial import Arm, Group

__all__ = ["match_groups"]

_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*$")


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (text or "").casefold()).strip()


def _score(group: Group, arm: Arm) -> int:
    title, label = _norm(_TRAILING_PAREN.sub("", group.title)), _norm(arm.label)
    if title and title == label:
        return 3
    described, arm_text = _norm(group.description), _norm(arm.description)
    if len(arm_text) >= 30 and described.startswith(arm_text):
        return 2
    # "Nivolumab" reports on "Arm A: Nivolumab"; "Placebo->OL CZP" does not on "Placebo"
    if len(title) >= 4 and f" {title} " in f" {label} ":
        return 1
    return 0


def match_groups(groups: list[Group], arms: list[Arm]) -> dict[str, Arm]:
    """Group id -> the arm it reports on, where that is clear."""
    found: dict[str, Arm] = {}
    for group in groups:
        scores = sorted(((_score(group, arm), i) for i, arm in enumerate(arms)), reverse=True)
        if not scores or scores[0][0] == 0:
            continue
        if len(scores) > 1 and scores[1][0] == scores[0][0]:
            continue  # two arms fit as well: say nothing
        found[group.id] = arms[scores[0][1]]
    if len(arms) == 1 and len(groups) == 1 and _norm(groups[0].title) not in ("total", ""):
        found.setdefault(groups[0].id, arms[0])
    return found
