"""Ingest: source files -> the store, idempotent and resumable.

A batch of files is one snapshot whose id derives from the files' contents, so ingesting the
same files again changes nothing. Each file is read in chunks; each chunk is committed with
the offset of the next record to read, so a killed ingest resumes at the last commit and the
final state equals that of an uninterrupted run. Every unusable record is kept in
``skipped`` with file, offset and reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from backlinks.records import Page, Skipped
from backlinks.settings import SETTINGS
from backlinks.sources.files import SourceFile, classify, expand, snapshot_id_of
from backlinks.sources.warc import read_warc
from backlinks.sources.webgraph import read_vertices
from backlinks.store.batch import Batch, HostCache
from backlinks.store.db import Store

#: Called with (bytes advanced, records, links) as work proceeds.
ProgressFn = Callable[[int, int, int], None]

_EDGE_SQL: Final = """
INSERT INTO links
SELECT s.url_id, s.url, s.host_id, s.domain_id, d.url_id, d.url, d.host_id, d.domain_id,
       '', false, false, false, false, 'unknown', 0, ?, NULL
FROM read_csv(?, delim='\t', header=false, columns={'src': 'BIGINT', 'dst': 'BIGINT'},
              comment='#', ignore_errors=true) e
JOIN _wg_vertices s ON e.src = s.vid
JOIN _wg_vertices d ON e.dst = d.vid
WHERE e.src <> e.dst
"""
_EDGE_COUNT_SQL: Final = """
SELECT count(*), count(*) FILTER (WHERE src = dst)
FROM read_csv(?, delim='	', header=false, columns={'src': 'BIGINT', 'dst': 'BIGINT'},
              comment='#', ignore_errors=true)
"""


@dataclass
class FileReport:
    """What happened to one source file."""

    path: str
    kind: str
    status: str  # ingested | resumed | already_ingested | duplicate
    pages: int = 0
    links: int = 0
    skipped: int = 0


@dataclass
class IngestReport:
    """Totals of one ingest run, with everything skipped and why."""

    snapshot_id: int = 0
    files: list[FileReport] = field(default_factory=list)
    pages: int = 0
    links: int = 0
    records: int = 0
    bytes: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    skip_examples: list[Skipped] = field(default_factory=list)

    def totals(self) -> dict[str, object]:
        """The run's counts as one JSON-ready object (what the CLI and the API report)."""
        return {
            "snapshot_id": self.snapshot_id,
            "files": len(self.files),
            "records": self.records,
            "pages": self.pages,
            "links": self.links,
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(self.skipped),
            "ignored_by_kind": dict(self.ignored),
        }


