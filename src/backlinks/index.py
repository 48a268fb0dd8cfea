"""The Python API: an opened backlink index whose methods return DataFrames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
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

    def rank(
        self, *levels: str, seeds_file: str | Path | None = None, auto_seeds: int = 0
    ) -> pd.DataFrame:
        """Compute PageRank, rating, harmonic centrality (and TrustRank with seeds) into the
        metrics table; one summary row per level."""
        from backlinks.analysis import authority  # noqa: PLC0415 - numba import is slow

        summaries = authority.rank_store(
            self.store,
            levels or ("page", "host", "domain"),
            seeds_file=Path(seeds_file) if seeds_file else None,
            auto_seeds=auto_seeds,
        )
        return pd.DataFrame([asdict(x) for x in summaries])

    def top(
        self, level: str = "domain", by: str = "rating", limit: int | None = 50
    ) -> pd.DataFrame:
        """Top nodes of a level by rating, pagerank, trustrank or harmonic."""
        from backlinks.analysis import authority  # noqa: PLC0415

        return authority.top(self.store, level, by, limit)  # type: ignore[arg-type]

    def whatif(self, sources: list[str], target: str, level: str = "domain") -> dict[str, Any]:
        """Before/after/delta of the target's PageRank and rating if the sources linked to it."""
        from backlinks.analysis import authority  # noqa: PLC0415

        return authority.whatif(self.store, sources, target, level)  # type: ignore[arg-type]

    def export(self, folder: str | Path) -> list[Path]:
        """Export every table to Parquet files in ``folder``."""
        return self.store.export_parquet(folder)

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run read-only SQL of your own against the index tables."""
        df: pd.DataFrame = self.store.query(query, params)
        return df


def open(path: str | Path, *, read_only: bool = False) -> Index:
    """Open (or create) the backlink index at ``path``."""
    return Index(path, read_only=read_only)
