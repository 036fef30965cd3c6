"""Write the graph as Turtle, N-Triples and JSON-LD: deterministic bytes, atomic files."""

from __future__ import annotations

import bisect
import hashlib
import heapq
import json
import mmap
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from kg import __version__

if TYPE_CHECKING:  # rdflib loads only when a graph is serialised: `kg query` imports this module
    from rdflib import Graph

__all__ = [
    "atomic_write",
    "atomic_write_lines",
    "build_version",
    "lines_of",
    "load_context",
    "nquad_chunks",
    "nquads_of",
    "to_jsonld",
    "to_nquads",
    "to_ntriples",
    "to_turtle",
    "umask",
    "write_all",
]

_DCAT_VERSION = "http://www.w3.org/ns/dcat#version"
_VOID_TRIPLES = "http://rdfs.org/ns/void#triples"
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
_CONFORMS = "http://purl.org/dc/terms/conformsTo"
_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def umask() -> int:
    """The process's file-creation mask, read without changing it where the system allows."""
    try:  # Linux: reading it back with os.umask() would change it for other threads meanwhile
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never half.

    The file gets the permissions of any newly created file (0666 less the umask: 0644 under
    the usual 022), not the 0600 of the temporary file it is renamed from. ``durable=False``
    skips forcing the bytes to disk first (for caches, which a crash may lose).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):  # not on Windows, where mkstemp's mode means nothing anyway
            os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_turtle(graph: Graph) -> bytes:
    """Turtle with sorted subjects (stable since the graph has no blank nodes)."""
    return graph.serialize(format="longturtle", encoding="utf-8")


def to_ntriples(graph: Graph) -> bytes:
    """N-Triples, one triple a line, lines sorted."""
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return ("\n".join(sorted(line for line in lines if line.strip())) + "\n").encode("utf-8")


def build_version(*graphs: Graph) -> str:
    """``0.1.0+1a2b3c4d5e6f``: the package version and a digest of the graphs' triples.

    The same records, code and ontology give the same version (builds are deterministic); any
    change to a triple gives another.
    """
    digest = hashlib.sha256()
    for graph in graphs:
        digest.update(to_ntriples(_stable(graph)))
    return f"{__version__}+{digest.hexdigest()[:12]}"


def _stable(graph: Graph) -> Graph:
    """The graph with blank nodes labelled from their content (the ontology's restrictions),
    so that its N-Triples are the same bytes on every run."""
    from rdflib import BNode
    from rdflib.compare import to_canonical_graph

    if any(isinstance(term, BNode) for triple in graph for term in triple):
        return to_canonical_graph(graph)  # type: ignore[return-value]
    return graph


def to_nquads(asserted: Graph, inferred: Graph, base: str, ontology: Graph | None = None) -> bytes:
    """N-Quads, lines sorted: the asserted and inferred triples and the ontology in named
    graphs, and a metadata graph that gives each of them the build version.

    The ontology's graph is named by the ontology IRI (``kg.api.ONTOLOGY_GRAPH``), so a query
    engine that adds the ontology itself finds it there and does not add it twice.
    """
    return nquads_of(to_ntriples(_stable(asserted)), to_ntriples(_stable(inferred)), base, ontology)


def nquads_of(asserted: bytes, inferred: bytes, base: str, ontology: Graph | None = None) -> bytes:
    """:func:`to_nquads` from sorted N-Triples (as :func:`to_ntriples` writes them)."""
    return b"".join(nquad_chunks(asserted, inferred, base, ontology))