def ingest(
    store: Store,
    paths: list[str],
    *,
    keep_text: bool = True,
    progress: ProgressFn | None = None,
    on_total: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest WARC/WAT files and web-graph releases named by ``paths`` into ``store``."""
    report = IngestReport()
    files, missing = expand(paths)
    report.problems += [f"{m}: no such file" for m in missing]
    sources, problems = classify(files)
    report.problems += problems
    if not sources:
        return report
    snapshot_id = snapshot_id_of(sources)
    report.snapshot_id = snapshot_id
    n_files = len({s.file_id for s in sources})
    store.ensure_snapshot(snapshot_id, ", ".join(paths)[:1000], n_files)
    if on_total is not None:
        on_total(sum(s.size for s in sources))
    seen: set[int] = set()
    for source in sources:
        if source.file_id in seen:
            report.files.append(FileReport(str(source.path), source.kind, "duplicate"))
            _advance(progress, source.size)
            continue
        seen.add(source.file_id)
        state = store.file_state(source.file_id)
        if state is not None and state.done:
            report.files.append(FileReport(str(source.path), source.kind, "already_ingested"))
            _advance(progress, source.size)
            continue
        status = "resumed" if state is not None and state.next_offset > 0 else "ingested"
        snap = state.snapshot_id if state is not None else snapshot_id
        if state is None:
            state = store.register_file(
                source.file_id, snap, str(source.path), source.kind, source.size
            )
        file_report = FileReport(str(source.path), source.kind, status)
        if source.kind == "webgraph":
            _ingest_webgraph(store, source, snap, file_report, report)
            _advance(progress, source.size)
        else:
            _ingest_warc(
                store, source, snap, state.next_offset, keep_text, file_report, report, progress
            )
        report.files.append(file_report)
    store.finish_snapshot(snapshot_id)
    return report


def _advance(progress: ProgressFn | None, nbytes: int, records: int = 0, links: int = 0) -> None:
    if progress is not None:
        progress(nbytes, records, links)


def warc_batches(
    source: SourceFile,
    snapshot_id: int,
    start: int = 0,
    *,
    keep_text: bool = True,
    on_skip: Callable[[Skipped], None] | None = None,
) -> Iterator[tuple[Batch, int, bool]]:
    """The batches of one WARC/WAT file from ``start`` on, each with the offset where the
    next batch starts and whether it is the file's last: what every engine writes (the
    embedded store commits each one; a Spark task writes them as Parquet)."""
    cache = HostCache()
    path = str(source.path)
    max_records = SETTINGS["ingest.batch_records"].value
    max_links = SETTINGS["ingest.batch_links"].value

    def new_batch() -> Batch:
        return Batch(snapshot_id, source.file_id, path, keep_text=keep_text)

    batch = new_batch()
    for offset, item in read_warc(source.path, start_offset=start, keep_text=keep_text):
        if batch.records and (batch.records >= max_records or batch.n_links >= max_links):
            yield batch, offset, False
            batch = new_batch()
        batch.records += 1
        if isinstance(item, Page):
            batch.add_page(item, cache)
        elif isinstance(item, Skipped):
            batch.add_skip(item)
            if on_skip is not None:
                on_skip(item)
        else:
            batch.kinds[item] += 1
    yield batch, source.size, True


def _ingest_warc(
    store: Store,
    source: SourceFile,
    snapshot_id: int,
    start: int,
    keep_text: bool,
    file_report: FileReport,
    report: IngestReport,
    progress: ProgressFn | None,
) -> None:
    _advance(progress, start)
    done_bytes = start

    def example(skip: Skipped) -> None:
        if len(report.skip_examples) < 20:
            report.skip_examples.append(skip)

    batches = warc_batches(source, snapshot_id, start, keep_text=keep_text, on_skip=example)
    for batch, next_offset, done in batches:
        _commit(store, batch, next_offset, done, file_report, report)
        _advance(progress, next_offset - done_bytes, batch.records, batch.n_links)
        done_bytes = next_offset


def _commit(
    store: Store,
    batch: Batch,
    next_offset: int,
    done: bool,
    file_report: FileReport,
    report: IngestReport,
) -> None:
    store.commit_batch(batch, next_offset=next_offset, done=done)
    file_report.pages += batch.n_pages
    file_report.links += batch.n_links
    file_report.skipped += batch.n_skipped
    report.pages += batch.n_pages
    report.links += batch.n_links
    report.records += batch.records
    report.skipped.update(batch.cols["skipped"]["reason"])  # type: ignore[arg-type]
    report.ignored.update(batch.kinds)


def _ingest_webgraph(
    store: Store,
    source: SourceFile,
    snapshot_id: int,
    file_report: FileReport,
    report: IngestReport,
) -> None:
    """Vertices through Python (stable ids), edges joined in DuckDB; one transaction."""
    if source.edges is None:
        raise ValueError(f"{source.path}: a web-graph source needs its edges file")
    path = str(source.path)
    with store.transaction() as con:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _wg_vertices (vid BIGINT, url VARCHAR, url_id BIGINT, "
            "host VARCHAR, host_id BIGINT, domain VARCHAR, domain_id BIGINT)"
        )
        n_vertices = 0
        for table, bad in read_vertices(source.path):
            con.register("_wg_chunk", table)
            con.execute("INSERT INTO _wg_vertices SELECT * FROM _wg_chunk")
            con.unregister("_wg_chunk")
            n_vertices += table.num_rows
            for lineno, why in bad:
                con.execute(
                    "INSERT INTO skipped VALUES (?, ?, ?, ?, 'bad_vertex', ?)",
                    [snapshot_id, source.file_id, path, lineno, why],
                )
                report.skipped["bad_vertex"] += 1
                file_report.skipped += 1
        con.execute(
            "INSERT OR IGNORE INTO hosts SELECT DISTINCT host_id, host, domain_id FROM _wg_vertices"
        )
        con.execute(
            "INSERT OR IGNORE INTO domains SELECT DISTINCT domain_id, domain FROM _wg_vertices"
        )
        before = con.execute("SELECT count(*) FROM links").fetchone()
        con.execute(_EDGE_SQL, [snapshot_id, str(source.edges)])
        after = con.execute("SELECT count(*) FROM links").fetchone()
        n_links = int(after[0]) - int(before[0]) if before and after else 0
        # Count what the join left out: unparseable lines, self-loops, unknown vertex ids.
        row = con.execute(_EDGE_COUNT_SQL, [str(source.edges)]).fetchone()
        parsed, loops = (int(row[0]), int(row[1] or 0)) if row else (0, 0)
        dropped = {
            "webgraph_edge_self_loop": loops,
            "webgraph_edge_unknown_vertex": max(parsed - loops - n_links, 0),
        }
        for kind, n in dropped.items():
            if n:
                con.execute(
                    "INSERT OR REPLACE INTO record_counts VALUES (?, ?, ?)",
                    [source.file_id, kind, n],
                )
                report.ignored[kind] += n
        con.execute(
            "INSERT OR REPLACE INTO record_counts VALUES (?, 'webgraph_vertex', ?)",
            [source.file_id, n_vertices],
        )
        con.execute(
            "UPDATE source_files SET next_offset = ?, done = true, records = ?, links = ? "
            "WHERE file_id = ?",
            [source.size, n_vertices, n_links, source.file_id],
        )
        con.execute("DROP TABLE _wg_vertices")
    file_report.links += n_links
    report.links += n_links
    report.records += n_vertices


def ingest_paths(db: Path, paths: list[str], **kwargs: object) -> IngestReport:
    """Convenience: open ``db`` and ingest ``paths`` (see :func:`ingest`)."""
    with Store(db) as store:
        return ingest(store, paths, **kwargs)  # type: ignore[arg-type]
