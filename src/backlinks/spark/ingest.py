"""The ingest job on Spark: WARC/WAT files → the store's tables as Parquet.

A manifest of files fans out to Spark tasks, one file per task, in two stages: first each
task reads its file's content id (xxh64 of its bytes, as the embedded ingest does) so the
driver can name the snapshot exactly as :func:`backlinks.sources.files.snapshot_id_of`
would; then each task runs :func:`backlinks.ingest.warc_batches` — the embedded ingest's
own reader, extractor and URL code — and writes every batch's tables as Parquet:
``OUT/<table>/file-<file id>.parquet`` (``pages``, ``links``, ``page_text``, ``skipped``,
``hosts``, ``domains``), written under a temporary name and renamed when the file is done,
so a killed task leaves nothing half-written and a re-run overwrites. The driver then writes
``snapshots``, ``source_files`` and ``record_counts``. The layout, column for column, is the
store's (``backlinks export``), and ``backlinks import-parquet`` loads it into a store.

Paths: local files, folders and globs (readable where the tasks run), URIs — ``https://``,
``s3://``, ``gs://``, ``hdfs://`` (see :mod:`backlinks.spark.fetch`: each task copies its file
to local disk) — or a manifest file (``--paths-file``, one path per line, gzip or plain, like
Common Crawl's ``wat.paths.gz``) with an optional ``--prefix`` such as
``https://data.commoncrawl.org/``. A remote file is read twice (content id, then
extraction): the price of snapshot and file ids equal to the embedded ingest's.
"""

from __future__ import annotations

import gzip
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backlinks.sources.files import SourceFile, classify, expand, snapshot_id_of

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["FileResult", "SparkIngest", "read_manifest", "spark_ingest"]

#: Tables a task writes per file; the driver writes the others.
FILE_TABLES = ("pages", "links", "page_text", "skipped", "hosts", "domains")


@dataclass(slots=True)
class FileResult:
    """What one task did with one file."""

    path: str
    file_id: int
    size: int
    records: int = 0
    pages: int = 0
    links: int = 0
    skipped: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass(slots=True)
class SparkIngest:
    """The job's totals."""

    snapshot_id: int
    out: str
    files: list[FileResult]
    problems: list[str]

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.files)

    @property
    def links(self) -> int:
        return sum(f.links for f in self.files)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)


def read_manifest(path: str | Path, prefix: str = "") -> list[str]:
    """Paths listed one a line in a (gzip or plain) manifest, each after ``prefix``."""
    raw = Path(path).read_bytes()
    text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
    return [prefix + line.strip() for line in text.splitlines() if line.strip()]


def _identify(path: str) -> tuple[str, int, int, list[str]]:
    """(path, content id, size, problems) of one file, in a task."""
    import httpx  # noqa: PLC0415

    from backlinks.spark.fetch import local_copy  # noqa: PLC0415

    try:
        with local_copy(path) as local:
            sources, problems = classify([local])
    except (OSError, ValueError, httpx.HTTPError) as exc:  # unreachable, 404...: report, go on
        return path, 0, 0, [f"{path}: cannot read: {exc}"]
    if not sources:
        return path, 0, 0, problems
    src = sources[0]
    if src.kind != "warc":
        return path, 0, 0, [f"{path}: web-graph files are ranked with `spark rank --edges`"]
    return path, src.file_id, src.size, problems


