"""The quick rebuild: a large build patched after a few record files changed.

A large build (:func:`kg.pipeline.run_build` above ``LARGE_GRAPH`` triples) leaves a *state*
in ``out/fragments/state.pickle``: each record file's size, time, digest and *interface* (what
other files can see of it: its document, its entities, the studies it defines or names, the
files its locators name, its registry ids), the fragment group it belongs to, the entity tables,
and what the outputs hold. When the next build has the same setup and the same files, and the
files that changed kept their interface, only their groups are read, resolved, built and
checked again (:func:`kg.sources.records.load_part`). The outputs are then patched with the
difference between each group's old and new triples: ``graph.nt`` and ``graph.nq`` by lines
placed in their sorted order, the store by removing and adding quads, the cross-source check
on the subjects touched, Turtle by the blocks of the subjects whose triples changed; the
overview page is written again.

Anything else (a new or removed file, a changed interface, an error, reasoning, registry files,
``--documents``) takes the full build, which reuses every unchanged fragment. Both give the
same outputs (tests compare them byte for byte).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.fragments import Fragment, Job
    from kg.pipeline import BuildReport
    from kg.sources.records import Corpus, Problem
    from kg.turtle import Edit
    from kg.views.beside import PageProcess

__all__ = [
    "BuildState",
    "finish_state",
    "interface",
    "quick_rebuild",
    "record_state",
    "save_state",
    "setup_digest",
]

STATE = "state.pickle"  # in out/fragments/
_FORMAT = 1


@dataclass
class FileState:
    """One record file as the last large build read it."""

    name: str
    size: int
    mtime_ns: int
    sha256: str
    interface: str
    group: int | None  # index of its job (0 is the entities); None: a file without records


@dataclass
class BuildState:
    """What a large build leaves for a quick rebuild to patch."""

    setup: str
    files: dict[str, FileState]  # path -> state, in the corpus's order
    groups: list[tuple[str, list[tuple[str, int]], str]]  # job key, (slice, records), digest
    tables: Corpus  # the entity tables (no records)
    studies: set[str]
    study_keys: dict[str, str]
    records: int
    warnings: list[Problem]
    triples: int
    shared: dict[bytes, int]
    class_counts: Counter[str]
    metadata: bytes  # the metadata graph's N-Triples
    ontology: bytes  # the ontology graph's N-Triples
    cross: list[Problem] = field(default_factory=list)


def setup_digest(
    folders: Sequence[Path], base: str, *, documents: Path | None, reasoner: str | None
) -> str:
    """What must not change between a build and its quick rebuild besides record files."""
    from kg.fragments import GROUP_RECORDS, code_digest

    parts = [str(_FORMAT), code_digest(), base, str(documents), str(reasoner), str(GROUP_RECORDS)]
    parts += [str(f.resolve()) for f in folders]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def interface(data: Any) -> str:
    """A digest of what other files can see of a record file (its parsed YAML)."""
    if not isinstance(data, dict):
        return ""
    studies: set[str] = set()
    files: set[str] = set()
    registry: set[str] = set()
    for record in data.get("records") or []:
        if not isinstance(record, dict):
            continue
        if record.get("type") == "study":
            studies.add(str(record.get("id")))
            registry.update(str(r) for r in record.get("registry_ids") or [])
        for key in ("study", "based_on"):
            if record.get(key) is not None:
                studies.add(str(record[key]))
        locs = record.get("loc") or []
        for loc in [locs] if isinstance(locs, dict) else locs:
            if isinstance(loc, dict) and loc.get("file") is not None:
                files.add(str(loc["file"]))
    seen = [data.get("document"), data.get("entities"), *map(sorted, (studies, files, registry))]
    return hashlib.sha256(json.dumps(seen, sort_keys=True, default=str).encode()).hexdigest()


def record_state(
    setup: str, paths_: Sequence[Path], corpus: Corpus, jobs: list[Job]
) -> BuildState | None:
    """The state of a build's inputs, taken before the corpus lets go of its files (``None``
    when a quick rebuild could not patch it: problems, registry files)."""
    from kg.fragments import _study_of, _with_entities
    from kg.sources.emit import study_keys

    if corpus.errors or corpus.left_out or any(j.registry and j.registry.studies for j in jobs):
        return None
    group_of = {doc: i for i, job in enumerate(jobs) if i for doc in job.corpus.documents}
    files: dict[str, FileState] = {}
    for path, source in zip(paths_, corpus._sources, strict=True):
        stat = path.stat()
        doc = source.document.id if source.document is not None else None
        files[str(path)] = FileState(
            source.name,
            stat.st_size,
            stat.st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
            interface(source.data),
            group_of.get(doc) if doc is not None else None,
        )
    groups = [(job.key, _slices(job.corpus), job.digest) for job in jobs[1:]]
    tables = _with_entities(corpus)  # the entity tables and documents, no records
    tables.documents = dict(corpus.documents)
    return BuildState(
        setup,
        files,
        [("entities", [], jobs[0].digest), *groups],
        tables,
        {s for item in corpus.records if (s := _study_of(item.record)) is not None},
        study_keys(corpus),
        len(corpus.records),
        list(corpus.warnings),
        0,
        {},
        Counter(),
        b"",
        b"",
    )


def finish_state(state: BuildState | None, report: BuildReport, base: str) -> BuildState | None:
    """``state`` completed with what the build wrote (its merged graph is in a file)."""
    from kg.export import graph_metadata, named_graphs
    from kg.vocab import ONTOLOGY_IRI

    assembled = report.assembled
    if state is None or assembled is None or assembled.file is None:
        return None
    named = named_graphs(assembled.file, b"", base)
    state.metadata, _ = graph_metadata(named, base)
    state.ontology = named[str(ONTOLOGY_IRI)][0]  # type: ignore[assignment]
    state.triples = assembled.triples
    state.shared = assembled.shared
    state.class_counts = report.class_counts()
    state.cross = list(report.cross)
    return state


def _slices(corpus: Corpus) -> list[tuple[str, int]]:
    """The slices of a job's sub-corpus: (key, records + 1), as :func:`kg.fragments._groups`
    counts them."""
    from kg.fragments import cut

    return [(key, len(sub.records) + 1) for key, sub, _ in cut(corpus)]


def save_state(out: Path, state: BuildState | None) -> None:
    """Write the state (or remove an old one: the next build is a full one)."""
    path = out / "fragments" / STATE
    if state is None:
        path.unlink(missing_ok=True)
        return
    from kg.export import atomic_write

    atomic_write(path, pickle.dumps(state, protocol=5), durable=False)


def _load_state(out: Path) -> BuildState | None:
    try:
        state = pickle.loads((out / "fragments" / STATE).read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None
    return state if isinstance(state, BuildState) else None


# -- the quick rebuild ---------------------------------------------------------------------


def quick_rebuild(
    files: Sequence[Path],
    *,
    out: Path,
    setup: str,
    base: str,
    progress: Callable[[str], None],
) -> BuildReport | None:
    """Patch the last large build's outputs in ``out`` for the record files that changed, or
    ``None`` when only a full build can say what changed (see the module's docstring)."""
    from kg.fragments import FragmentCache
    from kg.views.beside import PageProcess

    state = _load_state(out)
    if state is None or state.setup != setup or [str(p) for p in files] != list(state.files):
        return None
    changed = _changed(files, state)
    if changed is None:
        return None
    cache = FragmentCache(out / "fragments")
    groups = sorted({state.files[str(p)].group for p in changed})  # type: ignore[type-var]
    if None in groups or not _outputs_there(out):
        return None
    progress(
        f"quick rebuild: {len(changed)} changed record file(s) in {len(groups)} of "
        f"{len(state.groups) - 1} fragments; patching the outputs of the last build"
    )
    save_state(out, None)  # a rebuild stopped half-way leaves a full build to the next one
    page = PageProcess(out / "store", out / "graph.html")  # imports meanwhile, draws when told
    try:
        rebuilt = _rebuild_groups(groups, files, state, cache, base)
        if rebuilt is None:
            page.cancel()
            return None
        return _patch(out, base, state, cache, rebuilt, page, progress)
    except BaseException:
        page.cancel()
        raise


def _changed(files: Sequence[Path], state: BuildState) -> list[Path] | None:
    """The files whose bytes changed; ``None`` if one of them changed its interface."""
    from kg.sources.records import _parse_file

    changed = []
    for path in files:
        known = state.files[str(path)]
        stat = path.stat()
        if (stat.st_size, stat.st_mtime_ns) == (known.size, known.mtime_ns):
            continue
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest == known.sha256:
            known.mtime_ns = stat.st_mtime_ns
            continue
        data, problem = _parse_file(path, known.name)
        if problem is not None or interface(data) != known.interface:
            return None
        known.size, known.mtime_ns, known.sha256 = stat.st_size, stat.st_mtime_ns, digest
        changed.append(path)
    return changed


def _outputs_there(out: Path) -> bool:
    from kg.store import is_store

    names = ("graph.nt", "graph.nq", "graph.ttl", "graph.html", "inferred.ttl")
    return all((out / name).is_file() for name in names) and is_store(out / "store")


@dataclass
class _Rebuilt:
    old: list[Fragment] = field(default_factory=list)
    new: list[Fragment] = field(default_factory=list)
    corpora: list[Corpus] = field(default_factory=list)
    records: int = 0  # records gained (or lost, below 0)


def _rebuild_groups(
    groups: list[int], files: Sequence[Path], state: BuildState, cache: Any, base: str
) -> _Rebuilt | None:
    """Each changed group's fragment, built anew (``None``: a group no longer builds alike)."""
    from kg.fragments import Job, _join, build_fragment, cut, fragment_digests
    from kg.sources.load import SourceSet
    from kg.sources.records import load_part

    entities = cache.get(state.groups[0][2])
    if entities is None:
        return None
    done = _Rebuilt()
    for group in groups:
        key, slices, digest = state.groups[group]
        members = [p for p in files if state.files[str(p)].group == group]
        names = [state.files[str(p)].name for p in members]
        parsed = cache.folder / "parsed"
        corpus = load_part(members, names, state.tables, state.studies, cache=parsed)
        parts = cut(corpus)
        now = [(k, len(sub.records) + 1) for k, sub, _ in parts]
        if corpus.errors or [k for k, _ in now] != [k for k, _ in slices]:
            return None
        joined_key, joined, _ = _join(parts)
        if joined_key != key or not _same_groups(state, group, now):
            return None
        job = Job(key, joined, base, False, registry=SourceSet(), studies=state.study_keys)
        job.context = entities.ntriples
        fragment_digests([job])
        old = cache.get(digest)
        if old is None:
            return None
        new = cache.get(job.digest) or build_fragment(job)
        cache.put(new)
        state.groups[group] = (key, now, new.digest)
        done.old.append(old)
        done.new.append(new)
        done.corpora.append(corpus)
        done.records += sum(n for _, n in now) - sum(n for _, n in slices)
    return done


def _same_groups(state: BuildState, group: int, now: list[tuple[str, int]]) -> bool:
    """Whether the fragments' groups stay as they were with ``group``'s slices now ``now``
    (:func:`kg.fragments._groups` packs slices until a group holds enough records)."""
    from kg.fragments import GROUP_RECORDS

    counts = []
    for i, (_, slices, _) in enumerate(state.groups[1:], start=1):
        counts += [n for _, n in (now if i == group else slices)]
    packed, running, size = [], 0, 0
    for n in counts:
        running, size = running + 1, size + n
        if size >= GROUP_RECORDS:
            packed.append(running)
            running, size = 0, 0
    if running:
        packed.append(running)
    return packed == [len(slices) for _, slices, _ in state.groups[1:]]


def _patch(
    out: Path,
    base: str,
    state: BuildState,
    cache: Any,
    rebuilt: _Rebuilt,
    page: PageProcess,
    progress: Callable[[str], None],
) -> BuildReport:
    """Apply each rebuilt group's difference to the outputs; the report of the build."""
    from kg.export import graph_metadata, named_graphs
    from kg.pipeline import _count, _prefixes, class_of_line
    from kg.store import beside
    from kg.turtle import start_turtle

    removed, added = _difference(rebuilt, state.shared)
    progress(f"patching {out / 'graph.nt'}: {len(removed)} triples out, {len(added)} in")
    edits, gone, new = _plan(out / "graph.nt", removed, added)
    seen = hashlib.sha256()  # the new graph.nt's bytes, for the version in the metadata
    _rewrite(out / "graph.nt", edits, seen, write=False)
    for line in set(added) - set(new):  # another fragment holds it already
        state.shared[line] = state.shared.get(line, 1) + 1
    state.triples += len(new) - len(gone)
    for line, sign in [(g, -1) for g in gone] + [(n, 1) for n in new]:
        cls = class_of_line(line)
        if cls is not None:
            state.class_counts[cls] += sign
    asserted = f"{base}graph/asserted"
    named = named_graphs(out / "graph.nt", b"", base, state.ontology)
    metadata, _ = graph_metadata(named, base, (seen, state.triples))
    meta = f"{base}graph/metadata"
    quads_out = [_quad(g, asserted) for g in gone]
    quads_out += [_quad(m, meta) for m in _lines(state.metadata)]
    quads_in = [_quad(n, asserted) for n in new] + [_quad(m, meta) for m in _lines(metadata)]
    both = set(quads_out) & set(quads_in)
    quads_out = sorted(set(quads_out) - both)
    quads_in = sorted(set(quads_in) - both)
    blocks = _turtle_edits(out, gone, new, base) if edits else []
    how = (
        "written again" if blocks is None else f"patched by {_count(len(blocks), 'subject block')}"
    )
    progress(
        f"patching the store {out / 'store'}/; writing graph.nt, graph.nq and graph.ttl "
        f"({how}) beside what follows"
    )
    quad_edits, _, _ = _plan(out / "graph.nq", quads_out, quads_in)
    turtle: Callable[[], Any]
    triples: Callable[[], None]
    if blocks is None:  # Turtle written again, from the new graph.nt as it is written
        pipe, turtle = start_turtle(None, out / "graph.ttl", _prefixes(base))
        triples = beside(lambda: _rewrite(out / "graph.nt", edits, also=pipe))
    else:  # the blocks of the subjects whose triples changed, replaced in their places
        triples = beside(_rewrite, out / "graph.nt", edits)
        turtle = beside(_rewrite, out / "graph.ttl", blocks)
    nquads = beside(_rewrite, out / "graph.nq", quad_edits)
    _patch_store(out / "store", quads_out, quads_in)
    progress(f"writing the interactive view (entity overview) to {out / 'graph.html'} beside")
    page.draw()
    state.metadata = metadata
    report = _report(out, base, state, cache, rebuilt, gone + new, progress)
    report.outputs["html"] = page.wait()
    triples()
    turtle()
    report.outputs["turtle"] = out / "graph.ttl"
    nquads()
    cache.keep_only(d for _, _, d in state.groups)
    save_state(out, state)
    return report


def _turtle_edits(out: Path, gone: list[bytes], new: list[bytes], base: str) -> list[Edit] | None:
    """The edits that bring ``graph.ttl`` up to date by the Turtle blocks of the subjects whose
    triples changed (:func:`kg.turtle.block_edits`), read from ``graph.nt`` before it is
    patched; ``None``: Turtle must be written again."""
    from kg.export import locate, mapped
    from kg.pipeline import _prefixes
    from kg.turtle import block_edits

    subjects: dict[bytes, set[bytes]] = {line[: line.index(b" ")]: set() for line in gone + new}
    with mapped(out / "graph.nt") as data:
        for subject, lines in subjects.items():  # each subject's triples now
            at, _ = locate(data, subject + b" ")
            while data[at : at + len(subject) + 1] == subject + b" ":
                end = data.find(b"\n", at)
                lines.add(data[at:end])
                at = end + 1
    for line in gone:
        subjects[line[: line.index(b" ")]].discard(line)
    for line in new:
        subjects[line[: line.index(b" ")]].add(line)
    try:
        return block_edits(
            out / "graph.ttl", {s: sorted(ls) for s, ls in subjects.items()}, _prefixes(base)
        )
    except (OSError, ValueError):
        return None


def _difference(rebuilt: _Rebuilt, shared: dict[bytes, int]) -> tuple[list[bytes], list[bytes]]:
    """The lines the graph loses and gains: a line another fragment still holds stays, and a
    line another fragment already holds is not added twice (``shared`` keeps the counts)."""
    removed: list[bytes] = []
    added: list[bytes] = []
    for old, new in zip(rebuilt.old, rebuilt.new, strict=True):
        before, after = set(old.lines()), set(new.lines())
        for line in before - after:
            holders = shared.get(line, 1) - 1
            if holders == 0:
                removed.append(line)
            elif holders == 1:
                del shared[line]
            else:
                shared[line] = holders
        for line in after - before:
            added.append(line)
    both = set(removed) & set(added)  # out of one group, into another: it stays
    return sorted(set(removed) - both), sorted(set(added) - both)


def _plan(
    path: Path, removed: Iterable[bytes], added: Iterable[bytes]
) -> tuple[list[Edit], list[bytes], list[bytes]]:
    """The edits that take ``removed`` out of ``path`` (sorted lines) and put ``added`` in,
    each in its place; and the lines they actually take out and put in."""
    from kg.export import locate, mapped

    with mapped(path) as data:
        edits: list[Edit] = []
        gone: list[bytes] = []
        new: list[bytes] = []
        for line in removed:
            at, found = locate(data, line)
            if found:
                edits.append((at, len(line) + 1, b""))
                gone.append(line)
        for line in added:
            at, found = locate(data, line)
            if not found:
                edits.append((at, 0, line + b"\n"))
                new.append(line)
    return sorted(edits), gone, new


def _rewrite(
    path: Path, edits: list[Edit], digest: Any = None, *, write: bool = True, also: Any = None
) -> None:
    """``path`` with ``edits`` made, read through a memory map and the rest copied as it is;
    ``digest`` (a hash) reads the new bytes on the way; ``write=False`` only reads them;
    ``also`` (a file, closed at the end) gets them too."""
    try:
        _rewrite_to(path, edits, digest, write=write, also=also)
    finally:
        if also is not None:
            also.close()


def _rewrite_to(path: Path, edits: list[Edit], digest: Any, *, write: bool, also: Any) -> None:
    from kg.export import atomic_file, mapped

    if write and not edits:
        return
    if write and digest is None and also is None and _copied(path, edits):
        return
    with mapped(path) as data, atomic_file(path) if write else nullcontext() as out:
        sinks = [sink for sink in (out, also) if sink is not None]
        position = 0
        for at, length, text in edits:
            _copy(data, position, at, sinks, digest)
            _copy(text, 0, len(text), sinks, digest)
            position = at + length
        _copy(data, position, len(data), sinks, digest)


def _copied(path: Path, edits: list[Edit]) -> bool:
    """``path`` rewritten with ``edits`` made, its unchanged ranges copied by the kernel
    (``os.copy_file_range``: some ten times faster than through memory for the build's few
    hundred megabytes); ``False`` where the system cannot, having written nothing."""
    import errno
    import os

    from kg.export import atomic_file

    if not hasattr(os, "copy_file_range"):
        return False
    try:
        with path.open("rb") as source, atomic_file(path) as out:
            fd, position = out.fileno(), 0
            for at, length, text in [*edits, (path.stat().st_size, 0, b"")]:
                while position < at:
                    done = os.copy_file_range(source.fileno(), fd, at - position, position)
                    if done == 0:
                        raise OSError(errno.EIO, f"{path} ended before offset {at}")
                    position += done
                view = memoryview(text)
                while view:
                    view = view[os.write(fd, view) :]
                position = at + length
    except OSError as error:
        if error.errno in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            return False  # atomic_file removed its temporary file
        raise
    return True


def _patch_file(
    path: Path, removed: Iterable[bytes], added: Iterable[bytes]
) -> tuple[list[bytes], list[bytes]]:
    """Rewrite ``path`` (sorted lines) without ``removed`` and with ``added``: the lines
    actually taken out and put in."""
    edits, gone, new = _plan(path, removed, added)
    _rewrite(path, edits)
    return gone, new


def _copy(data: Any, start: int, end: int, sinks: list[Any], digest: Any) -> None:
    """``data[start:end]`` written to each of ``sinks`` and read by ``digest`` (or ``None``)."""
    chunk = 1 << 24
    for at in range(start, end, chunk):
        piece = data[at : min(at + chunk, end)]
        for sink in sinks:
            sink.write(piece)
        if digest is not None:
            digest.update(piece)


def _quad(line: bytes, graph: str) -> bytes:
    return line[:-2] + f" <{graph}> .".encode()


def _lines(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if line]


def _patch_store(folder: Path, removed: list[bytes], added: list[bytes]) -> None:
    """Take ``removed`` out of the store and put ``added`` in (N-Quads lines)."""
    import pyoxigraph as ox

    store = ox.Store(str(folder))
    try:
        for quad in ox.parse(b"\n".join(removed) + b"\n", format=ox.RdfFormat.N_QUADS):
            store.remove(quad)
        store.extend(ox.parse(b"\n".join(added) + b"\n", format=ox.RdfFormat.N_QUADS))
        store.flush()
    finally:
        del store


def _report(
    out: Path,
    base: str,
    state: BuildState,
    cache: Any,
    rebuilt: _Rebuilt,
    touched: list[bytes],
    progress: Callable[[str], None],
) -> BuildReport:
    """The report of the patched build, and its Turtle, cross-source check and page."""
    from rdflib import Graph

    from kg.build import BuildResult
    from kg.fragments import Assembled
    from kg.pipeline import BuildReport, cross_source_problems
    from kg.sources.records import Corpus
    from kg.store import open_store
    from kg.trust import TrustReport, shape_problem
    from kg.validate import ValidationReport

    fragments = [cache.get(d, triples=False) for _, _, d in state.groups]
    assembled = Assembled(b"", state.triples, [f for f in fragments if f], file=out / "graph.nt")
    assembled.collect()
    checked = ValidationReport(assembled.violations, assembled.shape_warnings)
    names = {name for c in rebuilt.corpora for name in c.files}
    warnings = [w for w in state.warnings if w.file not in names]
    warnings += [w for c in rebuilt.corpora for w in c.warnings if w.file in names]
    state.warnings = sorted(set(warnings))
    state.records += rebuilt.records
    for c in rebuilt.corpora:
        state.tables.documents.update(c.documents)
    corpus = Corpus(
        documents=dict(state.tables.documents),
        files=[f.name for f in state.files.values()],
        warnings=list(state.warnings),
    )
    result = BuildResult(
        Graph(), conflicts=assembled.conflicts, warnings=assembled.warnings, errors=assembled.errors
    )
    report = BuildReport(corpus, result, reasoner=None, assembled=assembled, inferred_stale=True)
    report.records = state.records
    report.counts = Counter({c: n for c, n in state.class_counts.items() if n})
    trust = TrustReport(
        checked,
        None,
        errors=[shape_problem(v) for v in checked.violations],
        warnings=[shape_problem(v) for v in checked.warnings],
    )
    report.trust = trust
    progress("checking across sources on the store (the subjects the change touched)")
    subjects = {line[: line.index(b" ")].decode("utf-8")[1:-1] for line in touched}
    store = open_store(out / "store")
    found = cross_source_problems(store, checked, subjects=subjects)
    state.cross = sorted({p for p in state.cross if p.record not in subjects} | set(found))
    trust.errors += state.cross
    del store
    report.outputs = {
        "ntriples": out / "graph.nt",
        "inferred": out / "inferred.ttl",
        "nquads": out / "graph.nq",
        "store": out / "store",
    }
    result.errors.extend(trust.errors)
    result.warnings.extend(trust.warnings)
    return report
