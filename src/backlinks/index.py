"""The Python API: an opened backlink index whose methods return DataFrames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from backlinks.analysis import backlinks as _backlinks
from backlinks.ingest import IngestReport, ProgressFn, ingest
from backlinks.store.db import Store


class Index:
    """A backlink index in a DuckDB file.

    >>> import backlinks
    >>> idx = backlinks.open("links.duckdb")          # doctest: +SKIP
    >>> idx.links("example.com", limit=10)             # doctest: +SKIP
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.store = Store(path, read_only=read_only)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def ingest(
        self,
        *paths: str | Path,
        keep_text: bool = True,
        progress: ProgressFn | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Ingest WARC/WAT files, directories, globs or web-graph releases.

        ``progress(bytes, records, links)`` is called as work advances; ``on_total(bytes)``
        once, with the total size of the input."""
        return ingest(
            self.store,
            [str(p) for p in paths],
            keep_text=keep_text,
            progress=progress,
            on_total=on_total,
        )

    def links(
        self,
        target: str,
        *,
        mode: _backlinks.Mode = "auto",
        limit: int | None = 100,
        include_internal: bool = False,
    ) -> pd.DataFrame:
        """Backlinks to a URL, URL prefix, host or domain."""
        return _backlinks.backlinks(
            self.store, target, mode=mode, limit=limit, include_internal=include_internal
        )

    def stats(self) -> dict[str, Any]:
        """Counts of pages, links, hosts, domains, snapshots and skipped records."""
        return _backlinks.stats(self.store)

    def snapshots(self) -> pd.DataFrame:
        """Snapshots (ingest batches) with their crawl windows."""
        return _backlinks.snapshots(self.store)

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run read-only SQL of your own against the index tables."""
        df: pd.DataFrame = self.store.query(query, params)
        return df


def open(path: str | Path, *, read_only: bool = False) -> Index:
    """Open (or create) the backlink index at ``path``."""
    return Index(path, read_only=read_only)
