"""Crash safety: an ingest killed with SIGKILL at any instant, then re-run, leaves exactly the
tables an uninterrupted ingest leaves.

The real ``backlinks`` console script runs in a subprocess over six WARC files of the
synthetic web (five gzip, one plain) with a commit every 10 records, so a run spans a few
seconds and dozens of commits. It is killed at several points (before it opens the index,
as it opens it, at its first commit, midway, late; and several times in a row), each killed
state is checked for consistency (every committed row is accounted for by a checkpoint), and
after the resume every table equals the clean run's, row for row, with no duplicates.

Kills are placed by watching the index's write-ahead log grow (a ``stat`` of the file:
DuckDB admits one writing process, so the index itself cannot be read while the ingest
runs); that makes "midway" mean midway on a fast machine and on a loaded one alike.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from backlinks.demo import evolve, generate_web, write_warc
from backlinks.ingest import ingest
from backlinks.store.db import Store

#: Every table an ingest writes; compared in full (``snapshots`` minus its wall clock).
TABLES = (
    "pages",
    "links",
    "hosts",
    "domains",
    "page_text",
    "skipped",
    "source_files",
    "record_counts",
    "snapshots",
)
WALL_CLOCK = {"snapshots": {"ingested_at"}}
BATCH_RECORDS = "10"
N_FILES = 6

Dump = dict[str, list[tuple[Any, ...]]]


def _cli() -> str:
    exe = shutil.which("backlinks") or str(Path(sys.executable).parent / "backlinks")
    if not Path(exe).exists():  # pragma: no cover - broken install
        pytest.fail(f"the backlinks console script is not installed next to {sys.executable}")
    return exe


def dump(db: Path) -> Dump:
    """Every row of every ingest table, sorted (duplicates kept), wall-clock columns left out."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: Dump = {}
        for table in TABLES:
            cols = [
                row[0]
                for row in con.execute(f"DESCRIBE {table}").fetchall()
                if row[0] not in WALL_CLOCK.get(table, set())
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            out[table] = sorted(con.execute(f"SELECT {select} FROM {table}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def snapshot_of_killed(db: Path, into: Path) -> Path:
    """A copy of a killed run's index (file and WAL), so inspecting it cannot change what the
    resuming process finds."""
    copy = into / f"inspect-{time.monotonic_ns()}.duckdb"
    if db.exists():
        shutil.copyfile(db, copy)
    wal = Path(str(db) + ".wal")
    if wal.exists():
        shutil.copyfile(wal, Path(str(copy) + ".wal"))
    return copy


@dataclass
class Corpus:
    paths: list[str]
    env: dict[str, str]
    clean: Dump
    clean_db: Path
    #: Largest size the write-ahead log reached during the clean run (its whole work).
    wal_peak: int


def _run(
    corpus_paths: list[str], db: Path, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    with log.open("ab") as err:
        return subprocess.Popen(
            [_cli(), "ingest", *corpus_paths, "--db", str(db), "--quiet", "--format", "json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _wait_for(db: Path, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> float:
    """Seconds until ``db`` exists (polling the file system only: DuckDB allows one writer)."""
    start = time.monotonic()
    while not db.exists() and proc.poll() is None:
        if time.monotonic() - start > timeout:  # pragma: no cover - hung
            proc.kill()
            pytest.fail("the ingest never created its index file")
        time.sleep(0.002)
    return time.monotonic() - start


def _finish(proc: subprocess.Popen[bytes], log: Path) -> None:
    rc = proc.wait(timeout=120)
    assert rc == 0, f"ingest exited {rc}: {log.read_text(errors='replace')[-2000:]}"


def _wal_size(db: Path) -> int:
    try:
        return Path(f"{db}.wal").stat().st_size
    except FileNotFoundError:
        return 0


def _watch(proc: subprocess.Popen[bytes], db: Path, grow: int | None, timeout: float = 60.0) -> int:
    """Wait until the index's WAL has grown by ``grow`` bytes over the smallest size seen
    since the process started (None: until the process ends); return the peak size."""
    start = time.monotonic()
    low = peak = _wal_size(db)
    while proc.poll() is None:
        size = _wal_size(db)
        low, peak = min(low, size), max(peak, size)
        if grow is not None and size - low >= grow:
            break
        if time.monotonic() - start > timeout:  # pragma: no cover - hung
            proc.kill()
            pytest.fail("the ingest made no progress")
        time.sleep(0.002)
    return peak


def _kill(proc: subprocess.Popen[bytes]) -> int:
    """SIGKILL (if still running); the exit status, -9 when the kill landed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=60)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("kill")
    webs = [generate_web(11)]
    for i in range(1, N_FILES):
        webs.append(evolve(webs[-1], i))
    paths = []
    for i, web in enumerate(webs):
        plain = i == 2  # one uncompressed file: resume offsets in a plain WARC too
        path = root / f"crawl-{i}.warc{'' if plain else '.gz'}"
        write_warc(web.pages, path, gzip=not plain)
        paths.append(str(path))
    env = {**os.environ, "BACKLINKS_INGEST_BATCH_RECORDS": BATCH_RECORDS}
    env.pop("BACKLINKS_DB", None)
    db = root / "clean.duckdb"
    log = root / "clean.log"
    proc = _run(paths, db, env, log)
    wal_peak = _watch(proc, db, None)
    _finish(proc, log)
    assert wal_peak > 0, "DuckDB kept no write-ahead log: the kill points need another signal"
    clean = dump(db)
    n_records = sum(len(w.pages) + 1 for w in webs)
    assert sum(row[6] for row in clean["source_files"]) == n_records  # records column
    assert len(clean["pages"]) == sum(len(w.pages) for w in webs)
    return Corpus(paths, env, clean, db, wal_peak)


def _check_consistent(db: Path, tmp: Path) -> int:
    """Invariants of any committed state; returns the number of links committed."""
    copy = snapshot_of_killed(db, tmp)
    if not copy.exists():
        return 0
    try:
        con = duckdb.connect(str(copy), read_only=True)
    except duckdb.Error as exc:
        # killed while DuckDB wrote the new file's headers: nothing was committed, and the
        # resuming run sets the file aside (Store._set_aside_unborn)
        if "not a valid DuckDB database file" not in str(exc):
            raise
        return 0
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "source_files" not in tables:
            return 0
        row = con.execute(
            "SELECT coalesce(sum(pages), 0), coalesce(sum(links), 0), coalesce(sum(skipped), 0)"
            " FROM source_files"
        ).fetchone()
        assert row is not None
        counted = (
            con.execute("SELECT count(*) FROM pages").fetchone(),
            con.execute("SELECT count(*) FROM links").fetchone(),
            con.execute("SELECT count(*) FROM skipped").fetchone(),
        )
        # Rows and checkpoints are written in one transaction: never one without the other.
        assert tuple(int(c[0]) for c in counted if c) == tuple(int(v) for v in row)
        # A file's checkpoint never points past its end, and done files are read to the end.
        bad = con.execute(
            "SELECT path, next_offset, size, done FROM source_files WHERE next_offset > size OR "
            "(done AND next_offset <> size)"
        ).fetchall()
        assert bad == []
        return int(row[1])
    finally:
        con.close()
        copy.unlink(missing_ok=True)
        Path(str(copy) + ".wal").unlink(missing_ok=True)


def _assert_no_duplicates(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, key in (
            ("pages", "url_id, fetched_at"),
            ("links", "src_url_id, seen_at, position"),
            ("skipped", 'file_id, "offset"'),
        ):
            dupes = con.execute(
                f"SELECT {key}, count(*) FROM {table} GROUP BY ALL HAVING count(*) > 1 LIMIT 3"
            ).fetchall()
            assert dupes == [], f"duplicate {table} rows: {str(dupes)[:500]}"
        files = con.execute("SELECT count(*), count(*) FILTER (WHERE done) FROM source_files")
        assert files.fetchone() == (N_FILES, N_FILES)
        assert con.execute("SELECT count(*), bool_and(complete) FROM snapshots").fetchone() == (
            1,
            True,
        )
    finally:
        con.close()


def _assert_same(got: Dump, want: Dump) -> None:
    for table in TABLES:
        g, w = got[table], want[table]
        if g != w:
            extra = [r for r in g if r not in w][:3]
            missing = [r for r in w if r not in g][:3]
            pytest.fail(
                f"{table}: {len(g)} rows after kill+resume vs {len(w)} clean; "
                f"e.g. extra {extra!r}, missing {missing!r}"
            )


def test_clean_run_has_no_duplicates_and_is_batch_size_independent(
    corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _assert_no_duplicates(corpus.clean_db)
    assert all(corpus.clean[t] for t in TABLES if t != "skipped"), "an empty table proves nothing"
    # The same files in one in-process run with the default (large) batches: same tables.
    monkeypatch.delenv("BACKLINKS_INGEST_BATCH_RECORDS", raising=False)
    db = tmp_path / "one-batch.duckdb"
    with Store(db) as store:
        ingest(store, corpus.paths)
    _assert_same(dump(db), corpus.clean)


@pytest.mark.parametrize(
    "point",
    ["at-process-start", "as-index-opens", "first-commit", "midway", "late"],
)
def test_killed_once_then_resumed_equals_clean(corpus: Corpus, tmp_path: Path, point: str) -> None:
    db = tmp_path / "killed.duckdb"
    log = tmp_path / "run.log"
    proc = _run(corpus.paths, db, corpus.env, log)
    if point == "as-index-opens":
        _wait_for(db, proc)
    elif point != "at-process-start":
        fraction = {"first-commit": 0.0, "midway": 0.5, "late": 0.9}[point]
        _watch(proc, db, max(1, int(corpus.wal_peak * fraction)))
    status = _kill(proc)
    links = _check_consistent(db, tmp_path)
    if point in ("midway", "late"):
        assert status == -signal.SIGKILL
        assert 0 < links < len(corpus.clean["links"]), "the kill did not land mid-ingest"
    _finish(_run(corpus.paths, db, corpus.env, log), log)
    _assert_same(dump(db), corpus.clean)
    _assert_no_duplicates(db)


def test_killed_repeatedly_then_resumed_equals_clean(corpus: Corpus, tmp_path: Path) -> None:
    db = tmp_path / "killed-often.duckdb"
    log = tmp_path / "run.log"
    total_links = len(corpus.clean["links"])
    progress: list[int] = []
    statuses: list[int] = []
    # Each run is killed after it has written about a fifth of the work to the log.
    for _ in range(4):
        proc = _run(corpus.paths, db, corpus.env, log)
        _watch(proc, db, corpus.wal_peak // 5)
        statuses.append(_kill(proc))
        progress.append(_check_consistent(db, tmp_path))
    # Committed work survives a SIGKILL: progress never goes backwards, and each run added.
    assert statuses == [-signal.SIGKILL] * 4
    assert progress == sorted(set(progress)), progress
    assert progress[0] > 0, progress
    assert progress[-1] < total_links, (progress, total_links)
    _finish(_run(corpus.paths, db, corpus.env, log), log)
    _assert_same(dump(db), corpus.clean)
    _assert_no_duplicates(db)
    # A further run is a no-op.
    _finish(_run(corpus.paths, db, corpus.env, log), log)
    _assert_same(dump(db), corpus.clean)