def nquad_chunks(
    asserted: bytes | Path,
    inferred: bytes,
    base: str,
    ontology: Graph | None = None,
    size: int = 1 << 23,
) -> Iterator[bytes]:
    """The bytes of :func:`nquads_of` in pieces of about ``size`` bytes, each of whole lines:
    the streaming build writes and loads a large graph's N-Quads without holding them whole.

    Each graph's N-Triples are sorted, and a line keeps its place when its graph name is added,
    so the asserted lines become quads a piece at a time (a replace, not a loop) and the other
    graphs' few lines are put in their places. ``asserted`` may be the path of a file of them."""
    named = named_graphs(asserted, inferred, base, ontology)
    metadata, _ = graph_metadata(named, base)
    main = f"{base}graph/asserted"
    others = [(data, name) for name, (data, _) in named.items() if name != main]
    rest = list(
        heapq.merge(*(quad_lines(d, n) for d, n in [*others, (metadata, f"{base}graph/metadata")]))
    )
    suffix = f" <{main}> .\n".encode()
    at = 0
    for piece in _pieces(asserted, size):
        quads = piece.replace(b" .\n", suffix)
        last = quads[quads.rfind(b"\n", 0, len(quads) - 1) + 1 :]
        end = bisect.bisect_right(rest, last, lo=at)
        yield _spliced(quads, rest[at:end])
        at = end
    if at < len(rest):
        yield b"".join(rest[at:])


def _pieces(data: bytes | Path, size: int) -> Iterator[bytes]:
    """Sorted N-Triples (or their file) in pieces of whole, non-empty lines."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            while piece := handle.read(size):
                yield _clean(piece + (b"" if piece.endswith(b"\n") else handle.readline()))
        return
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + size)
        end = len(data) if end < 0 else end + 1
        yield _clean(data[start:end])
        start = end


def _clean(piece: bytes) -> bytes:
    """Whole N-Triples lines, each ending in a newline, no empty one (rare: the slow way)."""
    if piece.endswith(b" .\n") and b"\n\n" not in piece and not piece.startswith(b"\n"):
        return piece
    return b"".join(line + b"\n" for line in lines_of(piece) if line.endswith(b" ."))


def _spliced(data: bytes, lines: list[bytes]) -> bytes:
    """``data`` (sorted lines) with ``lines`` (sorted, each ending in a newline) in place."""
    if not lines:
        return data
    pieces, position = [], 0
    for line in lines:
        at, _ = locate(data, line[:-1])
        pieces += [data[position:at], line]
        position = at
    pieces.append(data[position:])
    return b"".join(pieces)


@contextmanager
def mapped(path: Path) -> Iterator[mmap.mmap]:
    """``path`` mapped into memory, read-only: a large file of sorted lines to search with
    :func:`locate` or copy from, without reading it."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        yield data


def locate(data: Any, line: bytes) -> tuple[int, bool]:
    """The offset of the first line of ``data`` (sorted lines, each ending in a newline; bytes
    or a memory map) not less than ``line``, and whether it is ``line``: a binary search."""
    low, high = 0, len(data)  # both line starts: lines before low are less, from high not
    while low < high:
        middle = (low + high) // 2
        start = max(data.rfind(b"\n", low, middle) + 1, low)
        end = data.find(b"\n", start)
        if data[start:end] < line:
            low = end + 1
        else:
            high = start
    return low, data[low : low + len(line) + 1] == line + b"\n"


def named_graphs(
    asserted: bytes | Path, inferred: bytes, base: str, ontology: Graph | bytes | None = None
) -> dict[str, tuple[bytes | Path, str]]:
    """The graphs of ``graph.nq`` but its metadata: name -> (sorted N-Triples, label).
    ``ontology``: its graph or N-Triples (default: ``ontology/cdek.ttl``)."""
    from kg.vocab import ONTOLOGY_IRI

    if ontology is None:
        from kg import paths
        from kg.reason import load_ontology

        ontology = load_ontology(paths.ONTOLOGY / "cdek.ttl")
    if not isinstance(ontology, bytes):
        ontology = to_ntriples(_stable(ontology))
    return {
        f"{base}graph/asserted": (asserted, "asserted triples of the evidence records"),
        f"{base}graph/inferred": (inferred, "triples the OWL reasoner inferred"),
        str(ONTOLOGY_IRI): (ontology, "the ontology (ontology/cdek.ttl)"),
    }


