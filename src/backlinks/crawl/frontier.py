"""The crawl frontier, kept in the store so a killed crawl resumes without losing or
refetching anything.

Every URL the crawl ever queued is a row of ``frontier`` (state ``queued``, ``done``,
``failed`` or ``skipped``, with a reason). Fetched pages, their links, the URLs they add to
the queue and the state changes are committed together in one transaction per group of
pages: after ``kill -9`` the store holds whole groups only, and the pages of the lost group
are still ``queued``, so ``--resume`` fetches them (and nothing that was finished).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from backlinks import urls
from backlinks.crawl.config import CrawlConfig
from backlinks.records import Page
from backlinks.store.batch import Batch, HostCache
from backlinks.store.db import Store, extend_window


@dataclass(slots=True)
class Item:
    """A queued URL."""

    url: str
    kind: str  # page | robots | sitemap
    depth: int
    follow: bool
    hops: int = 0  # redirects followed to get here
    attempts: int = 0


_FRONTIER_SCHEMA = pa.schema(
    [
        ("snapshot_id", pa.int64()),
        ("url_id", pa.int64()),
        ("url", pa.string()),
        ("host", pa.string()),
        ("kind", pa.string()),
        ("depth", pa.int32()),
        ("follow", pa.bool_()),
        ("hops", pa.int32()),
        ("state", pa.string()),
        ("reason", pa.string()),
        ("attempts", pa.int32()),
    ]
)


class Frontier:
    """The queue of one crawl (snapshot) and the buffered writes of its current group."""

    def __init__(self, store: Store, snapshot_id: int, keep_text: bool = True) -> None:
        self.store = store
        self.snapshot_id = snapshot_id
        self.keep_text = keep_text
        self.known: set[int] = set()
        self.cache = HostCache()
        self._new: list[tuple[Item, str]] = []
        self._states: dict[int, tuple[str, str, int]] = {}
        self.batch = self._batch()
        self.counts: Counter[str] = Counter()
        self.pending_pages = 0

    def _batch(self) -> Batch:
        return Batch(self.snapshot_id, self.snapshot_id, "crawl", keep_text=self.keep_text)

    # --- crawl records ----------------------------------------------------------------------

    @staticmethod
    def create(store: Store, seeds: list[str], cfg: CrawlConfig) -> int:
        now = datetime.now(UTC).replace(tzinfo=None)
        snapshot_id = urls.stable_id(f"crawl:{now.isoformat()}:{' '.join(seeds)}")
        with store.transaction() as con:
            con.execute(
                "INSERT INTO snapshots (snapshot_id, source, files, complete, ingested_at, note) "
                "VALUES (?, 'crawl', 0, false, ?, ?)",
                [snapshot_id, now, " ".join(seeds)[:1000]],
            )
            con.execute(
                "INSERT INTO crawls VALUES (?, ?, ?, ?, false)",
                [snapshot_id, json.dumps(seeds), json.dumps(asdict(cfg)), now],
            )
        return snapshot_id

    @staticmethod
    def latest_unfinished(store: Store) -> tuple[int, list[str], dict[str, Any]] | None:
        row = store.con.execute(
            "SELECT snapshot_id, seeds, config FROM crawls WHERE NOT finished "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return int(row[0]), json.loads(row[1]), json.loads(row[2])

    def load(self) -> tuple[list[Item], int]:
        """Queued items and the number of pages already done (for the page budget)."""
        rows = self.store.con.execute(
            "SELECT url_id, url, kind, depth, follow, hops, state, attempts FROM frontier "
            "WHERE snapshot_id = ?",
            [self.snapshot_id],
        ).fetchall()
        queued = []
        done = 0
        for url_id, url, kind, depth, follow, hops, state, attempts in rows:
            self.known.add(int(url_id))
            if state == "queued":
                queued.append(Item(url, kind, int(depth), bool(follow), int(hops), int(attempts)))
            elif kind == "page" and state == "done":
                done += 1
        return queued, done

    # --- buffered changes -------------------------------------------------------------------

    def add(self, item: Item) -> bool:
        """Queue a URL unless the crawl has seen it; True if it is new."""
        url_id = urls.stable_id(item.url)
        if url_id in self.known:
            return False
        self.known.add(url_id)
        self._new.append((item, "queued"))
        return True

    def finish(self, item: Item, state: str, reason: str = "") -> None:
        self._states[urls.stable_id(item.url)] = (state, reason, item.attempts)

    def add_page(self, page: Page) -> None:
        self.batch.records += 1
        self.batch.add_page(page, self.cache)
        self.pending_pages += 1

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n

    def commit(self) -> None:
        """Write the group: pages, links, new queue rows, state changes, counters."""
        new_rows = self._new
        states = self._states
        batch = self.batch
        tables = batch.tables()
        frontier = pa.Table.from_pylist(
            [
                {
                    "snapshot_id": self.snapshot_id,
                    "url_id": urls.stable_id(item.url),
                    "url": item.url,
                    "host": urls.host_of(item.url),
                    "kind": item.kind,
                    "depth": item.depth,
                    "follow": item.follow,
                    "hops": item.hops,
                    "state": state,
                    "reason": "",
                    "attempts": item.attempts,
                }
                for item, state in new_rows
            ],
            schema=_FRONTIER_SCHEMA,
        )
        with self.store.transaction() as con:
            for name, table in tables.items():
                if name == "skipped":
                    continue
                view = f"_crawl_{name}"
                con.register(view, table)
                verb = "INSERT OR IGNORE INTO" if name in ("hosts", "domains") else "INSERT INTO"
                con.execute(f"{verb} {name} SELECT * FROM {view}")
                con.unregister(view)
            if frontier.num_rows:
                con.register("_crawl_frontier", frontier)
                con.execute("INSERT OR IGNORE INTO frontier SELECT * FROM _crawl_frontier")
                con.unregister("_crawl_frontier")
            if states:
                con.executemany(
                    "UPDATE frontier SET state = ?, reason = ?, attempts = ? "
                    "WHERE snapshot_id = ? AND url_id = ?",
                    [[s, r, a, self.snapshot_id, uid] for uid, (s, r, a) in states.items()],
                )
            for kind, n in sorted(self.counts.items()):
                con.execute(
                    "INSERT INTO crawl_counts VALUES (?, ?, ?) ON CONFLICT (snapshot_id, kind) "
                    "DO UPDATE SET n = crawl_counts.n + excluded.n",
                    [self.snapshot_id, kind, n],
                )
            extend_window(con, batch)
        self._new = []
        self._states = {}
        self.counts = Counter()
        self.batch = self._batch()
        self.pending_pages = 0

    def close_crawl(self) -> None:
        """Mark the crawl finished when nothing is queued any more."""
        with self.store.transaction() as con:
            con.execute(
                "UPDATE crawls SET finished = NOT EXISTS (SELECT 1 FROM frontier WHERE "
                "snapshot_id = ? AND state = 'queued') WHERE snapshot_id = ?",
                [self.snapshot_id, self.snapshot_id],
            )
            con.execute(
                "UPDATE snapshots SET complete = (SELECT finished FROM crawls WHERE "
                "snapshot_id = ?) WHERE snapshot_id = ?",
                [self.snapshot_id, self.snapshot_id],
            )
