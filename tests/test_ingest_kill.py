"""Crash safety: an ingest killed with SIGKILL at any instant, then re-run, leaves exactly the
tables an uninterrupted ingest leaves.

The real ``backlinks`` console script runs in a subprocess over six WARC files of the
synthetic web (five gzip, one plain) with a commit every 10 records, so a run spans a few
seconds and dozens of commits. It is killed at several offsets (before it opens the index,
as it opens it, early, midway, late; and several times in a row), each killed state is
checked for consistency (every committed row is accounted for by a checkpoint), and after
the resume every table equals the clean run's, row for row, with no duplicates.
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
    #: Seconds from process start until the index file appears (interpreter start-up).
    startup_s: float
    #: Seconds the clean run took after the index file appeared.
    work_s: float


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


def _kill_after(
    corpus: Corpus, db: Path, delay: float, log: Path, *, anchor_on_db: bool
) -> int | None:
    """Start an ingest, SIGKILL it ``delay`` s after the index file appears (or after the
    process started), and return its exit status (-9 when the kill landed)."""
    proc = _run(corpus.paths, db, corpus.env, log)
    if anchor_on_db:
        _wait_for(db, proc)
    time.sleep(delay)
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
    start = time.monotonic()
    proc = _run(paths, db, env, log)
    startup = _wait_for(db, proc)
    _finish(proc, log)
    work = time.monotonic() - start - startup
    clean = dump(db)
    n_records = sum(len(w.pages) + 1 for w in webs)
    assert sum(row[6] for row in clean["source_files"]) == n_records  # records column
    assert len(clean["pages"]) == sum(len(w.pages) for w in webs)
    return Corpus(paths, env, clean, db, startup, work)


def _check_consistent(db: Path, tmp: Path) -> int:
    """Invariants of any committed state; returns the number of links committed."""
    copy = snapshot_of_killed(db, tmp)
    if not copy.exists():
        return 0
    con = duckdb.connect(str(copy), read_only=True)
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
    ("delay", "anchor_on_db"),
    [
        pytest.param(0.0, False, id="at-process-start"),
        pytest.param(0.0, True, id="as-index-opens"),
        pytest.param(0.5, True, id="midway"),
        pytest.param(0.85, True, id="late"),
    ],
)
def test_killed_once_then_resumed_equals_clean(
    corpus: Corpus, tmp_path: Path, delay: float, anchor_on_db: bool
) -> None:
    db = tmp_path / "killed.duckdb"
    log = tmp_path / "run.log"
    wait = delay * corpus.work_s if anchor_on_db else delay
    _kill_after(corpus, db, wait, log, anchor_on_db=anchor_on_db)
    _check_consistent(db, tmp_path)
    _finish(_run(corpus.paths, db, corpus.env, log), log)
    _assert_same(dump(db), corpus.clean)
    _assert_no_duplicates(db)


def test_killed_repeatedly_then_resumed_equals_clean(corpus: Corpus, tmp_path: Path) -> None:
    db = tmp_path / "killed-often.duckdb"
    log = tmp_path / "run.log"
    total_links = len(corpus.clean["links"])
    progress: list[int] = []
    statuses: list[int | None] = []
    # Each run is killed a little after start-up, so each commits a few batches and no more;
    # a run killed before its first commit gets a longer leash next time (slow machines).
    step = corpus.startup_s + max(0.2, corpus.work_s / 3)
    for _ in range(5):
        statuses.append(_kill_after(corpus, db, step, log, anchor_on_db=False))
        progress.append(_check_consistent(db, tmp_path))
        if progress[-1] == total_links:
            break
        if len(progress) > 1 and progress[-1] == progress[-2]:
            step *= 1.5
    # Committed work survives a SIGKILL: progress never goes backwards.
    assert progress == sorted(progress), progress
    partial = {n for n in progress if 0 < n < total_links}
    assert len(partial) >= 2, (
        f"fewer than two kills landed mid-ingest (links after each kill {progress} of "
        f"{total_links}, exit statuses {statuses})"
    )
    _finish(_run(corpus.paths, db, corpus.env, log), log)
    _assert_same(dump(db), corpus.clean)
    _assert_no_duplicates(db)
    # A further run is a no-op.
    _finish(_run(corpus.paths, db, corpus.env, log), log)
    _assert_same(dump(db), corpus.clean)