def graph_metadata(
    named: dict[str, tuple[bytes | Path, str]], base: str, first: tuple[Any, int] | None = None
) -> tuple[bytes, str]:
    """The metadata graph's sorted N-Triples (each graph's version, label and size) and the
    version: the package's, and a digest of every graph's triples. ``first``: a sha256 that
    has read the first graph's N-Triples already, and their number (a patch saw them pass)."""
    from kg.vocab import ONTOLOGY_IRI

    digest = first[0] if first is not None else hashlib.sha256()
    counts = {}
    for i, (name, (data, _)) in enumerate(named.items()):
        if i == 0 and first is not None:
            counts[name] = first[1]
            continue
        counts[name] = _digest_lines(data, digest)
    version = f"{__version__}+{digest.hexdigest()[:12]}"
    meta = []
    for name, (_, label) in named.items():
        triples = counts[name]
        meta += [
            f'<{name}> <{_DCAT_VERSION}> "{version}" .',
            f'<{name}> <{_LABEL}> "{label}" .',
            f'<{name}> <{_VOID_TRIPLES}> "{triples}"^^<{_INTEGER}> .',
            f"<{name}> <{_CONFORMS}> <{ONTOLOGY_IRI}> .",
        ]
    meta.append(f"<{base}graph/inferred> <{_DERIVED}> <{base}graph/asserted> .")
    return "\n".join(sorted(meta)).encode("utf-8"), version


def _digest_lines(data: bytes | Path, digest: Any) -> int:
    """Feed N-Triples ``data`` (or the file it names) to ``digest``; how many triples."""
    if isinstance(data, bytes):
        digest.update(data)
        return data.count(b"\n") if data.strip() else 0
    count = 0
    with data.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
            count += chunk.count(b"\n")
    return count


def quad_lines(triples: bytes | Path, graph: str) -> Iterator[bytes]:
    """Sorted N-Triples lines as N-Quads lines of ``graph`` (UTF-8 keeps the code point order)."""
    suffix = f" <{graph}> .\n".encode()
    return (line[:-2] + suffix for line in lines_of(triples) if line.endswith(b" ."))


def lines_of(data: bytes | Path) -> Iterator[bytes]:
    """The lines of ``data`` (or of the file it names) one at a time, without their line ends
    (``split`` would hold them all at once)."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            for line in handle:
                yield line.rstrip(b"\n")
        return
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            if start < len(data):
                yield data[start:]
            return
        yield data[start:end]
        start = end + 1


def atomic_write_lines(path: Path, lines: Iterable[bytes]) -> None:
    """:func:`atomic_write` for data that comes in pieces (never held whole)."""
    with atomic_file(path) as handle:
        handle.writelines(lines)


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file to write ``path`` through: renamed onto it, forced to disk, when the block ends
    without an error (as :func:`atomic_write` does; else removed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_context(path: Path) -> dict[str, Any]:
    """The JSON-LD context kept in ``ontology/``."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data["@context"]


def to_jsonld(graph: Graph, context: dict[str, Any]) -> bytes:
    """Compacted JSON-LD, nodes and values sorted so two builds give the same bytes."""
    data = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
    nodes = data.get("@graph", [data] if "@id" in data else [])
    nodes = sorted((_sorted(n) for n in nodes), key=lambda n: str(n.get("@id")))
    document = {"@context": context, "@graph": nodes}
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in value.items() if k != "@context"}
    if isinstance(value, list):
        items = [_sorted(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def write_all(graph: Graph, out: Path, context: dict[str, Any]) -> dict[str, Path]:
    """Write ``graph.ttl``, ``graph.nt`` and ``graph.jsonld`` into ``out``."""
    files = {
        "turtle": (out / "graph.ttl", to_turtle(graph)),
        "ntriples": (out / "graph.nt", to_ntriples(graph)),
        "jsonld": (out / "graph.jsonld", to_jsonld(graph, context)),
    }
    for path, data in files.values():
        atomic_write(path, data)
    return {name: path for name, (path, _) in files.items()}
