"""Walk the sources given: files, folders, and ``.zip`` archives read member by member.

A zip is never unpacked to disk: each member is read from the archive when its turn comes,
so only one member is in memory at a time.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.sources.detect import Kind, detect

__all__ = ["Entry", "walk"]

_HEAD = 4096


@dataclass(frozen=True)
class Entry:
    """One file to read: its name in messages, its kind, and how to read its bytes."""

    name: str
    kind: Kind
    seen: str
    read: Callable[[], bytes]
    path: Path | None = None  # a file on disk (record YAML is read from its path)
    inside: bool = False  # found in a folder or archive rather than named by the user


def walk(source: Path, *, inside: bool = False) -> Iterator[Entry]:
    """The files of ``source``; a folder is walked in name order, hidden files left out."""
    if source.is_dir():
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            if not any(part.startswith(".") for part in path.relative_to(source).parts):
                yield from walk(path, inside=True)
        return
    with source.open("rb") as handle:
        head = handle.read(_HEAD)
    kind, seen = detect(head)
    if kind == "zip":
        yield from _members(source)
        return
    yield Entry(str(source), kind, seen, source.read_bytes, source, inside)


def _members(archive: Path) -> Iterator[Entry]:
    try:
        opened = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        yield Entry(str(archive), "unknown", f"a broken zip archive ({error})", bytes, archive)
        return
    # left open while its entries live: each is read when its turn comes, after the walk
    for info in opened.infolist():
        if info.is_dir() or Path(info.filename).name.startswith("."):
            continue
        name = f"{archive}!{info.filename}"

        def read(info: zipfile.ZipInfo = info) -> bytes:
            with opened.open(info) as member:
                return member.read()

        try:
            with opened.open(info) as member:
                head = member.read(_HEAD)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
            yield Entry(name, "unknown", f"an unreadable zip member ({error})", bytes, None, True)
            continue
        kind, seen = detect(head)
        yield Entry(name, kind, seen, read, None, True)
