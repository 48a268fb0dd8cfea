"""Load Parquet into the store: Spark's outputs, or another store's export.

Three layouts are read, all in the store's own columns (:mod:`backlinks.store.schema`):

* **per file** (``backlinks spark ingest``): ``DIR/<table>/file-<file id>.parquet`` for
  pages, links, page_text, skipped, hosts, domains, plus ``snapshots``, ``source_files`` and
  ``record_counts`` folders. Each source file is loaded in one transaction with its
  ``source_files`` row, and skipped when the store already has that file done — so a
  re-run, or a run killed half-way and started again, adds nothing twice.
* **per table** (``backlinks export``): ``DIR/<table>.parquet``. Rows of snapshots the store
  already has are skipped (the unit is the snapshot); tables with keys insert-or-ignore.
* **metrics** (``backlinks spark rank --out``): a folder of Parquet files with ``level``,
  ``node_id``, ``pagerank``, ``rating``: it replaces the store's whole-graph metrics of those
  levels.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Final

from backlinks.store.db import Store
from backlinks.store.schema import TABLES

__all__ = ["import_parquet"]

_PER_FILE: Final = ("pages", "links", "page_text", "skipped")
_KEYED: Final = ("hosts", "domains", "snapshots", "source_files", "record_counts", "meta")
_FILE_NAME: Final = re.compile(r"^file-([0-9a-f]{16})\.parquet$")


def _lit(path: Path) -> str:
    """A path as a SQL string literal (DuckDB's read_parquet takes no bound parameter for
    file lists in every version)."""
    return "'" + str(path).replace("'", "''") + "'"


def _signed(hex_id: str) -> int:
    value = int(hex_id, 16)
    return value - (1 << 64) if value >= (1 << 63) else value


def import_parquet(store: Store, folder: str | Path) -> Counter[str]:
    """Load ``folder`` (any of the three layouts) into ``store``; rows added per table."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"no such folder: {root}")
    if any((root / t).is_dir() for t in _PER_FILE):
        return _per_file(store, root)
    if any((root / f"{t}.parquet").is_file() for t in TABLES):
        return _per_table(store, root)
    files = sorted(root.glob("*.parquet"))
    if files:
        return _metrics(store, files)
    raise ValueError(f"{root}: no Parquet tables, per-file folders or metrics files found")


def _count(store: Store, table: str) -> int:
    row = store.con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(row[0][0])


def _insert(store: Store, table: str, files: list[Path], where: str = "") -> int:
    """Insert the rows of ``files`` into ``table`` (insert-or-ignore for keyed tables)."""
    if not files:
        return 0
    before = _count(store, table)
    verb = "INSERT OR IGNORE INTO" if table in _KEYED else "INSERT INTO"
    cols = ", ".join(f'"{c}"' for c in _columns(table))
    source = f"read_parquet([{', '.join(_lit(f) for f in files)}], union_by_name = true)"
    store.con.execute(f"{verb} {table} ({cols}) SELECT {cols} FROM {source} {where}")
    return _count(store, table) - before


def _columns(table: str) -> list[str]:
    from backlinks.store.schema import columns  # noqa: PLC0415

    return columns(table)


def _done_files(store: Store) -> set[int]:
    rows = store.con.execute("SELECT file_id FROM source_files WHERE done").fetchall()
    return {int(r[0]) for r in rows}


def _per_file(store: Store, root: Path) -> Counter[str]:
    added: Counter[str] = Counter()
    done = _done_files(store)
    by_file: dict[int, dict[str, Path]] = {}
    for table in (*_PER_FILE, "hosts", "domains"):
        for path in sorted((root / table).glob("file-*.parquet")):
            m = _FILE_NAME.match(path.name)
            if m:
                by_file.setdefault(_signed(m.group(1)), {})[table] = path
    snapshots = sorted((root / "snapshots").glob("*.parquet"))
    registry = sorted((root / "source_files").glob("*.parquet"))
    counts = sorted((root / "record_counts").glob("*.parquet"))
    if registry:  # files with no rows of their own (only warcinfo, say) are files too
        listed = f"SELECT file_id FROM read_parquet([{', '.join(_lit(f) for f in registry)}])"
        for (file_id,) in store.con.execute(listed).fetchall():
            by_file.setdefault(int(file_id), {})
    with store.transaction():
        added["snapshots"] += _insert(store, "snapshots", snapshots)
    for file_id, tables in sorted(by_file.items()):
        if file_id in done:
            added["files_already_imported"] += 1
            continue
        with store.transaction():
            for table in ("hosts", "domains", *_PER_FILE):
                if table in tables:
                    added[table] += _insert(store, table, [tables[table]])
            added["source_files"] += _insert(
                store, "source_files", registry, f"WHERE file_id = {int(file_id)}"
            )
            added["record_counts"] += _insert(
                store, "record_counts", counts, f"WHERE file_id = {int(file_id)}"
            )
        added["files"] += 1
    return added


def _per_table(store: Store, root: Path) -> Counter[str]:
    added: Counter[str] = Counter()
    with store.transaction():
        known = "SELECT snapshot_id FROM snapshots"
        have = {int(r[0]) for r in store.con.execute(known).fetchall()}
        fresh = f"WHERE snapshot_id NOT IN ({', '.join(map(str, sorted(have)))})" if have else ""
        for table in TABLES:
            path = root / f"{table}.parquet"
            if not path.is_file():
                continue
            cols = _columns(table)
            where = fresh if "snapshot_id" in cols and table not in _KEYED else ""
            if table == "metrics":
                where = ""
            added[table] += _insert(store, table, [path], where)
    return added


def _metrics(store: Store, files: list[Path]) -> Counter[str]:
    added: Counter[str] = Counter()
    source = f"read_parquet([{', '.join(_lit(f) for f in files)}], union_by_name = true)"
    with store.transaction():
        levels = [
            r[0] for r in store.con.execute(f"SELECT DISTINCT level FROM {source}").fetchall()
        ]
        for level in levels:
            store.con.execute(
                "DELETE FROM metrics WHERE level = ? AND snapshot_id IS NULL", [level]
            )
        names = {r[0] for r in store.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        trust = "trustrank" if "trustrank" in names else "NULL"
        store.con.execute(
            "INSERT INTO metrics (level, node_id, snapshot_id, pagerank, trustrank, rating) "
            f"SELECT level, node_id, NULL, pagerank, {trust}, rating FROM {source}"
        )
        added["metrics"] = _count(store, "metrics")
    return added