def _write_file(out: str, snapshot_id: int, keep_text: bool) -> Any:
    """A task: one WARC/WAT file → its tables as Parquet; returns its :class:`FileResult`."""

    def run(item: tuple[str, int, int]) -> FileResult:
        from backlinks.spark.fetch import local_copy  # noqa: PLC0415

        path, file_id, size = item
        with local_copy(path) as local:
            return _write_local(path, SourceFile("warc", local, file_id, size))

    def _write_local(path: str, source: SourceFile) -> FileResult:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415

        from backlinks.ingest import warc_batches  # noqa: PLC0415
        from backlinks.store.batch import arrow_schema  # noqa: PLC0415

        file_id = source.file_id
        result = FileResult(path, file_id, source.size)
        name = f"file-{file_id & 0xFFFFFFFFFFFFFFFF:016x}.parquet"
        writers: dict[str, Any] = {}
        kinds: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        try:
            for batch, _, _ in warc_batches(source, snapshot_id, keep_text=keep_text):
                for table, got in batch.tables().items():
                    rows = got
                    if table == "skipped" and str(source.path) != path:  # a local copy
                        rows = got.set_column(
                            got.schema.get_field_index("path"),
                            "path",
                            pa.array([path] * got.num_rows, pa.string()),
                        )
                    if table not in writers:
                        folder = Path(out) / table
                        folder.mkdir(parents=True, exist_ok=True)
                        writers[table] = pq.ParquetWriter(
                            folder / f".{name}.tmp", arrow_schema(table), compression="zstd"
                        )
                    writers[table].write_table(rows)
                result.records += batch.records
                result.pages += batch.n_pages
                result.links += batch.n_links
                result.skipped += batch.n_skipped
                kinds.update(batch.kinds)
                reasons.update(batch.cols["skipped"]["reason"])  # type: ignore[arg-type]
                for seen in (batch.first_seen, batch.last_seen):
                    if seen is not None:
                        result.first_seen = min(result.first_seen or seen, seen)
                        result.last_seen = max(result.last_seen or seen, seen)
        finally:
            for writer in writers.values():
                writer.close()
        for table in writers:
            folder = Path(out) / table
            os.replace(folder / f".{name}.tmp", folder / name)
        result.kinds = dict(kinds)
        result.skipped_by_reason = dict(reasons)
        return result

    return run


def spark_ingest(
    spark: SparkSession,
    paths: list[str],
    out: str | Path,
    *,
    keep_text: bool = True,
) -> SparkIngest:
    """Ingest ``paths`` (files, folders, globs) into Parquet tables under ``out``."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    from backlinks.spark.fetch import is_remote  # noqa: PLC0415
    from backlinks.store.batch import arrow_schema  # noqa: PLC0415

    remote = [p for p in paths if is_remote(p)]
    local = [p[7:] if p.lower().startswith("file://") else p for p in paths if not is_remote(p)]
    files, missing = expand(local)
    problems = [f"{m}: no such file" for m in missing]
    sc = spark.sparkContext
    names = [str(f) for f in files] + remote
    if not names:
        return SparkIngest(0, str(out), [], problems)
    ids = sc.parallelize(names, len(names)).map(_identify).collect()
    seen: set[int] = set()
    todo: list[tuple[str, int, int]] = []
    for path, file_id, size, trouble in ids:
        problems += trouble
        if not file_id:
            continue
        if file_id in seen:
            problems.append(f"{path}: the same content as another file (skipped)")
            continue
        seen.add(file_id)
        todo.append((path, file_id, size))
    if not todo:
        return SparkIngest(0, str(out), [], problems)
    sources = [SourceFile("warc", Path(p), i, s) for p, i, s in todo]
    snapshot_id = snapshot_id_of(sources)
    results = sc.parallelize(todo, len(todo)).map(_write_file(str(out), snapshot_id, keep_text))
    done: list[FileResult] = results.collect()
    firsts = [f.first_seen for f in done if f.first_seen]
    lasts = [f.last_seen for f in done if f.last_seen]
    driver_tables = {
        "snapshots": {
            "snapshot_id": [snapshot_id],
            "source": [", ".join(paths)[:1000]],
            "started_at": [min(firsts) if firsts else None],
            "finished_at": [max(lasts) if lasts else None],
            "note": ["spark"],
            "files": [len(done)],
            "complete": [True],
            "ingested_at": [datetime.now().replace(microsecond=0)],
        },
        "source_files": {
            "file_id": [f.file_id for f in done],
            "snapshot_id": [snapshot_id] * len(done),
            "path": [f.path for f in done],
            "kind": ["warc"] * len(done),
            "size": [f.size for f in done],
            "next_offset": [f.size for f in done],
            "records": [f.records for f in done],
            "pages": [f.pages for f in done],
            "links": [f.links for f in done],
            "skipped": [f.skipped for f in done],
            "done": [True] * len(done),
        },
        "record_counts": {
            "file_id": [f.file_id for f in done for _ in f.kinds],
            "kind": [k for f in done for k in f.kinds],
            "n": [n for f in done for n in f.kinds.values()],
        },
    }
    for table, cols in driver_tables.items():
        folder = Path(out) / table
        folder.mkdir(parents=True, exist_ok=True)
        name = f"snapshot-{snapshot_id & 0xFFFFFFFFFFFFFFFF:016x}.parquet"
        pq.write_table(pa.Table.from_pydict(cols, schema=arrow_schema(table)), folder / name)
    return SparkIngest(snapshot_id, str(out), sorted(done, key=lambda f: f.path), problems)
