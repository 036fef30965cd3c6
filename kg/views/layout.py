"""Positions computed here (networkx, numpy) so the page opens laid out, with physics off.

Two layouts of the nodes a page opens with: a force layout (Fruchterman-Reingold per component,
small components in rows beneath) and a layered one (drug -> target / study -> disease /
cohort group -> arm -> result -> endpoint), each freed of overlapping labels. The page places
nodes it adds on demand around the node they came from.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # networkx takes ~0.7 s to import: only where a function needs it
    import networkx as nx

__all__ = ["Box", "force_layout", "layered_layout"]

Point = tuple[float, float]
EDGE_LENGTH = 120.0  # canvas units between linked nodes (labels are 16 units high)
GAP = 12.0


@dataclass(frozen=True)
class Box:
    """The space a node takes: its glyph and, below it, its label. The layouts place boxes;
    the node itself sits ``lift`` above the box's centre."""

    width: float
    height: float
    lift: float = 0.0


def label_box(label: str, size: float, *, font: float = 16.0, wrap: float = 160.0) -> Box:
    """An estimate of the node's glyph plus its label wrapped at ``wrap`` units."""
    lines, line, width = 1, 0.0, 0.0
    for word in label.split():
        extent = (len(word) + 1) * font * 0.55
        if line and line + extent > wrap:
            lines, width, line = lines + 1, max(width, line), 0.0
        line += extent
    width = max(width, line, 2 * size)
    height = 2 * size + lines * font * 1.25 + GAP
    return Box(min(width, wrap) + GAP, height, height / 2 - size - GAP / 2)


def _separate(
    pos: np.ndarray, boxes: np.ndarray, rounds: int = 400, bias: float = 1.0
) -> np.ndarray:
    """Push apart nodes whose boxes overlap, along the axis of least overlap (``bias`` above 1
    prefers pushing sideways, below 1 up and down)."""
    n = len(pos)
    if n < 2:
        return pos
    pos = pos.copy()
    half = boxes / 2
    for _ in range(rounds):
        dx = pos[:, None, 0] - pos[None, :, 0]
        dy = pos[:, None, 1] - pos[None, :, 1]
        ox = half[:, None, 0] + half[None, :, 0] - np.abs(dx)
        oy = half[:, None, 1] + half[None, :, 1] - np.abs(dy)
        hit = (ox > 0) & (oy > 0)
        np.fill_diagonal(hit, False)
        if not hit.any():
            break
        along_x = hit & (ox <= oy * bias)
        along_y = hit & (ox > oy * bias)
        sx = np.where(dx >= 0, 1.0, -1.0)
        sy = np.where(dy >= 0, 1.0, -1.0)
        # a tie in position still separates: the lower index goes first
        tie = np.triu(np.ones((n, n), dtype=bool), 1)
        sx = np.where((dx == 0) & tie, -1.0, sx)
        sy = np.where((dy == 0) & tie, -1.0, sy)
        pos[:, 0] += (np.where(along_x, ox * sx, 0.0)).sum(axis=1) * 0.5
        pos[:, 1] += (np.where(along_y, oy * sy, 0.0)).sum(axis=1) * 0.5
    return pos


def _component(graph: nx.Graph, boxes: Mapping[str, Box]) -> dict[str, np.ndarray]:
    """A component's spring layout scaled so its boxes would fill about 60% of its extent."""
    import networkx as nx

    nodes = sorted(graph)
    if len(nodes) == 1:
        return {nodes[0]: np.zeros(2)}
    raw = nx.spring_layout(graph, seed=7, iterations=300 if len(nodes) <= 500 else 80)
    points = np.array([raw[n] for n in nodes])
    extent = np.ptp(points, axis=0)
    need = sum(boxes[n].width * boxes[n].height for n in nodes) / 0.6
    scale = math.sqrt(need / max(float(extent[0] * extent[1]), 1e-9))
    scale = min(scale, 4 * EDGE_LENGTH / (float(np.linalg.norm(extent)) or 1.0) * len(nodes))
    return {n: np.asarray(raw[n]) * scale for n in nodes}


