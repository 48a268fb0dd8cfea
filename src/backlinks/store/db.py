"""The DuckDB file: opening it, its schema, atomic batch commits and progress checkpoints.

Every write of an ingest goes through :meth:`Store.commit_batch`, which writes a batch of
rows *and* the file's checkpoint in one transaction. A process killed at any instant leaves
either the whole batch and its checkpoint or neither, so re-running resumes exactly where the
last commit ended.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from backlinks.store.batch import Batch
from backlinks.store.schema import SCHEMA_VERSION, ddl

_INSERT_IGNORE = ("hosts", "domains")


@dataclass(frozen=True, slots=True)
class FileState:
    """Progress of one source file (by content id) in the store."""

    file_id: int
    snapshot_id: int
    next_offset: int
    done: bool


class Store:
    """A backlink index in one DuckDB file. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"no backlinks index at {self.path} (run `backlinks ingest`)")
        if not read_only:
            self.moved_aside = _set_aside_unborn(self.path)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            # A kill while DuckDB wrote a new file's headers can leave a file past the size
            # check whose header is still invalid: nothing in it was ever committed.
            if read_only or "not a valid DuckDB database file" not in str(exc):
                raise
            self.moved_aside += _set_aside_unborn(self.path, force=True)
            self.con = duckdb.connect(str(self.path))
        if not read_only:
            self._migrate()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def view(self) -> Store:
        """Another handle on this open database with a connection of its own (a DuckDB
        cursor): one per thread, since a connection must not be shared between threads.
        Closing the view closes only its cursor."""
        other = object.__new__(Store)
        other.path = self.path
        other.moved_aside = []
        other.con = self.con.cursor()
        return other

    def _migrate(self) -> None:
        with self.transaction():
            for stmt in ddl():
                self.con.execute(stmt)
            self.con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def query(self, sql: str, params: list[Any] | None = None) -> Any:
        """Run a parameterised query and return a pandas DataFrame."""
        return self.con.execute(sql, params or []).df()

    # --- snapshots and files -------------------------------------------------------------

    def ensure_snapshot(self, snapshot_id: int, source: str, files: int) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT OR IGNORE INTO snapshots (snapshot_id, source, files, complete, "
                "ingested_at) VALUES (?, ?, ?, false, ?)",
                [snapshot_id, source, files, datetime.now(UTC).replace(tzinfo=None)],
            )

    def file_state(self, file_id: int) -> FileState | None:
        row = self.con.execute(
            "SELECT file_id, snapshot_id, next_offset, done FROM source_files WHERE file_id = ?",
            [file_id],
        ).fetchone()
        if row is None:
            return None
        return FileState(int(row[0]), int(row[1]), int(row[2]), bool(row[3]))

    def register_file(
        self, file_id: int, snapshot_id: int, path: str, kind: str, size: int
    ) -> FileState:
        with self.transaction() as con:
            con.execute(
                "INSERT OR IGNORE INTO source_files VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, 0, false)",
                [file_id, snapshot_id, path, kind, size],
            )
        state = self.file_state(file_id)
        if state is None:
            raise RuntimeError(f"source file {file_id} vanished right after it was registered")
        return state

    def commit_batch(self, batch: Batch, *, next_offset: int, done: bool) -> None:
        """Write a batch and advance its file's checkpoint, atomically."""
        tables = batch.tables()
        with self.transaction() as con:
            for name, table in tables.items():
                view = f"_batch_{name}"
                con.register(view, table)
                verb = "INSERT OR IGNORE INTO" if name in _INSERT_IGNORE else "INSERT INTO"
                con.execute(f"{verb} {name} SELECT * FROM {view}")
                con.unregister(view)
            for kind, n in sorted(batch.kinds.items()):
                con.execute(
                    "INSERT INTO record_counts VALUES (?, ?, ?) ON CONFLICT (file_id, kind) "
                    "DO UPDATE SET n = record_counts.n + excluded.n",
                    [batch.file_id, kind, n],
                )
            con.execute(
                "UPDATE source_files SET next_offset = ?, done = ?, records = records + ?, "
                "pages = pages + ?, links = links + ?, skipped = skipped + ? WHERE file_id = ?",
                [
                    next_offset,
                    done,
                    batch.records,
                    batch.n_pages,
                    batch.n_links,
                    batch.n_skipped,
                    batch.file_id,
                ],
            )
            extend_window(con, batch)

    def export_parquet(self, folder: str | Path) -> list[Path]:
        """Write every table as ``folder/<table>.parquet`` (zstd): the contract with Spark."""
        from backlinks.store.schema import TABLES  # noqa: PLC0415

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for table in TABLES:
            target = out / f"{table}.parquet"
            self.con.execute(
                f"COPY {table} TO '{_sql_path(target)}' (FORMAT parquet, COMPRESSION zstd)"
            )
            written.append(target)
        return written

    def finish_snapshot(self, snapshot_id: int) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE snapshots SET complete = NOT EXISTS (SELECT 1 FROM source_files "
                "WHERE snapshot_id = ? AND NOT done) WHERE snapshot_id = ?",
                [snapshot_id, snapshot_id],
            )


def _sql_path(path: Path) -> str:
    """A path as a SQL string literal body (COPY cannot take a bound parameter)."""
    return str(path).replace("'", "''")


def extend_window(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Widen the batch's snapshot crawl window (started_at/finished_at) to its record dates."""
    if batch.first_seen is None:
        return
    con.execute(
        "UPDATE snapshots SET started_at = least(coalesce(started_at, ?), ?), "
        "finished_at = greatest(coalesce(finished_at, ?), ?) WHERE snapshot_id = ?",
        [batch.first_seen, batch.first_seen, batch.last_seen, batch.last_seen, batch.snapshot_id],
    )


#: A DuckDB file shorter than its three 4 KiB headers was killed while being created.
_MIN_DB_BYTES = 3 * 4096


def _set_aside_unborn(path: Path, *, force: bool = False) -> list[Path]:
    """Move aside an index file (and its WAL) that a kill left before DuckDB finished
    writing its headers (shorter than them, or — ``force`` — refused by DuckDB as not a
    database): it can hold no committed data, and DuckDB will not open it. Renamed, never
    deleted; returns the new names."""
    if not path.exists() or (path.stat().st_size >= _MIN_DB_BYTES and not force):
        return []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    moved = []
    for part in (path, path.with_name(path.name + ".wal")):
        if part.exists():
            target = part.with_name(f"{part.name}.unborn-{stamp}")
            part.rename(target)
            moved.append(target)
    return moved
