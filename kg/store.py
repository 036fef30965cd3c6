"""The build's on-disk pyoxigraph store (``out/store/``): written once per build, opened read-only.

``kg query``, ``kg serve``, ``kg viz`` and :class:`kg.api.KnowledgeGraph` open it directly
instead of parsing ``graph.nq`` at each start. The store holds the same quads as ``graph.nq``.
A build writes a new store beside the old one and swaps the two folders, so a reader that
starts meanwhile opens one whole store or the other.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox

__all__ = ["MARK", "beside", "is_store", "loading", "new_store", "open_store", "write_store"]

T = TypeVar("T")

MARK = "KG-STORE"  # a file naming the N-Quads the store was loaded from, written last


def is_store(path: Path) -> bool:
    """Whether ``path`` is a store folder a build finished writing."""
    return path.is_dir() and (path / MARK).is_file()


def write_store(nquads: Path, folder: Path) -> Path:
    """Load ``nquads`` into a new store at ``folder`` (replacing any older one); return it."""
    with new_store(folder, nquads.name) as store:
        store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    return folder


@contextmanager
def new_store(folder: Path, source: str, *, optimize: bool = True) -> Iterator[ox.Store]:
    """A new, empty store to fill, swapped in at ``folder`` when the block ends without an error
    (``source`` names the N-Quads file it holds the quads of). It is compacted for reading
    then, unless ``optimize`` is false (the block compacts it itself)."""
    fresh = folder.with_name(folder.name + ".new")
    old = folder.with_name(folder.name + ".old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    store = ox.Store(str(fresh))
    try:
        yield store
        store.flush()
        if optimize:
            store.optimize()
    finally:
        del store
    (fresh / MARK).write_text(f"{source}\n", encoding="utf-8")
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def loading(pieces: Iterable[bytes], store: ox.Store, chunk: int = 8 << 20) -> Iterator[bytes]:
    """N-Quads ``pieces`` (each of whole lines) passed on unchanged, bulk-loaded into ``store``
    about ``chunk`` bytes at a time: the file and the store are written in one pass, and the
    bulk loader's memory stays bounded (loading 1.3M quads at once takes some 1.2 GB; in 8 MB
    pieces about 80 MB, and it is faster than in 32 MB ones)."""
    pending: list[bytes] = []
    size = 0
    for piece in pieces:
        pending.append(piece)
        size += len(piece)
        if size >= chunk:
            store.bulk_load(b"".join(pending), format=ox.RdfFormat.N_QUADS)
            pending, size = [], 0
        yield piece
    if pending:
        store.bulk_load(b"".join(pending), format=ox.RdfFormat.N_QUADS)


def beside(work: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Run ``work(*args)`` on a thread (pyoxigraph's compaction and file copies let the build
    go on meanwhile); call the result to wait for it and get its value, or what it raised."""
    import threading

    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, work(*args)))
        except BaseException as error:  # handed to whoever waits
            outcome.append((False, error))

    thread = threading.Thread(target=run, name="kg-beside")
    thread.start()

    def wait() -> T:
        thread.join()
        done, value = outcome[0]
        if not done:
            raise value
        return value  # type: ignore[no-any-return]

    return wait


def open_store(folder: Path) -> ox.Store:
    """The store at ``folder``, read-only (several processes may open it at once)."""
    if not is_store(folder):
        raise FileNotFoundError(f"{folder}: not a store a build wrote (run `kg build` first?)")
    return ox.Store.read_only(str(folder))