def force_layout(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    boxes: Mapping[str, Box],
    *,
    aspect: float = 0.8,
    lengths: Mapping[tuple[str, str], float] | None = None,
) -> dict[str, Point]:
    """A spring layout per component, overlaps removed; the small components packed beside or
    below the biggest so that the picture is about ``aspect`` times as wide as high. An edge
    in ``lengths`` (one that will carry a label) is made at least that long."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes))
    graph.add_edges_from((u, v) for u, v in edges if u != v and u in graph and v in graph)
    components = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
    if not components:
        return {}
    laid = []
    for component in components:
        sub = nx.Graph()  # nodes in sorted order: a subgraph view's follow the set's hashes
        sub.add_nodes_from(sorted(component))
        sub.add_edges_from(graph.subgraph(component).edges())
        local = _component(sub, boxes)
        ids = sorted(local)
        sizes = _sizes(ids, boxes)
        pos = _stretch(_separate(np.array([local[n] for n in ids]), sizes), sizes, aspect)
        pos = _compact(pos, sizes, aspect)
        pos = _lengthen(pos, sizes, ids, lengths or {})
        low = (pos - sizes / 2).min(axis=0)
        high = (pos + sizes / 2).max(axis=0)
        laid.append((ids, pos - low, high - low))
    ids, pos, (width, height) = laid[0]
    placed = {n: (float(x), float(y)) for n, (x, y) in zip(ids, pos, strict=True)}
    beside = width / max(height, 1.0) < aspect
    x = width + GAP * 2 if beside else 0.0
    y = 0.0 if beside else height + GAP * 2
    line = 0.0  # the widest (beside) or tallest (below) part of the current column or row
    for ids, pos, (w, h) in laid[1:]:
        if beside and y > 0 and y + h > max(height, 600):
            x, y, line = x + line + GAP, 0.0, 0.0
        elif not beside and x > 0 and x + w > max(width, 900):
            x, y, line = 0.0, y + line + GAP, 0.0
        for n, (px, py) in zip(ids, pos, strict=True):
            placed[n] = (x + float(px), y + float(py))
        if beside:
            y, line = y + h + GAP, max(line, w)
        else:
            x, line = x + w + GAP, max(line, h)
    return _centred(placed, boxes)


def _lengthen(
    pos: np.ndarray, sizes: np.ndarray, ids: list[str], lengths: Mapping[tuple[str, str], float]
) -> np.ndarray:
    """Move the far end of each edge in ``lengths`` out along the edge until it is that long,
    then free the picture of overlaps again."""
    where = {n: i for i, n in enumerate(ids)}
    moved = False
    for (u, v), length in sorted(lengths.items()):
        if u not in where or v not in where:
            continue
        a, b = where[u], where[v]
        step = pos[b] - pos[a]
        distance = float(np.linalg.norm(step))
        if distance < length:
            direction = step / distance if distance > 0 else np.array([0.0, 1.0])
            pos[b] = pos[a] + direction * length
            moved = True
    return _separate(pos, sizes) if moved else pos


def _compact(pos: np.ndarray, sizes: np.ndarray, aspect: float, rounds: int = 30) -> np.ndarray:
    """Pull everything a little towards the middle, free it of overlaps, again and again: the
    empty space a spring layout leaves shrinks while neighbours stay neighbours. The longer
    side (for a picture ``aspect`` times as wide as high) is pulled harder."""
    for _ in range(rounds):
        extent = ((pos + sizes / 2).max(axis=0) - (pos - sizes / 2).min(axis=0)).clip(min=1.0)
        wide = extent[0] / extent[1] > aspect
        pull = np.array([0.9, 0.96]) if wide else np.array([0.96, 0.9])
        middle = pos.mean(axis=0)
        pos = _separate(middle + (pos - middle) * pull, sizes, rounds=80, bias=0.5 if wide else 2)
    return _separate(pos, sizes)


def _stretch(pos: np.ndarray, sizes: np.ndarray, aspect: float) -> np.ndarray:
    """Rotate the layout so its long axis lies along the picture's, then stretch it towards
    ``aspect`` (width over height) and free it of overlaps again."""
    if len(pos) < 3:
        return pos
    middle = pos.mean(axis=0)
    centred = pos - middle
    _, vectors = np.linalg.eigh(np.cov(centred.T))
    axis = vectors[:, -1]  # the direction of most spread
    angle = math.atan2(axis[1], axis[0]) - (0.0 if aspect >= 1 else math.pi / 2)
    turn = np.array([[math.cos(-angle), -math.sin(-angle)], [math.sin(-angle), math.cos(-angle)]])
    pos = centred @ turn.T
    for _ in range(3):
        extent = ((pos + sizes / 2).max(axis=0) - (pos - sizes / 2).min(axis=0)).clip(min=1.0)
        factor = math.sqrt(aspect / (extent[0] / extent[1]))
        if abs(factor - 1) < 0.05:
            break
        pos = _separate(pos * np.array([factor, 1 / factor]), sizes)
    return pos


def _sizes(ids: list[str], boxes: Mapping[str, Box]) -> np.ndarray:
    return np.array([[boxes[n].width, boxes[n].height] for n in ids], dtype=float)


def _centred(placed: dict[str, Point], boxes: Mapping[str, Box]) -> dict[str, Point]:
    """Node positions (``lift`` above their box centres), the picture centred on 0, 0."""
    if not placed:
        return placed
    xs = [p[0] for p in placed.values()]
    ys = [p[1] for p in placed.values()]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    return {n: (round(x - cx, 1), round(y - cy - boxes[n].lift, 1)) for n, (x, y) in placed.items()}


def layered_layout(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    levels: Mapping[str, int],
    boxes: Mapping[str, Box],
    *,
    aspect: float = 0.8,
) -> dict[str, Point]:
    """Rows by level, ordered to cross few edges (barycentre sweeps), long rows wrapped so the
    picture is about ``aspect`` times as wide as high."""
    nodes = sorted(nodes)
    if not nodes:
        return {}
    rows: dict[int, list[str]] = defaultdict(list)
    for n in nodes:
        rows[levels[n]].append(n)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for u, v in edges:
        if u in levels and v in levels and u != v:
            neighbours[u].add(v)
            neighbours[v].add(u)
    order = sorted(rows)
    for level in order:
        rows[level].sort(key=lambda n: (-len(neighbours[n]), n))
    rank = {n: i for level in order for i, n in enumerate(rows[level])}
    for sweep in range(8):
        for level in order if sweep % 2 == 0 else reversed(order):

            def centre(n: str, level: int = level) -> float:
                near = [rank[m] for m in neighbours[n] if levels[m] != level]
                return sum(near) / len(near) if near else rank[n]

            rows[level].sort(key=lambda n: (centre(n), n))
            rank.update({n: i for i, n in enumerate(rows[level])})
    area = sum(boxes[n].width * (boxes[n].height + 20) for n in nodes) + 90 * 900 * len(rows)
    limit = max(700.0, math.sqrt(area * aspect))
    placed: dict[str, Point] = {}
    y = 0.0
    for level in order:
        line: list[str] = []
        for n in [*rows[level], ""]:  # "" flushes the last line
            width = sum(boxes[m].width for m in line)
            if not n or (line and width + boxes[n].width > limit):
                x = -width / 2
                tallest = max(boxes[m].height for m in line)
                for m in line:
                    placed[m] = (x + boxes[m].width / 2, y + tallest / 2)
                    x += boxes[m].width
                y += tallest + 20
                line = []
            if n:
                line.append(n)
        y += 70
    return _centred(placed, boxes)
