"""A view as one offline HTML page: vis-network (from the installed pyvis) and our own script
inlined, the view's data as JSON, every string escaped, a Content-Security-Policy that allows
only those two scripts."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from kg.export import atomic_write
from kg.views.style import CLASSES, GLYPHS
from kg.views.view import View

__all__ = ["TEMPLATES", "payload", "render_html", "write_view"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "view.html.jinja"
# pyvis's copy of vis-network, found without importing pyvis (which imports networkx, IPython)
_PYVIS = importlib.util.find_spec("pyvis")
assert _PYVIS is not None and _PYVIS.origin is not None, "pyvis is a dependency"
_VIS = Path(_PYVIS.origin).resolve().parent / "templates" / "lib" / "vis-9.1.2"
_KIND = {"stated": 0, "summary": 1, "conflict": 2}
_RESULT_COLUMNS = ("study", "arm", "endpoint", "measure", "ci", "p", "n", "time")
_AE_COLUMNS = ("study", "arm", "term", "grade", "n", "percent", "notes")


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def payload(view: View) -> dict[str, Any]:
    """The view as the page's JSON: nodes, edges, spans and rows refer to each other by index."""
    graph = view.graph
    ids = list(graph.nodes)
    index = {n: i for i, n in enumerate(ids)}
    span_ids = list(graph.spans)
    span_index = {s: i for i, s in enumerate(span_ids)}
    row_index = {r.node: i for i, r in enumerate(graph.rows)}
    classes = [c for c in CLASSES if any(v.cls == c for v in graph.nodes.values())]
    class_index = {c: i for i, c in enumerate(classes)}
    labels = sorted({e.label for e in graph.edges})
    label_index = {lab: i for i, lab in enumerate(labels)}
    force, layered = view.positions.get("force", {}), view.positions.get("layered", {})
    nodes = []
    for n in ids:
        v = graph.nodes[n]
        entry: dict[str, Any] = {
            "id": n,
            "c": class_index[v.cls],
            "l": v.label,
            "t": v.tip,
            "s": v.size,
            "p": index.get(v.parent, -1) if v.parent else -1,
            "k": v.names,
            "st": index.get(v.study, -1) if v.study else -1,
        }
        optional: dict[str, Any] = {
            "f": 1 if v.faint else 0,
            "g": 1 if v.strong else 0,
            "ids": [[text, href or ""] for text, href in v.ids],
            "sp": [span_index[s] for s in v.spans if s in span_index],
            "r": [row_index[r] for r in v.rows if r in row_index],
        }
        if v.phase:
            optional["ph"] = v.phase
        entry.update({k: value for k, value in optional.items() if value})
        if n in force:
            entry["x"], entry["y"] = force[n]
            entry["hx"], entry["hy"] = layered[n]
        nodes.append(entry)
    edges = [
        [
            index[e.source],
            index[e.target],
            label_index[e.label],
            _KIND[e.kind],
            e.width,
            e.tip,
            e.short,
            [span_index[s] for s in e.spans if s in span_index],
            1 if e.quiet else 0,
        ]
        for e in graph.edges
        if e.source in index and e.target in index
    ]
    spans = [
        [s.document, s.section, s.start, s.end, s.quote or "", s.href or ""]
        for s in (graph.spans[i] for i in span_ids)
    ]
    rows = []
    for r in graph.rows:
        columns = _RESULT_COLUMNS if r.kind == "result" else _AE_COLUMNS
        rows.append(
            {
                "i": index[r.node],
                "k": 0 if r.kind == "result" else 1,
                "st": index.get(r.study, -1) if r.study else -1,
                "c": [r.cells.get(c, "") for c in columns],
                "sp": [span_index[s] for s in r.spans if s in span_index],
                "p": _number(r.p),
                "pc": _number(r.percent),
                "n": r.n,
                "g0": r.grade_min,
                "g1": r.grade_max,
            }
        )
    query = None
    if view.query is not None:
        query = {
            "columns": view.query.columns,
            "rows": [
                [[text, index.get(ref, -1) if ref else -1, _external(ref)] for text, ref in row]
                for row in view.query.rows
            ],
        }
    return {
        "title": view.title,
        "subtitle": view.subtitle,
        "kind": view.kind,
        "overview": view.overview,
        "focus": [index[f] for f in view.focus if f in index],
        "initial": [index[n] for n in view.initial if n in index],
        "classes": [
            {
                "key": c,
                "label": CLASSES[c].label,
                "color": CLASSES[c].color,
                "paths": GLYPHS[CLASSES[c].shape],
                "level": CLASSES[c].level,
                "size": CLASSES[c].size_means,
                "entity": CLASSES[c].entity,
            }
            for c in classes
        ],
        "labels": labels,
        "nodes": nodes,
        "edges": edges,
        "spans": spans,
        "rows": rows,
        "columns": {"results": list(_RESULT_COLUMNS), "aes": list(_AE_COLUMNS)},
        "glossary": view.glossary,
        "query": query,
    }


def _external(ref: str | None) -> str:
    return ref if ref and ref.startswith(("https://", "http://")) else ""


@cache
def _assets() -> dict[str, str]:
    """vis-network and the page script, to inline; their CSP hashes; the styles."""
    scripts = {
        "vis_js": (_VIS / "vis-network.min.js").read_text(encoding="utf-8"),
        "page_js": (TEMPLATES / "view.js").read_text(encoding="utf-8"),
    }
    for name, text in scripts.items():
        if "</script" in text.lower():
            raise ValueError(f"{name} cannot be inlined: it contains a closing script tag")
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
        for text in scripts.values()
    )
    styles = (_VIS / "vis-network.css").read_text(encoding="utf-8")
    styles += "\n" + (TEMPLATES / "view.css").read_text(encoding="utf-8")
    return {**scripts, "styles": styles, "script_hashes": hashes}


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default_for_string=True, default=True),
    )


def render_html(view: View) -> str:
    """The page, as text."""
    data = json.dumps(payload(view), ensure_ascii=False, separators=(",", ":"))
    # inside <script type="application/json">: no "</" may close it, no "<!--" open a comment
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    data = data.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    template = _environment().get_template(TEMPLATE)
    loading = f"Loading {view.node_count:,} nodes and {view.edge_count:,} edges…"
    return template.render(
        title=view.title, subtitle=view.subtitle, data=data, loading=loading, **_assets()
    )


def write_view(view: View, path: Path) -> Path:
    """Write the page atomically (mode as any new file: 0644 under umask 022); returns ``path``."""
    atomic_write(path, render_html(view).encode("utf-8"))
    return path
