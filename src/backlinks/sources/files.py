"""Turning user-given paths (files, directories, globs) into source files with content ids.

A file's id is the xxh64 of its bytes, so the same archive ingested twice, under any name,
is recognised; a web-graph release is one source made of its vertices and edges files.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import xxhash

from backlinks.urls import stable_id

SourceKind = Literal["warc", "webgraph"]

_ARCHIVE_RE: Final = re.compile(r"\.(warc|wat|arc|wet)(\.gz)?$|\.warc\.wat(\.gz)?$", re.I)
_VERTICES_RE: Final = re.compile(r"^(?P<stem>.+)-vertices\.txt(\.gz)?$")
_EDGES_RE: Final = re.compile(r"^(?P<stem>.+)-edges\.txt(\.gz)?$")
_HASH_CHUNK: Final = 1 << 22


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One unit of ingest: a WARC/WAT file, or a web-graph (vertices, edges) pair."""

    kind: SourceKind
    path: Path
    file_id: int
    size: int
    edges: Path | None = None


def content_hash(*paths: Path) -> int:
    """Signed xxh64 over the bytes of the files, in order."""
    h = xxhash.xxh64()
    for path in paths:
        with path.open("rb") as fh:
            while chunk := fh.read(_HASH_CHUNK):
                h.update(chunk)
    value: int = h.intdigest()
    return value - (1 << 64) if value >= (1 << 63) else value


def expand(paths: list[str]) -> tuple[list[Path], list[str]]:
    """Files named by paths, directories (recursively, archives only) and globs; plus the
    arguments that matched nothing."""
    found: dict[Path, None] = {}
    missing: list[str] = []
    for arg in paths:
        matches = [Path(p) for p in sorted(glob.glob(arg, recursive=True))] or [Path(arg)]
        hit = False
        for path in matches:
            if path.is_dir():
                for child in sorted(path.rglob("*")):
                    if child.is_file() and _is_source_name(child.name):
                        found[child] = None
                        hit = True
            elif path.is_file():
                found[path] = None
                hit = True
        if not hit:
            missing.append(arg)
    return list(found), missing


def _is_source_name(name: str) -> bool:
    return bool(_ARCHIVE_RE.search(name) or _VERTICES_RE.match(name) or _EDGES_RE.match(name))


def classify(files: list[Path]) -> tuple[list[SourceFile], list[str]]:
    """Group files into sources; problems (an edges file without vertices...) as messages."""
    sources: list[SourceFile] = []
    problems: list[str] = []
    by_name = {f.name: f for f in files}
    used: set[Path] = set()
    for path in files:
        m = _VERTICES_RE.match(path.name)
        if not m:
            continue
        stem = m.group("stem")
        edges = next(
            (by_name[n] for n in (f"{stem}-edges.txt.gz", f"{stem}-edges.txt") if n in by_name),
            None,
        )
        if edges is None:
            sib = [p for p in path.parent.glob(f"{stem}-edges.txt*") if p.is_file()]
            edges = sib[0] if sib else None
        if edges is None:
            problems.append(f"{path}: web-graph vertices file without its -edges file")
            used.add(path)
            continue
        used.update((path, edges))
        size = path.stat().st_size + edges.stat().st_size
        sources.append(SourceFile("webgraph", path, content_hash(path, edges), size, edges))
    for path in files:
        if path in used:
            continue
        if _EDGES_RE.match(path.name):
            problems.append(f"{path}: web-graph edges file without its -vertices file")
            continue
        sources.append(SourceFile("warc", path, content_hash(path), path.stat().st_size))
    return sources, problems


def snapshot_id_of(sources: list[SourceFile]) -> int:
    """A batch's snapshot id: derived from the set of its files' content ids, so neither
    their order nor a file given twice (under two names) changes it."""
    ids = sorted({f"{s.file_id & 0xFFFFFFFFFFFFFFFF:016x}" for s in sources})
    return stable_id("snapshot:" + ",".join(ids))
